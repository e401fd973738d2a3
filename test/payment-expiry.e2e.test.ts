import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../src/shared/clock';
import { balance, createPayment, fund, ledgerReport, openAccount, step } from './support/flows';
import { captureOrder, createOrder, orderWorld, type OrderWorld } from './support/lifecycle';
import { startServer, usingPostgres, type TestClient, type TestServer } from './support/server';
import { WebhookReceiver } from './support/webhook-receiver';

const MINUTE = 60_000;

describe(`authorizations that lapse are released by the scheduler (${usingPostgres ? 'postgresql' : 'sqlite'})`, () => {
  const clock = new ManualClock();
  let server: TestServer;
  let merchant: TestClient;
  let operator: TestClient;
  let buyer: string;
  let seller: string;
  let world: OrderWorld;
  let receiver: WebhookReceiver;

  async function runDue(ms: number): Promise<void> {
    clock.advance(ms);
    await server.app.services.scheduler.runDue();
  }

  async function assertBooksBalance(): Promise<void> {
    for (const asset of await ledgerReport(server, operator)) {
      assert.equal(asset.postedSum, '0', `${asset.assetCode} sums to zero`);
      assert.equal(asset.driftingAccounts, 0, `${asset.assetCode} has no drifting account`);
    }
  }

  const paymentState = async (id: string, token = merchant.token) =>
    (await server.ok(token, `query($id: ID!) { payment(id: $id) { state flowState authorizationExpiresAt transactions { state } events { type } } }`, { id })).payment;

  before(async () => {
    server = await startServer({
      clock,
      config: { schedulerPollMs: 3_600_000, accountPaymentAuthorizationMinutes: 30, orderAuthorizationMinutes: 60, authorizationSweepSeconds: 60 },
    });
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

  it('expires an account payment authorized and never executed, an approved order never captured, and closes a partially captured order with its captures kept', async () => {
    // Everything is set up first: tokens live an hour of the clock, which the test moves past.
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'lapsing' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '40.00' });
    const authorized = await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
    assert.equal(authorized.payment.state, 'ACCEPTED');
    const executed = (await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'executed-in-time' })).payment.id;
    await step(server, merchant, 'addPaymentTransaction', { paymentId: executed, amount: '1.00' });
    await step(server, merchant, 'authorizePayment', { paymentId: executed });
    await step(server, merchant, 'executePayment', { paymentId: executed });
    assert.equal((await balance(server, merchant, buyer)).available, '5900');

    const reservedBefore = (await server.app.services.accounts.byIds([world.payerAccount]))[0].reserved;
    const idle = (await createOrder(server, world, '15.00', {}, receiver.url('/iumicash'))).order;
    const partial = (await createOrder(server, world, '20.00', { captureMode: 'MULTIPLE' }, receiver.url('/iumicash'))).order;
    assert.ok(idle.authorizationExpiresAt);
    await captureOrder(server, world.vendor.token, partial.id, { amount: '5.00' });
    assert.equal((await server.app.services.accounts.byIds([world.payerAccount]))[0].reserved, reservedBefore + 3000n);

    await runDue(29 * MINUTE);
    assert.equal((await paymentState(payment.id)).flowState, 'authorized', 'not before its time');
    await runDue(2 * MINUTE);
    const expired = await paymentState(payment.id);
    assert.equal(expired.state, 'EXPIRED');
    assert.equal(expired.flowState, 'expired');
    assert.ok(expired.authorizationExpiresAt, 'the deadline it missed stays readable');
    assert.deepEqual(expired.transactions.map((t: any) => t.state), ['REVERTED']);
    assert.equal(expired.events.at(-1).type, 'payment.expired');
    assert.deepEqual(await balance(server, merchant, buyer), { posted: '9900', reserved: '0', available: '9900' });
    assert.equal((await paymentState(executed)).flowState, 'completed', 'an executed payment is not touched');
    const late = await step(server, merchant, 'executePayment', { paymentId: payment.id });
    assert.deepEqual(late.userErrors.map((e: any) => [e.code, e.field]), [['ILLEGAL_TRANSITION', ['paymentId']]]);

    await runDue(30 * MINUTE);
    const vendorToken = await server.token(world.vendor.id, world.vendor.secret);
    const read = async (id: string) => (await server.ok(vendorToken, `query($id: ID!) { order(id: $id) { status captured { value } } }`, { id })).order;
    assert.deepEqual(await read(idle.id), { status: 'EXPIRED', captured: { value: '0' } });
    assert.deepEqual(await read(partial.id), { status: 'CAPTURED', captured: { value: '500' } });
    assert.equal((await server.app.services.accounts.byIds([world.payerAccount]))[0].reserved, reservedBefore, 'both reservations released');
    await runDue(2000);
    assert.equal((await read(partial.id)).status, 'COMPLETED');
    const statuses = receiver.requests.map((r) => JSON.parse(r.body)).filter((b) => b.id === idle.id).map((b) => b.status);
    assert.deepEqual(statuses.sort(), ['approved', 'created', 'expired']);
    const capture = await captureOrder(server, vendorToken, idle.id);
    assert.equal(capture.userErrors[0].code, 'ILLEGAL_TRANSITION', 'an expired order cannot be captured');
    operator = { ...operator, token: await server.token(operator.id, operator.secret) };
    await assertBooksBalance();
  });
});
