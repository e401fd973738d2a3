import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PASSWORD_BYTES, PASSWORD_PARAMETERS, hashPassword, needsRehash, verifyPassword } from './password';

// Cheap parameters where the test is about the format, not the cost.
const FAST = { ln: 10, r: 8, p: 1 };

describe('password hashing (scrypt)', () => {
  it('encodes its parameters, a random salt and the hash, and verifies only the right password', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    assert.match(encoded, new RegExp(`^\\$scrypt\\$ln=${PASSWORD_PARAMETERS.ln},r=${PASSWORD_PARAMETERS.r},p=${PASSWORD_PARAMETERS.p}\\$[A-Za-z0-9+/=]{24}\\$[A-Za-z0-9+/=]{44}$`));
    assert.ok(!encoded.includes('correct horse'));
    assert.equal(await verifyPassword('correct horse battery staple', encoded), true);
    assert.equal(await verifyPassword('correct horse battery stapLe', encoded), false);
    assert.equal(await verifyPassword('', encoded), false);
  });

  it('salts every hash: one password, two different hashes', async () => {
    const a = await hashPassword('same password', FAST);
    const b = await hashPassword('same password', FAST);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('same password', a), true);
    assert.equal(await verifyPassword('same password', b), true);
  });

  it('verifies a hash made with other parameters, and says it needs a rehash when they are weaker', async () => {
    const old = await hashPassword('an older password', FAST);
    assert.equal(await verifyPassword('an older password', old), true);
    assert.equal(needsRehash(old), true);
    assert.equal(needsRehash(await hashPassword('a current one')), false);
  });

  it('treats the same text in another Unicode normalization form as the same password', async () => {
    const encoded = await hashPassword('caf\u00e9 au lait', FAST);
    assert.equal(await verifyPassword('cafe\u0301 au lait', encoded), true);
  });

  const malformed: Array<[string, string]> = [
    ['empty', ''],
    ['another scheme', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'],
    ['a cost beyond the bounds (2^30 would need gigabytes)', '$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g='],
    ['a truncated hash', '$scrypt$ln=10,r=8,p=1$c2FsdA==$aGFzaA=='],
    ['garbage', 'not a hash at all'],
  ];
  for (const [what, encoded] of malformed) {
    it(`matches nothing against a malformed hash: ${what}`, async () => {
      assert.equal(await verifyPassword('anything', encoded), false);
      assert.equal(needsRehash(encoded), true);
    });
  }

  it(`refuses passwords longer than ${MAX_PASSWORD_BYTES} bytes`, async () => {
    await assert.rejects(hashPassword('x'.repeat(MAX_PASSWORD_BYTES + 1), FAST));
    const encoded = await hashPassword('x'.repeat(MAX_PASSWORD_BYTES), FAST);
    assert.equal(await verifyPassword('x'.repeat(MAX_PASSWORD_BYTES), encoded), true);
    assert.equal(await verifyPassword('x'.repeat(MAX_PASSWORD_BYTES + 1), encoded), false);
  });
});
