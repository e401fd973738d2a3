import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { generateJwk, validateSignature, validateSignatureHeaders } from '@interledger/http-signature-utils';
import { ManualClock } from '../../shared/clock';
import type { Ed25519Jwk } from '../wallet-addresses/wallet-address.entity';
import { SignatureVerifier, signRequest, type SignedRequest } from './http-signatures';

const { privateKey } = generateKeyPairSync('ed25519');
const jwk = generateJwk({ privateKey, keyId: 'k1' }) as Ed25519Jwk;
const URL_ = 'https://pay.example/op/incoming-payments?wallet-address=https%3A%2F%2Fpay.example%2Fwallet%2Fa';

/** A verifier over an in-memory replay table (the real one is a database table with a unique key). */
function verifier(clock = new ManualClock(), windowSeconds = 300) {
  const seen = new Set<string>();
  const db = {
    transaction: async (work: (tx: unknown) => Promise<unknown>) =>
      work({
        em: {
          insert: async (_entity: unknown, row: { hash: string }) => {
            if (seen.has(row.hash)) throw new UniqueConstraintViolationException(new Error('duplicate key'));
            seen.add(row.hash);
          },
        },
      }),
  };
  const scheduler = { register() {}, schedule: async () => 'job' };
  return new SignatureVerifier(db as never, clock, scheduler as never, { windowSeconds });
}

async function signed(body?: string, extra: Record<string, string> = {}): Promise<SignedRequest> {
  const headers = { authorization: 'GNAP tok', ...extra };
  const added = await signRequest({ method: body ? 'POST' : 'GET', url: URL_, headers, body }, { privateKey, keyId: 'k1' });
  return { method: body ? 'POST' : 'GET', url: URL_, headers: { ...headers, ...added }, body };
}

describe('HTTP message signatures: Paygrid’s own signing verified by the library and by the verifier', () => {
  it('signs what the official client signs: @method, @target-uri, authorization and the content headers', async () => {
    const request = await signed('{"a":1}');
    assert.match(request.headers['signature-input'], /^sig1=\("@method" "@target-uri" "authorization" "content-digest" "content-length" "content-type"\);keyid="k1";created=\d+$/);
    assert.match(request.headers['content-digest'], /^sha-512=:/);
    assert.ok(validateSignatureHeaders(request));
    assert.equal(await validateSignature(jwk, request), true);
    assert.equal((await verifier().verify(request, [jwk])).kid, 'k1');
  });

  it('refuses a replay, a stale or future created, a foreign keyid, a changed URL and a body not covered', async () => {
    const v = verifier();
    const request = await signed('{"a":1}');
    await v.verify(request, [jwk]);
    await assert.rejects(v.verify(request, [jwk]), /replay/);
    // A read signed twice alike (same second) is a second read, not a replay that changes anything.
    const read = await signed();
    await v.verify(read, [jwk]);
    await v.verify(read, [jwk]);

    const clock = new ManualClock();
    const fresh = await signed();
    clock.advance(301_000);
    await assert.rejects(verifier(clock).verify(fresh, [jwk]), /created/);
    clock.advance(-602_000);
    await assert.rejects(verifier(clock).verify(fresh, [jwk]), /created/);

    const other = generateJwk({ privateKey: generateKeyPairSync('ed25519').privateKey, keyId: 'k2' }) as Ed25519Jwk;
    await assert.rejects(verifier().verify(await signed(), [other]), /keyid/);
    await assert.rejects(verifier().verify(await signed(), [{ ...other, kid: 'k1' }]), /does not verify/);
    await assert.rejects(verifier().verify({ ...(await signed()), url: `${URL_}&x=1` }, [jwk]), /does not verify/);

    const bare = await signed();
    await assert.rejects(verifier().verify({ ...bare, method: 'POST', body: '{"a":1}' }, [jwk]), /content-digest/);
    const unsigned = await signed();
    delete unsigned.headers['signature'];
    await assert.rejects(verifier().verify(unsigned, [jwk]), /not signed/);
    const withoutAuthorization = await signRequest({ method: 'GET', url: URL_ }, { privateKey, keyId: 'k1' });
    await assert.rejects(verifier().verify({ method: 'GET', url: URL_, headers: { ...withoutAuthorization, authorization: 'GNAP tok' } }, [jwk]), /authorization/);
  });
});
