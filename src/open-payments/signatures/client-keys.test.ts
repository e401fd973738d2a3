import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../shared/clock';
import type { OutboundRequest, OutboundResponse } from '../../outbound/outbound-http';
import { ClientKeys } from './client-keys';

const CLIENT = 'https://client.example/app';
const KEY = { kid: 'k1', kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };

/** ClientKeys over a fake outbound client that answers from a table and counts the requests. */
function keysWith(answers: Record<string, { status?: number; body: unknown }>, clock = new ManualClock()) {
  const sent: string[] = [];
  const outbound = {
    send: async (request: OutboundRequest): Promise<OutboundResponse> => {
      sent.push(request.url);
      const answer = answers[request.url];
      if (!answer) return { status: 404, headers: {}, body: Buffer.from('{}') };
      const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      return { status: answer.status ?? 200, headers: {}, body: Buffer.from(body) };
    },
  };
  const walletAddresses = { resolve: async () => null };
  return { keys: new ClientKeys(outbound as never, walletAddresses as never, clock, { cacheSeconds: 30 }), sent, answers };
}

describe('client keys fetched from the client’s jwks.json', () => {
  it('accepts {keys:[…]} only, dropping keys that are not Ed25519 JWKs', async () => {
    const { keys } = keysWith({ [`${CLIENT}/jwks.json`]: { body: { keys: [KEY, { kty: 'RSA', kid: 'r' }] } } });
    assert.deepEqual(await keys.keys(CLIENT), [KEY]);
  });

  const refused: Array<[string, { status?: number; body: unknown }]> = [
    ['another top-level member', { body: { keys: [KEY], extra: true } }],
    ['keys not a list', { body: { keys: KEY } }],
    ['a list', { body: [KEY] }],
    ['not JSON', { body: 'keys: k1' }],
    ['a 500', { status: 500, body: { keys: [KEY] } }],
    ['a redirect', { status: 302, body: '' }],
  ];
  for (const [name, answer] of refused) {
    it(`refuses ${name} with invalid_client`, async () => {
      const { keys } = keysWith({ [`${CLIENT}/jwks.json`]: answer });
      await assert.rejects(keys.keys(CLIENT), { code: 'GNAP_INVALID_CLIENT' });
    });
  }

  it('believes a document for the cache time, and fetches again once for a keyid it lacks', async () => {
    const clock = new ManualClock();
    const { keys, sent, answers } = keysWith({ [`${CLIENT}/jwks.json`]: { body: { keys: [KEY] } } }, clock);
    await keys.keys(CLIENT);
    await keys.keysWith(CLIENT, 'k1');
    assert.equal(sent.length, 1);
    answers[`${CLIENT}/jwks.json`] = { body: { keys: [KEY, { ...KEY, kid: 'k2' }] } };
    assert.deepEqual((await keys.keysWith(CLIENT, 'k2')).map((k) => k.kid), ['k1', 'k2']);
    assert.equal(sent.length, 2);
    await keys.keysWith(CLIENT, 'k3');
    assert.equal(sent.length, 3, 'one refetch per unknown keyid');
    clock.advance(31_000);
    await keys.keys(CLIENT);
    assert.equal(sent.length, 4);
  });

  it('reads the client’s public name from its wallet address document', async () => {
    const { keys } = keysWith({
      [CLIENT]: { body: { id: CLIENT, publicName: ' Budget App ', assetCode: 'EUR', assetScale: 2, authServer: 'https://as', resourceServer: 'https://rs' } },
      'https://nameless.example/app': { body: { id: 'x', assetCode: 'EUR', assetScale: 2, authServer: 'https://as' } },
    });
    assert.deepEqual(await keys.walletAddress(CLIENT), { id: CLIENT, publicName: 'Budget App' });
    assert.equal((await keys.walletAddress('https://nameless.example/app')).publicName, null);
    await assert.rejects(keys.walletAddress('https://missing.example/app'), { code: 'GNAP_INVALID_CLIENT' });
  });
});
