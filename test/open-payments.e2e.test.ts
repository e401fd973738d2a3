import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpenPaymentsClientError } from '@interledger/open-payments';
import { OpenPaymentsContract, paygridServers, recordResponses, type RecordedResponse } from './support/open-payments-contract';
import { EUR, assertBooksBalance, balances, nonInteractiveGrant, outgoingGrant, startWorld, type OpenPaymentsWorld } from './support/open-payments-world';

/** The client's pagination type also names the wallet address, which it sends from its first argument. */
const page = (p: { first?: number; last?: number; cursor?: string }) => p as never;

/** The whole seed flow with the official client (validateResponses on), every response checked against the bundled specs. */
describe('Open Payments with the official client: incoming payment, quote, interactive outgoing payment', () => {
  let world: OpenPaymentsWorld;
  let recorder: { responses: RecordedResponse[]; restore(): void };
  /** Every client call of the run and its status, for the report. */
  const calls: string[] = [];
  const call = async <T>(label: string, status: number, run: () => Promise<T>): Promise<T> => {
    const result = await run();
    calls.push(`${label} → ${status}`);
    return result;
  };
  const expectError = async (label: string, run: () => Promise<unknown>, status: number, code?: string) => {
    await assert.rejects(run, (e: unknown) => {
      assert.ok(e instanceof OpenPaymentsClientError, String(e));
      assert.equal(e.status, status, `${label}: ${e.description}`);
      if (code) assert.equal(e.code, code, label);
      return true;
    });
    calls.push(`${label} → ${status}${code ? ` ${code}` : ''}`);
  };

  let incomingToken: { value: string; manage: string };
  let incoming: { id: string };
  let quoteToken: string;
  let quote: { id: string };
  let outgoing: Awaited<ReturnType<typeof outgoingGrant>>;

  before(async () => {
    // The client fetches through globalThis.fetch: every response it receives is recorded.
    recorder = recordResponses();
    world = await startWorld({ pia: '100.00' }, { opFeeFixed: 10n, opFeeBasisPoints: 100 });
  });
  after(async () => {
    recorder.restore();
    console.log(`client calls:\n  ${calls.join('\n  ')}`);
    await world?.close();
  });

  it('reads both wallet addresses: authServer and resourceServer are Paygrid’s', async () => {
    const shop = await call('walletAddress.get shop', 200, () => world.app.client.walletAddress.get({ url: world.shop.walletAddress }));
    const pia = await call('walletAddress.get pia', 200, () => world.app.client.walletAddress.get({ url: world.holders.pia.walletAddress }));
    assert.equal(shop.resourceServer, world.resourceServer);
    assert.equal(pia.authServer, world.authServer);
    assert.equal(pia.assetCode, 'EUR');
  });

  it('creates, reads (full and public), lists and pages incoming payments under a non-interactive grant', async () => {
    const grant = await call('grant.request incoming-payment', 200, () =>
      nonInteractiveGrant(world, [{ type: 'incoming-payment', actions: ['create', 'read', 'list', 'complete'] }]),
    );
    incomingToken = grant.access_token!;
    const rs = world.resourceServer;
    incoming = await call('incomingPayment.create', 201, () =>
      world.app.client.incomingPayment.create(
        { url: rs, accessToken: incomingToken.value },
        { walletAddress: world.shop.walletAddress, incomingAmount: EUR('2500'), metadata: { externalRef: 'INV-2026-1' } },
      ),
    );
    assert.match(incoming.id, new RegExp(`^${rs}/incoming-payments/pay_`));
    const full = await call('incomingPayment.get', 200, () => world.app.client.incomingPayment.get({ url: incoming.id, accessToken: incomingToken.value }));
    assert.deepEqual(full.methods, []);
    assert.deepEqual(full.incomingAmount, EUR('2500'));
    assert.deepEqual(full.receivedAmount, EUR('0'));
    assert.equal(full.completed, false);
    assert.deepEqual(full.metadata, { externalRef: 'INV-2026-1' });
    const pub = await call('incomingPayment.getPublic', 200, () => world.app.client.incomingPayment.getPublic({ url: incoming.id }));
    assert.deepEqual(pub, { authServer: world.authServer, receivedAmount: EUR('0') });

    // Two more, to page through three.
    for (const value of ['100', '200']) {
      await call('incomingPayment.create', 201, () =>
        world.app.client.incomingPayment.create({ url: rs, accessToken: incomingToken.value }, { walletAddress: world.shop.walletAddress, incomingAmount: EUR(value) }),
      );
    }
    const first = await call('incomingPayment.list first=2', 200, () =>
      world.app.client.incomingPayment.list({ url: rs, walletAddress: world.shop.walletAddress, accessToken: incomingToken.value }, page({ first: 2 })),
    );
    assert.equal(first.result.length, 2);
    assert.deepEqual([first.pagination.hasNextPage, first.pagination.hasPreviousPage], [true, false]);
    assert.ok(first.result.every((r) => !('methods' in r)));
    const next = await call('incomingPayment.list first=2 cursor', 200, () =>
      world.app.client.incomingPayment.list(
        { url: rs, walletAddress: world.shop.walletAddress, accessToken: incomingToken.value },
        page({ first: 2, cursor: first.pagination.endCursor! }),
      ),
    );
    assert.deepEqual(next.result.map((r) => r.id), [incoming.id], 'newest first: the first one created comes last');
    assert.deepEqual([next.pagination.hasNextPage, next.pagination.hasPreviousPage], [false, true]);
    const back = await call('incomingPayment.list last=2 cursor', 200, () =>
      world.app.client.incomingPayment.list(
        { url: rs, walletAddress: world.shop.walletAddress, accessToken: incomingToken.value },
        page({ last: 2, cursor: next.pagination.startCursor! }),
      ),
    );
    assert.deepEqual(back.result.map((r) => r.id), first.result.map((r) => r.id));
    assert.deepEqual([back.pagination.hasNextPage, back.pagination.hasPreviousPage], [true, false]);
  });

  it('quotes paying the incoming payment from pia’s wallet: receive = what it expects, debit = receive + 10 + 1% rounded up', async () => {
    const grant = await call('grant.request quote', 200, () => nonInteractiveGrant(world, [{ type: 'quote', actions: ['create', 'read'] }]));
    quoteToken = grant.access_token!.value;
    const created = await call('quote.create', 201, () =>
      world.app.client.quote.create({ url: world.resourceServer, accessToken: quoteToken }, { walletAddress: world.holders.pia.walletAddress, receiver: incoming.id, method: 'ilp' }),
    );
    quote = created;
    assert.deepEqual(created.receiveAmount, EUR('2500'));
    assert.deepEqual(created.debitAmount, EUR('2535'));
    assert.equal(created.method, 'ilp');
    assert.equal(created.receiver, incoming.id);
    assert.equal(new Date(created.expiresAt!).getTime(), world.clock.now().getTime() + 300_000, 'expires after the quote lifetime (5 minutes)');
    const read = await call('quote.get', 200, () => world.app.client.quote.get({ url: created.id, accessToken: quoteToken }));
    assert.deepEqual(read, created);
  });

  it('gets an interactive outgoing-payment grant: consent by form posts, finish hash verified, continue', async () => {
    outgoing = await call('grant.request outgoing-payment (interactive) + consent + grant.continue', 200, () =>
      outgoingGrant(world, world.holders.pia, { debitAmount: EUR('5000') }),
    );
    assert.deepEqual((outgoing.grant.access_token!.access[0] as { identifier?: string }).identifier, world.holders.pia.walletAddress);
  });

  it('pays the quote: created, read, listed; the money moved; the incoming payment completed; spent amounts', async () => {
    const token = outgoing.grant.access_token!.value;
    const rs = world.resourceServer;
    const paid = await call('outgoingPayment.create (quoteId)', 201, () =>
      world.app.client.outgoingPayment.create({ url: rs, accessToken: token }, { walletAddress: world.holders.pia.walletAddress, quoteId: quote.id, metadata: { note: 'invoice' } }),
    );
    assert.equal(paid.failed, false);
    assert.deepEqual(paid.debitAmount, EUR('2535'));
    assert.deepEqual(paid.receiveAmount, EUR('2500'));
    assert.deepEqual(paid.sentAmount, EUR('2500'));
    assert.equal(paid.quoteId, quote.id);
    assert.deepEqual(paid.grantSpentDebitAmount, EUR('2535'));
    assert.deepEqual(paid.grantSpentReceiveAmount, EUR('2500'));
    const read = await call('outgoingPayment.get', 200, () => world.app.client.outgoingPayment.get({ url: paid.id, accessToken: token }));
    assert.equal(read.id, paid.id);
    assert.ok(!('grantSpentDebitAmount' in read));
    const list = await call('outgoingPayment.list', 200, () =>
      world.app.client.outgoingPayment.list({ url: rs, walletAddress: world.holders.pia.walletAddress, accessToken: token }, page({ first: 10 })),
    );
    assert.deepEqual(list.result.map((r) => r.id), [paid.id]);
    const spent = await call('outgoingPayment.getGrantSpentAmounts', 200, () => world.app.client.outgoingPayment.getGrantSpentAmounts({ url: rs, accessToken: token }));
    assert.deepEqual(spent, { spentDebitAmount: EUR('2535'), spentReceiveAmount: EUR('2500') });

    const received = await call('incomingPayment.get', 200, () => world.app.client.incomingPayment.get({ url: incoming.id, accessToken: incomingToken.value }));
    assert.equal(received.completed, true);
    assert.deepEqual(received.receivedAmount, EUR('2500'));
    assert.deepEqual(await balances(world, world.holders.pia.accountId), { posted: 10000n - 2535n, reserved: 0n });
    assert.deepEqual(await balances(world, world.shop.accountId), { posted: 2500n, reserved: 0n });
    assert.deepEqual(await balances(world, 'acct_fees_EUR'), { posted: 35n, reserved: 0n });
    await assertBooksBalance(world);

    await expectError('outgoingPayment.create (same quote again)', () =>
      world.app.client.outgoingPayment.create({ url: rs, accessToken: token }, { walletAddress: world.holders.pia.walletAddress, quoteId: quote.id }),
    409, 'invalid_quote');
  });

  it('completes an open incoming payment; rotates and revokes the token; cancels the grant', async () => {
    const rs = world.resourceServer;
    const open = await call('incomingPayment.create (open amount)', 201, () =>
      world.app.client.incomingPayment.create({ url: rs, accessToken: incomingToken.value }, { walletAddress: world.shop.walletAddress }),
    );
    assert.ok(!('incomingAmount' in open));
    const completed = await call('incomingPayment.complete', 200, () => world.app.client.incomingPayment.complete({ url: open.id, accessToken: incomingToken.value }));
    assert.equal(completed.completed, true);

    const rotated = await call('token.rotate', 200, () => world.app.client.token.rotate({ url: incomingToken.manage, accessToken: incomingToken.value }));
    await expectError('incomingPayment.get (rotated-away token)', () => world.app.client.incomingPayment.get({ url: open.id, accessToken: incomingToken.value }), 401);
    await call('incomingPayment.get (rotated token)', 200, () => world.app.client.incomingPayment.get({ url: open.id, accessToken: rotated.access_token.value }));
    await call('token.revoke', 204, () => world.app.client.token.revoke({ url: rotated.access_token.manage, accessToken: rotated.access_token.value }));
    await expectError('incomingPayment.get (revoked token)', () => world.app.client.incomingPayment.get({ url: open.id, accessToken: rotated.access_token.value }), 401);

    await call('grant.cancel', 204, () => world.app.client.grant.cancel({ url: outgoing.grant.continue.uri, accessToken: outgoing.grant.continue.access_token.value }));
    await expectError('outgoingPayment.list (cancelled grant)', () =>
      world.app.client.outgoingPayment.list({ url: rs, walletAddress: world.holders.pia.walletAddress, accessToken: outgoing.grant.access_token!.value }),
    401);
  });

  it('every response of the run matches the bundled OpenAPI specs (Ajv 2020 strict, ajv-formats)', () => {
    const contract = new OpenPaymentsContract();
    const servers = paygridServers(world.server.url);
    const checked = recorder.responses.filter((r) => servers(new URL(r.url)) && !/\/gnap\/(interact|consent)\//.test(r.url)).map((r) => contract.check(r, servers));
    console.log(`contract: ${checked.length} responses\n  ${checked.map((c) => `${c.call} ${c.status} [${c.against}] ${c.errors.length ? `FAIL ${c.errors.join('; ')}` : 'ok'}`).join('\n  ')}`);
    assert.ok(checked.length >= 25, `the run's responses were recorded (${checked.length})`);
    assert.deepEqual(checked.filter((c) => c.errors.length), []);
    // The validator is strict where the client is lax: an extra key on a quote, a null expiresAt, a relative id fail.
    const quoteResponse = recorder.responses.find((r) => r.method === 'POST' && r.url.endsWith('/op/quotes'))!;
    const forged = (change: (body: any) => void) => {
      const body = JSON.parse(quoteResponse.body);
      change(body);
      return contract.check({ ...quoteResponse, body: JSON.stringify(body) }, servers).errors;
    };
    assert.notDeepEqual(forged((b) => (b.estimatedExchangeRate = 1)), []);
    assert.notDeepEqual(forged((b) => (b.expiresAt = null)), []);
    assert.notDeepEqual(forged((b) => (b.id = '/quotes/1')), []);
    assert.notDeepEqual(forged((b) => (b.createdAt = 'yesterday')), []);
  });
});
