import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { allows, type AccessItem } from './access';
import { isRepeatingInterval, needsInteraction, parseGrantRequest } from './grant-request';
import { finishHash, jwkThumbprint } from './grant.service';

const CLIENT = 'https://client.example/alice';
const WA = 'https://pay.example/wallet/bob';
const req = (access: unknown[], extra: Record<string, unknown> = {}) => ({ client: CLIENT, access_token: { access }, ...extra });
const outgoing = (limits?: unknown) => ({ type: 'outgoing-payment', actions: ['create', 'read'], identifier: WA, ...(limits ? { limits } : {}) });
const eur = (value: string) => ({ value, assetCode: 'EUR', assetScale: 2 });

describe('grant requests: what the AS accepts', () => {
  const refused: Array<[string, unknown, string]> = [
    ['no body', null, 'body'],
    ['subject', { ...req([{ type: 'quote', actions: ['create'] }]), subject: { sub_ids: [] } }, 'subject'],
    ['no access', { client: CLIENT, access_token: {} }, 'access_token.access'],
    ['four items', req([1, 2, 3, 4].map(() => ({ type: 'quote', actions: ['create'] }))), 'access_token.access'],
    ['a repeated item', req([{ type: 'quote', actions: ['create'] }, { type: 'quote', actions: ['create'] }]), 'access_token.access'],
    ['unknown type', req([{ type: 'payout', actions: ['create'] }]), 'access_token.access.0.type'],
    ['no actions', req([{ type: 'quote', actions: [] }]), 'access_token.access.0.actions'],
    ['quote complete', req([{ type: 'quote', actions: ['complete'] }]), 'access_token.access.0.actions'],
    ['outgoing complete', req([{ type: 'outgoing-payment', actions: ['complete'], identifier: WA }]), 'access_token.access.0.actions'],
    ['repeated action', req([{ type: 'quote', actions: ['read', 'read'] }]), 'access_token.access.0.actions'],
    ['outgoing without identifier', req([{ type: 'outgoing-payment', actions: ['create'] }]), 'access_token.access.0.identifier'],
    ['identifier not a URL', req([{ type: 'incoming-payment', actions: ['read'], identifier: 'bob' }]), 'access_token.access.0.identifier'],
    ['limits on quotes', req([{ type: 'quote', actions: ['create'], limits: {} }]), 'access_token.access.0.limits'],
    ['both amounts', req([outgoing({ debitAmount: eur('1'), receiveAmount: eur('1') })]), 'access_token.access.0.limits'],
    ['negative amount', req([outgoing({ debitAmount: eur('-1') })]), 'access_token.access.0.limits.debitAmount.value'],
    ['decimal amount', req([outgoing({ debitAmount: eur('1.5') })]), 'access_token.access.0.limits.debitAmount.value'],
    ['amount over uint64', req([outgoing({ debitAmount: eur('18446744073709551616') })]), 'access_token.access.0.limits.debitAmount.value'],
    ['zero amount', req([outgoing({ debitAmount: eur('0') })]), 'access_token.access.0.limits.debitAmount.value'],
    ['scale 256', req([outgoing({ debitAmount: { value: '1', assetCode: 'EUR', assetScale: 256 } })]), 'access_token.access.0.limits.debitAmount.assetScale'],
    ['interval without R', req([outgoing({ interval: '2026-01-01T00:00:00Z/P1M' })]), 'access_token.access.0.limits.interval'],
    ['interval nonsense', req([outgoing({ interval: 'R/yesterday/P1M' })]), 'access_token.access.0.limits.interval'],
    ['receiver not an incoming payment', req([outgoing({ receiver: 'https://pay.example/quotes/1' })]), 'access_token.access.0.limits.receiver'],
    ['unknown limit', req([outgoing({ maxCount: 3 })]), 'access_token.access.0.limits.maxCount'],
    ['interact without redirect', req([outgoing()], { interact: { start: ['user_code'] } }), 'interact.start'],
    ['finish by push', req([outgoing()], { interact: { start: ['redirect'], finish: { method: 'push', uri: 'https://c.example/r', nonce: 'n' } } }), 'interact.finish.method'],
    ['finish without nonce', req([outgoing()], { interact: { start: ['redirect'], finish: { method: 'redirect', uri: 'https://c.example/r' } } }), 'interact.finish.nonce'],
    ['finish with a fragment', req([outgoing()], { interact: { start: ['redirect'], finish: { method: 'redirect', uri: 'https://c.example/r#x', nonce: 'n' } } }), 'interact.finish.uri'],
  ];
  for (const [name, body, field] of refused) {
    it(`refuses ${name} (${field})`, () => {
      assert.throws(() => parseGrantRequest(body), (e: any) => e.code === 'GNAP_INVALID_REQUEST' && e.field.join('.') === field);
    });
  }

  it('refuses a client of any other shape with invalid_client', () => {
    for (const client of [undefined, 42, 'not a url', { walletAddress: CLIENT, extra: 1 }, { jwk: { kty: 'RSA' } }, { id: CLIENT }]) {
      assert.throws(() => parseGrantRequest({ ...req([{ type: 'quote', actions: ['create'] }]), client }), { code: 'GNAP_INVALID_CLIENT' });
    }
  });

  it('accepts the three client forms, limits and repeating intervals; outgoing payments need interaction', () => {
    const ok = parseGrantRequest(req([outgoing({ debitAmount: eur('500'), interval: 'R12/2019-08-24T14:15:22Z/P1M', receiver: 'https://pay.example/op/incoming-payments/1' })], { interact: { start: ['redirect'] } }));
    assert.deepEqual(ok.client, { walletAddress: CLIENT });
    assert.deepEqual(ok.interact, { finish: null });
    assert.equal(needsInteraction(ok.access), true);
    assert.equal(needsInteraction(parseGrantRequest(req([{ type: 'incoming-payment', actions: ['create'] }])).access), false);
    assert.deepEqual(parseGrantRequest({ ...req([{ type: 'quote', actions: ['create'] }]), client: { walletAddress: CLIENT } }).client, { walletAddress: CLIENT });
    const jwk = { kid: 'k', kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
    assert.deepEqual(parseGrantRequest({ ...req([{ type: 'quote', actions: ['create'] }]), client: { jwk } }).client, { jwk });
    for (const interval of ['R/2026-01-01T00:00:00Z/P1M', 'R11/2022-08-24T14:15:22Z/P1M', 'R-1/P1Y2M10DT2H30M/2022-05-11T15:30:00Z', 'R/2026-01-01T00:00:00Z/2026-02-01T00:00:00Z']) {
      assert.equal(isRepeatingInterval(interval), true, interval);
    }
    for (const interval of ['R', 'R/P1M', 'Rx/2026-01-01T00:00:00Z/P1M', 'R/2026-13-01T00:00:00Z/P1M']) assert.equal(isRepeatingInterval(interval), false, interval);
  });

  it('allows: the action or its -all form, on the item’s wallet address only', () => {
    const access: AccessItem[] = [
      { type: 'incoming-payment', actions: ['read-all', 'create'] },
      { type: 'outgoing-payment', actions: ['create', 'list'], identifier: WA },
    ];
    assert.equal(allows(access, 'incoming-payment', 'read', WA), access[0]);
    assert.equal(allows(access, 'incoming-payment', 'list', WA), null);
    assert.equal(allows(access, 'outgoing-payment', 'create', WA), access[1]);
    assert.equal(allows(access, 'outgoing-payment', 'create', 'https://pay.example/wallet/eve'), null);
    assert.equal(allows(access, 'quote', 'create', WA), null);
  });

  it('computes the finish hash over the four lines, base64url without padding, and the RFC 7638 thumbprint', () => {
    const expected = createHash('sha256').update('c-nonce\nas-nonce\nref\nhttps://pay.example/gnap').digest('base64url');
    assert.equal(finishHash('c-nonce', 'as-nonce', 'ref', 'https://pay.example/gnap'), expected);
    assert.doesNotMatch(expected, /[+/=]/);
    // RFC 8037 appendix A.3: the thumbprint of its Ed25519 example key.
    assert.equal(jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });
});
