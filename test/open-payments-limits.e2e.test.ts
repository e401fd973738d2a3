import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHeaders } from '@interledger/http-signature-utils';
import { OpenPaymentsClientError } from '@interledger/open-payments';
import { startOpenPaymentsClient, type OpenPaymentsTestClient } from './support/open-payments-client';
import { EUR, assertBooksBalance, balances, nonInteractiveGrant, outgoingGrant, startWorld, type OpenPaymentsWorld } from './support/open-payments-world';

const page = (p: Record<string, unknown>) => p as never;

async function refused(run: () => Promise<unknown>, status: number, code?: string): Promise<OpenPaymentsClientError> {
  let caught: OpenPaymentsClientError | undefined;
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof OpenPaymentsClientError, String(e));
    caught = e;
    return true;
  });
  assert.equal(caught!.status, status, caught!.description);
  if (code) assert.equal(caught!.code, code, caught!.description);
  return caught!;
}

describe('Open Payments resource server: limits, concurrency, and what goes wrong', () => {
  let world: OpenPaymentsWorld;
  let incomingToken: string;
  let quoteToken: string;
  const rs = () => world.resourceServer;
  // Each body differs: two identical requests signed in the same second are one signature, refused as a replay.
  let serial = 0;
  const createIncoming = (body: Record<string, unknown>) =>
    world.app.client.incomingPayment.create({ url: rs(), accessToken: incomingToken }, { walletAddress: world.shop.walletAddress, metadata: { serial: ++serial }, ...body } as never);

  before(async () => {
    // Tokens outlive the clock's jumps (an interval window, a quote's lifetime).
    world = await startWorld({ pia: '100.00', olga: '5.00', max: '100.00', ivy: '100.00' }, { gnapAccessTokenSeconds: 3600 });
    incomingToken = (await nonInteractiveGrant(world, [{ type: 'incoming-payment', actions: ['create', 'read', 'list', 'complete'] }])).access_token!.value;
    quoteToken = (await nonInteractiveGrant(world, [{ type: 'quote', actions: ['create', 'read'] }])).access_token!.value;
  });
  after(() => world?.close());

  it('20 concurrent outgoing payments under one grant never spend past its limit', async () => {
    const open = await createIncoming({});
    const { grant } = await outgoingGrant(world, world.holders.pia, { debitAmount: EUR('5000') });
    const token = grant.access_token!.value;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        world.app.client.outgoingPayment.create(
          { url: rs(), accessToken: token },
          { walletAddress: world.holders.pia.walletAddress, incomingPayment: open.id, debitAmount: EUR('1000'), metadata: { attempt: i } },
        ),
      ),
    );
    const created = results.filter((r) => r.status === 'fulfilled');
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    console.log(`grant limit 50.00 EUR, 20 concurrent payments of 10.00: ${created.length} created, ${refusals.length} refused (${[...new Set(refusals.map((r) => `${r.reason.status} ${r.reason.code}`))].join(', ')})`);
    assert.equal(created.length, 5);
    for (const r of refusals) assert.deepEqual([r.reason.status, r.reason.code], [403, 'insufficient_grant']);
    const spent = await world.app.client.outgoingPayment.getGrantSpentAmounts({ url: rs(), accessToken: token });
    assert.deepEqual(spent, { spentDebitAmount: EUR('5000'), spentReceiveAmount: EUR('5000') });
    assert.deepEqual(await balances(world, world.holders.pia.accountId), { posted: 5000n, reserved: 0n });
    const received = await world.app.client.incomingPayment.get({ url: open.id, accessToken: incomingToken });
    assert.deepEqual(received.receivedAmount, EUR('5000'));
    assert.equal(received.completed, false, 'an open amount never completes by itself');
    await assertBooksBalance(world);
  });

  it('a payment that cannot be funded fails cleanly: nothing moved, nothing reserved, its grant spend given back', async () => {
    const invoice = await createIncoming({ incomingAmount: EUR('1000') });
    const { grant } = await outgoingGrant(world, world.holders.olga, { debitAmount: EUR('5000') });
    const token = grant.access_token!.value;
    const before = await balances(world, world.holders.olga.accountId);
    const payment = await world.app.client.outgoingPayment.create(
      { url: rs(), accessToken: token },
      { walletAddress: world.holders.olga.walletAddress, incomingPayment: invoice.id, debitAmount: EUR('1000') },
    );
    assert.equal(payment.failed, true);
    assert.deepEqual(payment.sentAmount, EUR('0'));
    assert.deepEqual(await balances(world, world.holders.olga.accountId), before);
    assert.deepEqual(await world.app.client.outgoingPayment.getGrantSpentAmounts({ url: rs(), accessToken: token }), { spentDebitAmount: null, spentReceiveAmount: null });
    const unpaid = await world.app.client.incomingPayment.get({ url: invoice.id, accessToken: incomingToken });
    assert.deepEqual(unpaid.receivedAmount, EUR('0'));
    await assertBooksBalance(world);
  });

  it('refuses another wallet address’s payments under a grant for one wallet address, and what passes the receiver limit', async () => {
    const invoice = await createIncoming({ incomingAmount: EUR('100') });
    const other = await createIncoming({ incomingAmount: EUR('100') });
    const { grant } = await outgoingGrant(world, world.holders.max, { receiver: invoice.id, debitAmount: EUR('1000') });
    const token = grant.access_token!.value;
    await refused(
      () => world.app.client.outgoingPayment.create({ url: rs(), accessToken: token }, { walletAddress: world.holders.pia.walletAddress, incomingPayment: invoice.id, debitAmount: EUR('100') }),
      403,
      'insufficient_grant',
    );
    await refused(
      () => world.app.client.outgoingPayment.list({ url: rs(), walletAddress: world.holders.pia.walletAddress, accessToken: token }),
      403,
      'insufficient_grant',
    );
    await refused(
      () => world.app.client.outgoingPayment.create({ url: rs(), accessToken: token }, { walletAddress: world.holders.max.walletAddress, incomingPayment: other.id, debitAmount: EUR('100') }),
      403,
      'insufficient_grant',
    );
    const paid = await world.app.client.outgoingPayment.create({ url: rs(), accessToken: token }, { walletAddress: world.holders.max.walletAddress, incomingPayment: invoice.id, debitAmount: EUR('100') });
    assert.equal(paid.failed, false);
    // An incoming-payment token is not an outgoing-payment one.
    await refused(() => world.app.client.outgoingPayment.get({ url: paid.id, accessToken: incomingToken }), 403, 'insufficient_grant');
  });

  it('limits count per interval window: a new window starts from nothing', async () => {
    const open = await createIncoming({});
    const start = new Date(world.clock.now().getTime() - 60_000).toISOString();
    const { grant } = await outgoingGrant(world, world.holders.ivy, { debitAmount: EUR('1000'), interval: `R/${start}/PT10M` });
    const token = grant.access_token!.value;
    const pay = (n: number) =>
      world.app.client.outgoingPayment.create(
        { url: rs(), accessToken: token },
        { walletAddress: world.holders.ivy.walletAddress, incomingPayment: open.id, debitAmount: EUR('1000'), metadata: { n } },
      );
    await pay(1);
    await refused(() => pay(2), 403, 'insufficient_grant');
    world.clock.advance(10 * 60_000);
    assert.deepEqual(await world.app.client.outgoingPayment.getGrantSpentAmounts({ url: rs(), accessToken: token }), { spentDebitAmount: null, spentReceiveAmount: null });
    const next = await pay(3);
    assert.deepEqual(next.grantSpentDebitAmount, EUR('1000'));
    assert.deepEqual(await balances(world, world.holders.ivy.accountId), { posted: 10000n - 2000n, reserved: 0n });
  });

  it('an Idempotency-Key makes a retried create answer the first payment; with another body it is refused', async () => {
    const invoice = await createIncoming({ incomingAmount: EUR('300') });
    const { grant } = await outgoingGrant(world, world.holders.pia, { debitAmount: EUR('1000') });
    const token = grant.access_token!.value;
    const url = `${rs()}/outgoing-payments`;
    // Signed as the official client signs (the client itself sends no extra header).
    const send = async (key: string, debit: string) => {
      const body = JSON.stringify({ walletAddress: world.holders.pia.walletAddress, incomingPayment: invoice.id, debitAmount: EUR(debit) });
      const headers = { 'content-type': 'application/json', authorization: `GNAP ${token}`, 'idempotency-key': key };
      const signed = await createHeaders({ request: { method: 'POST', url, headers, body }, privateKey: world.app.privateKey, keyId: world.app.keyId });
      // The signer returns Content-Type (and the digest, the length) itself.
      const response = await fetch(url, { method: 'POST', headers: { authorization: headers.authorization, 'idempotency-key': key, ...signed }, body });
      return { status: response.status, json: (await response.json()) as any };
    };
    const first = await send('retry-1', '100');
    assert.equal(first.status, 201, JSON.stringify(first.json));
    // A retry comes later: the very same request signed within the same second would be a replay.
    await sleep(1100);
    const again = await send('retry-1', '100');
    assert.deepEqual([again.status, again.json.id], [201, first.json.id]);
    const changed = await send('retry-1', '200');
    assert.deepEqual([changed.status, changed.json.error.code], [409, 'invalid_request']);
    const received = await world.app.client.incomingPayment.get({ url: invoice.id, accessToken: incomingToken });
    assert.deepEqual(received.receivedAmount, EUR('100'), 'paid once');
  });

  it('a grant whose interval has not started allows nothing yet', async () => {
    const invoice = await createIncoming({ incomingAmount: EUR('100') });
    const { grant } = await outgoingGrant(world, world.holders.max, { debitAmount: EUR('1000'), interval: 'R/2099-01-01T00:00:00Z/P1M' });
    await refused(
      () =>
        world.app.client.outgoingPayment.create(
          { url: rs(), accessToken: grant.access_token!.value },
          { walletAddress: world.holders.max.walletAddress, incomingPayment: invoice.id, debitAmount: EUR('100') },
        ),
      403,
      'insufficient_grant',
    );
  });

  it('reads only its own resources under read (not read-all), and lists only those', async () => {
    let other: OpenPaymentsTestClient | undefined;
    try {
      other = await startOpenPaymentsClient({ publicName: 'Other App' });
      const ours = await createIncoming({ incomingAmount: EUR('300') });
      const grant = await other.client.grant.request({ url: world.authServer }, { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read', 'list'] }] } });
      const token = (grant as { access_token: { value: string } }).access_token.value;
      await refused(() => other!.client.incomingPayment.get({ url: ours.id, accessToken: token }), 404, 'not_found');
      const theirs = await other.client.incomingPayment.create({ url: rs(), accessToken: token }, { walletAddress: world.shop.walletAddress, incomingAmount: EUR('1') });
      const listed = await other.client.incomingPayment.list({ url: rs(), walletAddress: world.shop.walletAddress, accessToken: token });
      assert.deepEqual(listed.result.map((r) => r.id), [theirs.id]);
      const all = await other.client.grant.request({ url: world.authServer }, { access_token: { access: [{ type: 'incoming-payment', actions: ['read-all', 'list-all'] }] } });
      const allToken = (all as { access_token: { value: string } }).access_token.value;
      assert.equal((await other.client.incomingPayment.get({ url: ours.id, accessToken: allToken })).id, ours.id);
      assert.ok((await other.client.incomingPayment.list({ url: rs(), walletAddress: world.shop.walletAddress, accessToken: allToken }, page({ first: 100 }))).result.length > 1);
    } finally {
      await other?.close();
    }
  });

  it('an expired quote, or one of another wallet address, pays nothing', async () => {
    const invoice = await createIncoming({ incomingAmount: EUR('100') });
    const quote = await world.app.client.quote.create({ url: rs(), accessToken: quoteToken }, { walletAddress: world.holders.max.walletAddress, receiver: invoice.id, method: 'ilp' });
    const { grant } = await outgoingGrant(world, world.holders.pia, { debitAmount: EUR('1000') });
    await refused(
      () => world.app.client.outgoingPayment.create({ url: rs(), accessToken: grant.access_token!.value }, { walletAddress: world.holders.pia.walletAddress, quoteId: quote.id }),
      400,
      'invalid_quote',
    );
    const mine = await world.app.client.quote.create({ url: rs(), accessToken: quoteToken }, { walletAddress: world.holders.pia.walletAddress, receiver: invoice.id, method: 'ilp' });
    world.clock.advance(301_000);
    await refused(
      () => world.app.client.outgoingPayment.create({ url: rs(), accessToken: grant.access_token!.value }, { walletAddress: world.holders.pia.walletAddress, quoteId: mine.id }),
      400,
      'invalid_quote',
    );
    await assertBooksBalance(world);
  });

  it('refuses bad amounts, another asset, both amounts, bad expiries and oversized metadata (400 invalid_request)', async () => {
    for (const value of ['-1', '1.5', 'abc', '0', '99999999999999999999']) {
      await refused(() => createIncoming({ incomingAmount: EUR(value) }), 400, 'invalid_request');
    }
    await refused(() => createIncoming({ incomingAmount: { value: '100', assetCode: 'USD', assetScale: 2 } }), 400, 'invalid_request');
    await refused(() => createIncoming({ incomingAmount: { value: '100', assetCode: 'EUR', assetScale: 3 } }), 400, 'invalid_request');
    await refused(() => createIncoming({ expiresAt: new Date(world.clock.now().getTime() - 1000).toISOString() }), 400, 'invalid_request');
    await refused(() => createIncoming({ expiresAt: new Date(world.clock.now().getTime() + 31 * 86_400_000).toISOString() }), 400, 'invalid_request');
    await refused(() => createIncoming({ metadata: { note: 'x'.repeat(3000) } }), 400, 'invalid_request');
    await refused(() => createIncoming({ walletAddress: `${world.server.url}/wallet/nobody` }), 404, 'not_found');

    const invoice = await createIncoming({ incomingAmount: EUR('100') });
    const quote = (body: Record<string, unknown>) =>
      world.app.client.quote.create({ url: rs(), accessToken: quoteToken }, { walletAddress: world.holders.pia.walletAddress, receiver: invoice.id, method: 'ilp', ...body } as never);
    await refused(() => quote({ debitAmount: { value: '100', assetCode: 'USD', assetScale: 2 } }), 400, 'invalid_request');
    await refused(() => quote({ debitAmount: EUR('100'), receiveAmount: EUR('100') }), 400, 'invalid_request');
    await refused(() => quote({ receiveAmount: EUR('101') }), 400, 'invalid_request');
    await refused(() => quote({ receiver: `${rs()}/incoming-payments/pay_nothing` }), 400, 'invalid_receiver');
    await refused(() => quote({ receiver: 'https://elsewhere.example/incoming-payments/1' }), 400, 'invalid_receiver');
    const open = await createIncoming({});
    await refused(
      () => world.app.client.quote.create({ url: rs(), accessToken: quoteToken }, { walletAddress: world.holders.pia.walletAddress, receiver: open.id, method: 'ilp' }),
      400,
      'invalid_request',
    );
  });

  it('pages lists only within 1–100, a cursor it issued, and last only with a cursor', async () => {
    const list = (p: Record<string, unknown>) => world.app.client.incomingPayment.list({ url: rs(), walletAddress: world.shop.walletAddress, accessToken: incomingToken }, page(p));
    for (const bad of [{ first: 101 }, { last: 5 }, { first: 5, last: 5, cursor: 'x' }, { first: 5, cursor: 'bm90LWEtY3Vyc29y' }]) {
      await refused(() => list(bad), 400, 'invalid_request').catch((e) => assert.fail(`${JSON.stringify(bad)}: ${e}`));
    }
    // The client leaves out a falsy first; sent as is, 0 is refused.
    const zero = await fetch(`${rs()}/incoming-payments?first=0&wallet-address=${encodeURIComponent(world.shop.walletAddress)}`);
    assert.equal(zero.status, 401, 'unauthenticated before anything else');
    const all = await list({ first: 100 });
    assert.ok(all.result.length >= 5);
    assert.equal(all.pagination.hasNextPage, false);
    const last = await list({ first: 1, cursor: all.pagination.endCursor });
    assert.deepEqual([last.result.length, last.pagination.hasNextPage, last.pagination.hasPreviousPage], [0, false, true]);
  });

  it('answers without a token: 401 with WWW-Authenticate, except the public incoming-payment read; completed and expired receivers are refused', async () => {
    const response = await fetch(`${rs()}/incoming-payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ walletAddress: world.shop.walletAddress }) });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^GNAP as_uri=/);
    assert.equal(((await response.json()) as any).error.code, 'invalid_token');
    assert.equal((await fetch(`${rs()}/incoming-payments/pay_nothing`)).status, 404);

    const soon = await createIncoming({ incomingAmount: EUR('100'), expiresAt: new Date(world.clock.now().getTime() + 60_000).toISOString() });
    const done = await createIncoming({ incomingAmount: EUR('100') });
    await world.app.client.incomingPayment.complete({ url: done.id, accessToken: incomingToken });
    world.clock.advance(61_000);
    await world.server.app.services.scheduler.runDue();
    const id = soon.id.split('/').pop()!;
    const merchantView = await world.server.ok(world.merchant.token, `query($id: ID!) { incomingPayment(id: $id) { state completed payment { flow state events { type } } } }`, { id });
    assert.deepEqual(merchantView.incomingPayment.state, 'EXPIRED');
    assert.deepEqual(merchantView.incomingPayment.payment.flow, 'INCOMING_PAYMENT');
    assert.deepEqual(merchantView.incomingPayment.payment.events.map((e: { type: string }) => e.type), ['incoming_payment.created', 'incoming_payment.expired']);
    for (const receiver of [soon.id, done.id]) {
      await refused(
        () => world.app.client.quote.create({ url: rs(), accessToken: quoteToken }, { walletAddress: world.holders.pia.walletAddress, receiver, method: 'ilp', debitAmount: EUR('10') }),
        400,
        'invalid_receiver',
      );
    }
  });
});
