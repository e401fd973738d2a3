import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { signatureHeaders } from './signing';

// The Standard Webhooks specification's own example: secret, id, timestamp, body and signature.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SPEC = { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: new Date(1614265330 * 1000), body: '{"test": 2432232314}' };
const SPEC_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

// Expected values below were computed with `openssl dgst -sha256 -hmac <secret>`, not with this code.
const ORDER = '{"id":"ord_1","status":"approved"}';

describe('webhook signing', () => {
  it('makes the Standard Webhooks example signature, whatever the scheme', () => {
    for (const scheme of ['standard', 'iumicash', 'powens'] as const) {
      const headers = signatureHeaders(SECRET, { ...SPEC, url: 'https://merchant.example/hooks', scheme });
      assert.equal(headers['webhook-id'], SPEC.id);
      assert.equal(headers['webhook-timestamp'], '1614265330');
      assert.equal(headers['webhook-signature'], SPEC_SIGNATURE);
    }
  });

  it('adds nothing else for the standard scheme', () => {
    const headers = signatureHeaders(SECRET, { ...SPEC, url: 'https://merchant.example/hooks', scheme: 'standard' });
    assert.deepEqual(Object.keys(headers).sort(), ['webhook-id', 'webhook-signature', 'webhook-timestamp']);
  });

  it('signs the raw body in hex for iumiCash', () => {
    const headers = signatureHeaders(SECRET, { id: 'whd_1', timestamp: SPEC.timestamp, body: ORDER, url: 'https://merchant.example/cb', scheme: 'iumicash' });
    assert.equal(headers['iumicash-signature'], '107df86407ca8684d4aefef3d4144aef2db027ab1cd9ece3fa734ac3106ea52d');
  });

  it('signs method, path, date and body in base64 for Powens', () => {
    const headers = signatureHeaders(SECRET, {
      id: 'whd_1',
      timestamp: new Date('2021-02-25T15:02:10.734Z'),
      body: ORDER,
      url: 'https://merchant.example/hooks/powens?tenant=7',
      scheme: 'powens',
    });
    assert.equal(headers['BI-Signature-Date'], '2021-02-25T15:02:10Z');
    assert.equal(headers['BI-Signature'], 'O0nsNcLp0vjgL98BpgcB/8aocqkDEp1NROqv0ZTei5w=');
  });

  it('is verified by the standardwebhooks package and by a plain HMAC, and fails on one changed byte', () => {
    const secret = `whsec_${Buffer.from('a webhook key of thirty-two bytes').toString('base64')}`;
    const body = JSON.stringify({ amount: '50.90', note: 'déjà payé ✓' });
    const headers = signatureHeaders(secret, { id: 'whd_2', timestamp: new Date(), body, url: 'https://m.example/x', scheme: 'iumicash' });
    assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
    assert.throws(() => new Webhook(secret).verify(body.replace('50.90', '50.91'), headers));
    assert.equal(headers['iumicash-signature'], createHmac('sha256', secret).update(Buffer.from(body, 'utf8')).digest('hex'));
  });
});
