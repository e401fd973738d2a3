import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CODE_VERIFIER, s256Challenge, verifyS256 } from './pkce';

describe('PKCE S256 (RFC 7636)', () => {
  it('computes the challenge of Appendix B', () => {
    assert.equal(s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    assert.equal(verifyS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'), true);
  });

  const cases: Array<[string, string, boolean]> = [
    ['43 characters (the shortest)', 'a'.repeat(43), true],
    ['128 characters (the longest)', '~'.repeat(128), true],
    ['42 characters', 'a'.repeat(42), false],
    ['129 characters', 'a'.repeat(129), false],
    ['a character outside the set', `${'a'.repeat(43)}+`, false],
    ['a space', `${'a'.repeat(43)} `, false],
    ['non-ASCII', `${'a'.repeat(43)}é`, false],
  ];
  for (const [what, verifier, valid] of cases) {
    it(`${valid ? 'accepts' : 'refuses'} a verifier of ${what}`, () => {
      assert.equal(CODE_VERIFIER.test(verifier), valid);
      assert.equal(verifyS256(verifier, s256Challenge(verifier)), valid);
    });
  }

  it('refuses another verifier, the challenge itself, and a malformed challenge', () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    assert.equal(verifyS256(`${verifier.slice(0, -1)}l`, s256Challenge(verifier)), false);
    assert.equal(verifyS256(s256Challenge(verifier), s256Challenge(verifier)), false);
    assert.equal(verifyS256(verifier, `${s256Challenge(verifier)}=`), false);
    assert.equal(verifyS256(verifier, ''), false);
  });
});
