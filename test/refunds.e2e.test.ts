import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../src/shared/clock';
import { balance, createPayment, fund, ledgerReport, openAccount, step } from './support/flows';
import { captureOrder, createOrder, orderWorld, refund, type OrderWorld } from './support/lifecycle';
import { startServer, subscribe, usingPostgres, type TestClient, type TestServer } from './support/server';
import { WebhookReceiver } from './support/webhook-receiver';

describe(`refunds of account payments and orders (${usingPostgres ? 'postgresql' : 'sqlite'})`, () => {
  const clock = new ManualClock();
  let server: TestServer;
  let merchant: TestClient;
  let operator: TestClient;
  let buyer: string;
  let seller: string;
  let world: OrderWorld;
  let receiver: WebhookReceiver;

  /** A completed account payment of `amount` from the buyer to the seller. */
  async function completedPayment(amount: string, from = buyer, to = seller): Promise<string> {
    const { payment } = await createPayment(server, merchant, { accountId: from, sellerId: to, requestId: `rq-${Math.random().toString(36).slice(2)}` });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount });
    assert.deepEqual((await step(server, merchant, 'authorizePayment', { paymentId: payment.id })).userErrors, []);
    assert.deepEqual((await step(server, merchant, 'executePayment', { paymentId: payment.id })).userErrors, []);
    return payment.id;
  }

  async function assertBooksBalance(): Promise<void> {
    for (const asset of await ledgerReport(server, operator)) {
      assert.equal(asset.postedSum, '0', `${asset.assetCode} sums to zero`);
      assert.equal(asset.driftingAccounts, 0, `${asset.assetCode} has no drifting account`);
    }
  }

  before(async () => {
    server = await startServer({ clock, config: { schedulerPollMs: 3_600_000 } });
    receiver = await WebhookReceiver.start();
    merchant = await server.client();
    operator = await server.operator();
    buyer = await openAccount(server, merchant, 'EUR', 'buyer');
    seller = await openAccount(server, merchant, 'EUR', 'seller');
    await fund(server, operator, buyer, '100.00');
    world = await orderWorld(server);
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('refunds a completed account payment in parts, then the rest, each a refund transaction; the payment stays completed', async () => {
    const paymentId = await completedPayment('10.00');
    const ws = server.ws(merchant.token);
    const { collector, stop } = subscribe(ws, `subscription($id: ID!) { paymentUpdated(paymentId: $id) { type state flowState data } }`, { id: paymentId });
    // The subscription is live once the server acknowledged it; a read through the same socket is after it.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const first = await refund(server, merchant.token, { paymentId, amount: '3.00', reference: 'damaged box', idempotencyKey: 'refund-a1' });
    assert.deepEqual(first.userErrors, []);
    assert.equal(first.refund.kind, 'REFUND');
    assert.equal(first.refund.state, 'COMPLETED');
    assert.equal(first.refund.amount.value, '300');
    assert.equal(first.refund.reference, 'damaged box');
    assert.deepEqual(
      { state: first.payment.state, flowState: first.payment.flowState, captured: first.payment.capturedAmount.value, refunded: first.payment.refundedAmount.value, status: first.payment.refundStatus },
      { state: 'COMPLETED', flowState: 'completed', captured: '1000', refunded: '300', status: 'PARTIALLY_REFUNDED' },
    );
    assert.deepEqual(await balance(server, merchant, seller), { posted: '700', reserved: '0', available: '700' });

    const replay = await refund(server, merchant.token, { paymentId, amount: '3.0', reference: 'damaged box', idempotencyKey: 'refund-a1' });
    assert.equal(replay.refund.id, first.refund.id, 'the same key replays the first refund');
    const reused = await refund(server, merchant.token, { paymentId, amount: '4.00', idempotencyKey: 'refund-a1' });
    assert.equal(reused.userErrors[0].code, 'IDEMPOTENCY_KEY_REUSED');

    const tooMuch = await refund(server, merchant.token, { paymentId, amount: '7.01' });
    assert.deepEqual(tooMuch.userErrors.map((e: any) => [e.code, e.field]), [['REFUND_EXCEEDS_CAPTURED', ['amount']]]);
    const rest = await refund(server, merchant.token, { paymentId });
    assert.deepEqual(rest.userErrors, []);
    assert.equal(rest.refund.amount.value, '700');
    assert.equal(rest.payment.refundStatus, 'REFUNDED');
    assert.equal(rest.payment.state, 'COMPLETED');
    const more = await refund(server, merchant.token, { paymentId, amount: '0.01' });
    assert.equal(more.userErrors[0].code, 'REFUND_EXCEEDS_CAPTURED');

    const read = await server.ok(merchant.token, `query($id: ID!) { payment(id: $id) { transactions { kind state amount { value } } events { type } } }`, { id: paymentId });
    assert.deepEqual(
      read.payment.transactions.map((t: any) => [t.kind, t.state, t.amount.value]),
      [['PAYMENT', 'COMPLETED', '1000'], ['REFUND', 'COMPLETED', '300'], ['REFUND', 'COMPLETED', '700']],
    );
    assert.deepEqual(read.payment.events.map((e: any) => e.type).slice(-2), ['payment.partially_refunded', 'payment.refunded']);
    await collector.waitFor((c) => c.items.length >= 2);
    assert.deepEqual(collector.items.map((i: any) => [i.paymentUpdated.type, i.paymentUpdated.data.refundStatus]), [
      ['payment.partially_refunded', 'partially_refunded'],
      ['payment.refunded', 'refunded'],
    ]);
    stop();
    assert.deepEqual(await balance(server, merchant, seller), { posted: '0', reserved: '0', available: '0' });
    await assertBooksBalance();
  });

  it('refuses a refund before the money moved (ILLEGAL_TRANSITION), of another client’s payment (NOT_FOUND), and when the receiving account cannot cover it (REFUND_NOT_COVERED)', async () => {
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'pending-refund' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '1.00' });
    const pending = await refund(server, merchant.token, { paymentId: payment.id, amount: '1.00' });
    assert.deepEqual(pending.userErrors.map((e: any) => [e.code, e.field]), [['ILLEGAL_TRANSITION', ['paymentId']]]);
    await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
    const authorized = await refund(server, merchant.token, { paymentId: payment.id });
    assert.equal(authorized.userErrors[0].code, 'ILLEGAL_TRANSITION');

    const paymentId = await completedPayment('5.00');
    const stranger = await server.client();
    const foreign = await refund(server, stranger.token, { paymentId, amount: '1.00' });
    assert.deepEqual(foreign.userErrors.map((e: any) => [e.code, e.field]), [['NOT_FOUND', ['paymentId']]]);

    // The seller pays the money on: nothing is left to pay the refund back from.
    const elsewhere = await openAccount(server, merchant, 'EUR', 'elsewhere');
    await completedPayment('5.00', seller, elsewhere);
    const uncovered = await refund(server, merchant.token, { paymentId, amount: '2.00' });
    assert.deepEqual(uncovered.userErrors.map((e: any) => [e.code, e.field]), [['REFUND_NOT_COVERED', ['amount']]]);
    const read = await server.ok(merchant.token, `query($id: ID!) { payment(id: $id) { refundedAmount { value } refundStatus transactions { kind } } }`, { id: paymentId });
    assert.deepEqual(read.payment, { refundedAmount: { value: '0' }, refundStatus: null, transactions: [{ kind: 'PAYMENT' }] }, 'nothing written');
    await assertBooksBalance();
  });

  it('refunds a captured order, then once completed, with signed callbacks that carry the refund', async () => {
    const created = await createOrder(server, world, '20.00', {}, receiver.url('/iumicash'));
    const orderId = created.order.id;
    assert.equal(created.order.status, 'APPROVED');
    const early = await refund(server, world.vendor.token, { paymentId: orderId, amount: '1.00' });
    assert.equal(early.userErrors[0].code, 'ILLEGAL_TRANSITION', 'an approved order has captured nothing');
    assert.equal((await captureOrder(server, world.vendor.token, orderId)).order.status, 'CAPTURED');

    const part = await refund(server, world.vendor.token, { paymentId: orderId, amount: '5.00' });
    assert.deepEqual(part.userErrors, []);
    assert.equal(part.payment.flowState, 'captured');
    clock.advance(2000);
    await server.app.services.scheduler.runDue();
    const order = await server.ok(world.vendor.token, `query($id: ID!) { order(id: $id) { status refunded { value } refundStatus } }`, { id: orderId });
    assert.deepEqual(order.order, { status: 'COMPLETED', refunded: { value: '500' }, refundStatus: 'PARTIALLY_REFUNDED' });
    const rest = await refund(server, world.vendor.token, { paymentId: orderId });
    assert.equal(rest.refund.amount.value, '1500');
    assert.equal(rest.payment.refundStatus, 'REFUNDED');
    await server.app.services.scheduler.runDue();

    const callbacks = receiver.requests.map((r) => JSON.parse(r.body)).filter((b) => b.id === orderId);
    // The refunds' callbacks, and the completion's between them, which shows the first refund too.
    const refunds = callbacks.filter((b) => b.refund_status !== null);
    assert.deepEqual(refunds.map((b) => [b.status, b.refund_status, b.refunded_total.value]), [
      ['captured', 'partially_refunded', '5.00'],
      ['completed', 'partially_refunded', '5.00'],
      ['completed', 'refunded', '20.00'],
    ]);
    assert.deepEqual(await balance(server, world.vendor, world.till), { posted: '0', reserved: '0', available: '0' });
    await assertBooksBalance();
  });

  it('never refunds more than was captured when 20 refunds of one payment arrive at once', async () => {
    const paymentId = await completedPayment('10.00');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => refund(server, merchant.token, { paymentId, amount: '1.00', idempotencyKey: `race-${i}` })));
    const succeeded = answers.filter((a) => a.userErrors.length === 0);
    const refused = answers.filter((a) => a.userErrors.length > 0);
    assert.equal(succeeded.length, 10);
    assert.deepEqual([...new Set(refused.map((a) => a.userErrors[0].code))], ['REFUND_EXCEEDS_CAPTURED']);
    const read = await server.ok(merchant.token, `query($id: ID!) { payment(id: $id) { refundedAmount { value } refundStatus transactions { kind } } }`, { id: paymentId });
    assert.equal(read.payment.refundedAmount.value, '1000');
    assert.equal(read.payment.refundStatus, 'REFUNDED');
    assert.equal(read.payment.transactions.filter((t: any) => t.kind === 'REFUND').length, 10);
    await assertBooksBalance();
  });
});
