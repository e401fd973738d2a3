import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateJwk } from './jwk';

const GOOD = { kid: 'key-1', kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };

describe('Ed25519 public JWKs', () => {
  it('accepts the spec’s json-web-key and keeps only its members', () => {
    assert.deepEqual(validateJwk({ ...GOOD, use: 'sig', ext: true }, 'jwk'), { ...GOOD, use: 'sig' });
    assert.deepEqual(validateJwk({ ...GOOD, use: null }, 'jwk'), GOOD);
  });
  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['RSA', { kty: 'RSA' }, 'kty'],
    ['X25519', { crv: 'X25519' }, 'crv'],
    ['ES256', { alg: 'ES256' }, 'alg'],
    ['short x', { x: 'abc' }, 'x'],
    ['x with padding', { x: `${GOOD.x.slice(0, 42)}=` }, 'x'],
    ['x in base64', { x: `${GOOD.x.slice(0, 42)}+` }, 'x'],
    ['empty kid', { kid: '' }, 'kid'],
    ['kid with a space', { kid: 'a b' }, 'kid'],
    ['use enc', { use: 'enc' }, 'use'],
    ['a private key', { d: GOOD.x }, 'd'],
  ];
  for (const [name, change, member] of bad) {
    it(`refuses ${name}`, () => assert.throws(() => validateJwk({ ...GOOD, ...change }, 'jwk'), (e: any) => e.code === 'JWK_INVALID' && e.field.join('.') === `jwk.${member}`));
  }
  it('refuses what is not an object', () => {
    for (const value of [null, 'key', [GOOD]]) assert.throws(() => validateJwk(value, 'jwk'), { code: 'JWK_INVALID' });
  });
});
