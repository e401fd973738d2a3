import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fund, openAccount } from './support/flows';
import { subscribe } from './support/server';
import { assertBooksBalance, balances, startWorld, type OpenPaymentsWorld } from './support/open-payments-world';
import { StatementCounter, listing } from './support/statement-counter';
import { WebhookReceiver } from './support/webhook-receiver';

const IP_FIELDS = 'incomingPayment { id url state completed incomingAmount { value } receivedAmount { value } payment { flow state } } userErrors { code field }';
const OP_FIELDS = 'outgoingPayment { id url state failed debitAmount { value } sentAmount { value } fee { value } payment { flow state events { type } } } userErrors { code field }';

/** Merchants drive the same resources through GraphQL: same services, idempotency keys, subscriptions and webhooks. */
describe('Open Payments resources through GraphQL', () => {
  let world: OpenPaymentsWorld;
  let receiver: WebhookReceiver;
  let buyerWallet: string;
  let buyerAccount: string;
  const key = () => `k-${Math.random().toString(36).slice(2)}`;
  const counter = new StatementCounter();

  before(async () => {
    // Tokens stay cached for the whole suite, so that a token lookup never lands in one count and not another.
    world = await startWorld({}, { opFeeFixed: 5n, opFeeBasisPoints: 0, tokenCacheMs: 3_600_000 }, counter.onQuery);
    receiver = await WebhookReceiver.start();
    await world.server.app.services.initiations.setWebhookUrl(world.merchant.id, receiver.url());
    buyerAccount = await openAccount(world.server, world.merchant, 'EUR', 'Buyer');
    await fund(world.server, world.operator, buyerAccount, '20.00');
    const created = await world.server.ok(
      world.merchant.token,
      `mutation($input: CreateWalletAddressInput!) { createWalletAddress(input: $input) { walletAddress { url } userErrors { code } } }`,
      { input: { accountId: buyerAccount, slug: 'buyer', publicName: 'Buyer' } },
    );
    buyerWallet = created.createWalletAddress.walletAddress.url;
  });
  after(async () => {
    await receiver?.close();
    await world?.close();
  });

  it('creates an incoming payment once per idempotency key, streams its payments, pays it through a quote, and sends the webhooks', async () => {
    const { server, merchant } = world;
    const ws = server.ws(merchant.token);
    const events = subscribe<{ accountPaymentUpdated: { type: string; paymentId: string; state: string } }>(
      ws,
      `subscription($id: ID!) { accountPaymentUpdated(accountId: $id) { type paymentId state } }`,
      { id: world.shop.accountId },
    );
    // The subscription is open once a first event arrives: warm-up incoming payments until one does.
    for (let tries = 0; !events.collector.items.length && tries < 5; tries++) {
      await server.ok(merchant.token, `mutation($input: CreateIncomingPaymentInput!) { createIncomingPayment(input: $input) { userErrors { code } } }`, {
        input: { walletAddress: world.shop.walletAddress, idempotencyKey: key() },
      });
      await events.collector.waitFor((c) => c.items.length > 0, 1000).catch(() => undefined);
    }
    const ipKey = key();
    const create = (incomingAmount: string) =>
      server.ok(merchant.token, `mutation($input: CreateIncomingPaymentInput!) { createIncomingPayment(input: $input) { ${IP_FIELDS} } }`, {
        input: { walletAddress: world.shop.walletAddress, incomingAmount, metadata: { order: 42 }, idempotencyKey: ipKey },
      });
    const first = await create('12.00');
    assert.deepEqual(first.createIncomingPayment.userErrors, []);
    const ip = first.createIncomingPayment.incomingPayment;
    assert.deepEqual([ip.state, ip.completed, ip.incomingAmount.value, ip.payment.flow, ip.payment.state], ['PENDING', false, '1200', 'INCOMING_PAYMENT', 'PENDING']);
    const again = await create('12.00');
    assert.equal(again.createIncomingPayment.incomingPayment.id, ip.id, 'the same key and input: the first answer');
    const other = await create('13.00');
    assert.deepEqual(other.createIncomingPayment.userErrors, [{ code: 'IDEMPOTENCY_KEY_REUSED', field: ['idempotencyKey'] }]);

    const quoted = await server.ok(merchant.token, `mutation($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id url debitAmount { value } receiveAmount { value } fee { value } used } userErrors { code field } } }`, {
      input: { walletAddress: buyerWallet, receiver: ip.url, idempotencyKey: key() },
    });
    assert.deepEqual(quoted.createQuote.userErrors, []);
    const quote = quoted.createQuote.quote;
    assert.deepEqual([quote.receiveAmount.value, quote.fee.value, quote.debitAmount.value, quote.used], ['1200', '5', '1205', false]);

    const payKey = key();
    const pay = () =>
      server.ok(merchant.token, `mutation($input: CreateOutgoingPaymentInput!) { createOutgoingPayment(input: $input) { ${OP_FIELDS} } }`, {
        input: { walletAddress: buyerWallet, quoteId: quote.id, idempotencyKey: payKey },
      });
    const paid = await pay();
    assert.deepEqual(paid.createOutgoingPayment.userErrors, []);
    const op = paid.createOutgoingPayment.outgoingPayment;
    assert.deepEqual([op.state, op.failed, op.debitAmount.value, op.sentAmount.value, op.fee.value], ['COMPLETED', false, '1205', '1200', '5']);
    assert.deepEqual(op.payment.events.map((e: { type: string }) => e.type), ['outgoing_payment.created', 'outgoing_payment.funded', 'outgoing_payment.completed']);
    assert.equal((await pay()).createOutgoingPayment.outgoingPayment.id, op.id, 'a retry with its key is the same payment, not a second');

    const read = await server.ok(merchant.token, `query($id: ID!) { incomingPayment(id: $id) { state completed receivedAmount { value } } quote(id: "${quote.id}") { used } }`, { id: ip.id });
    assert.deepEqual(read.incomingPayment, { state: 'COMPLETED', completed: true, receivedAmount: { value: '1200' } });
    assert.equal(read.quote.used, true);
    const listed = await server.ok(merchant.token, `query($w: String!) { outgoingPayments(walletAddress: $w, first: 10) { nodes { id } pageInfo { hasNextPage } } incomingPayments(walletAddress: "${world.shop.walletAddress}") { nodes { id } } }`, { w: buyerWallet });
    assert.deepEqual(listed.outgoingPayments.nodes.map((n: { id: string }) => n.id), [op.id]);
    assert.equal(listed.incomingPayments.nodes[0].id, ip.id, 'newest first');

    // The existing subscription carries every state change of the shop's payments: created, then paid in full.
    await events.collector.waitFor((c) => c.items.some((i) => i.accountPaymentUpdated.type === 'incoming_payment.completed'));
    const seen = (id: string) => events.collector.items.filter((i) => i.accountPaymentUpdated.paymentId === id).map((i) => i.accountPaymentUpdated.type);
    assert.deepEqual(seen(ip.id), ['incoming_payment.created', 'incoming_payment.completed']);
    assert.deepEqual(seen(op.id), ['outgoing_payment.created', 'outgoing_payment.funded', 'outgoing_payment.completed']);
    events.stop();

    await server.app.services.scheduler.runDue();
    // Every delivery that was due has been attempted once runDue resolves.
    const bodies = receiver.requests.map((r) => JSON.parse(r.body));
    const about = (url: string) => bodies.filter((b) => b.data.id === url).map((b) => b.type);
    assert.deepEqual(about(ip.url).sort(), ['incoming_payment.completed', 'incoming_payment.created']);
    assert.deepEqual(about(op.url).sort(), ['outgoing_payment.completed', 'outgoing_payment.created']);
    const completed = bodies.find((b) => b.type === 'incoming_payment.completed' && b.data.id === ip.url);
    assert.deepEqual([completed.data.completed, completed.data.receivedAmount.value, completed.data.id], [true, '1200', ip.url]);
    assert.ok(receiver.requests.every((r) => r.headers['webhook-signature']), 'signed');

    assert.deepEqual(await balances(world, buyerAccount), { posted: 2000n - 1205n, reserved: 0n });
    await assertBooksBalance(world);
  });

  it('an unfunded payment comes back failed with INSUFFICIENT_FUNDS; completing is for the holder only; another merchant sees nothing', async () => {
    const { server, merchant } = world;
    const ip = (
      await server.ok(merchant.token, `mutation($input: CreateIncomingPaymentInput!) { createIncomingPayment(input: $input) { ${IP_FIELDS} } }`, {
        input: { walletAddress: world.shop.walletAddress, idempotencyKey: key() },
      })
    ).createIncomingPayment.incomingPayment;
    const failed = await server.ok(merchant.token, `mutation($input: CreateOutgoingPaymentInput!) { createOutgoingPayment(input: $input) { ${OP_FIELDS} } }`, {
      input: { walletAddress: buyerWallet, incomingPayment: ip.url, debitAmount: '500.00', idempotencyKey: key() },
    });
    assert.deepEqual(failed.createOutgoingPayment.userErrors, [{ code: 'INSUFFICIENT_FUNDS', field: ['walletAddress'] }]);
    assert.deepEqual([failed.createOutgoingPayment.outgoingPayment.state, failed.createOutgoingPayment.outgoingPayment.failed], ['FAILED', true]);
    assert.deepEqual(await balances(world, buyerAccount), { posted: 2000n - 1205n, reserved: 0n });
    await server.app.services.scheduler.runDue();
    const failedUrl = failed.createOutgoingPayment.outgoingPayment.url;
    const hooks = receiver.requests.map((r) => JSON.parse(r.body)).filter((b) => b.data.id === failedUrl);
    assert.deepEqual(hooks.map((b) => b.type).sort(), ['outgoing_payment.created', 'outgoing_payment.failed']);
    assert.equal(hooks.find((b) => b.type === 'outgoing_payment.failed').data.failed, true);

    const stranger = await server.client(undefined, 'Stranger');
    const asStranger = await server.ok(stranger.token, `mutation($input: CompleteIncomingPaymentInput!) { completeIncomingPayment(input: $input) { ${IP_FIELDS} } }`, {
      input: { id: ip.id, idempotencyKey: key() },
    });
    assert.deepEqual(asStranger.completeIncomingPayment.userErrors, [{ code: 'NOT_FOUND', field: ['id'] }]);
    const theirs = await server.ok(stranger.token, `mutation($input: CreateIncomingPaymentInput!) { createIncomingPayment(input: $input) { ${IP_FIELDS} } }`, {
      input: { walletAddress: world.shop.walletAddress, idempotencyKey: key() },
    });
    assert.deepEqual(theirs.createIncomingPayment.userErrors, [{ code: 'NOT_FOUND', field: ['walletAddress'] }]);
    const peek = await server.ok(stranger.token, `query($id: ID!) { incomingPayment(id: $id) { id } }`, { id: ip.id });
    assert.equal(peek.incomingPayment, null);

    const done = await server.ok(merchant.token, `mutation($input: CompleteIncomingPaymentInput!) { completeIncomingPayment(input: $input) { ${IP_FIELDS} } }`, {
      input: { id: ip.id, idempotencyKey: key() },
    });
    assert.deepEqual([done.completeIncomingPayment.incomingPayment.state, done.completeIncomingPayment.incomingPayment.payment.state], ['COMPLETED', 'COMPLETED']);
    await assertBooksBalance(world);
  });

  it('a page of incoming payments with their unified payments costs the same statements for 2 as for 10', async () => {
    const { server, merchant } = world;
    const services = server.app.services;
    const wallet = (await services.walletAddresses.resolve(world.shop.walletAddress))!;
    for (let i = 0; i < 12; i++) await services.incomingPayments.create({ clientKey: null, grantId: null, clientId: merchant.id }, wallet, {});
    const query = `query($w: String!, $first: Int) { incomingPayments(walletAddress: $w, first: $first) { nodes { id state receivedAmount { value } payment { state events { type } } } pageInfo { hasNextPage } } }`;
    await server.ok(merchant.token, query, { w: world.shop.walletAddress, first: 1 });
    const counts: number[] = [];
    for (const first of [2, 10]) {
      const { result, sql } = await counter.count(() => server.ok(merchant.token, query, { w: world.shop.walletAddress, first }));
      assert.equal(result.incomingPayments.nodes.length, first);
      assert.ok(result.incomingPayments.nodes.every((n: { payment: { events: unknown[] } }) => n.payment.events.length >= 1));
      counts.push(sql.length);
      if (first === 10) assert.equal(sql.length, counts[0], `first: 10 costs what first: 2 costs:\n${listing(sql)}`);
    }
    console.log(`incomingPayments with payment and events: ${counts[0]} statements for 2 and for 10`);
  });
});
