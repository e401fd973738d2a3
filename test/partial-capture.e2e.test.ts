import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { balance, ledgerReport, openAccount } from './support/flows';
import { captureOrder, createOrder, orderWorld, refund, type OrderWorld } from './support/lifecycle';
import { startServer, usingPostgres, type TestServer } from './support/server';

describe(`partial captures of orders and where their money goes (${usingPostgres ? 'postgresql' : 'sqlite'})`, () => {
  let server: TestServer;
  let world: OrderWorld;

  const reservedOnPayer = async () => (await server.app.services.accounts.byIds([world.payerAccount]))[0].reserved;

  async function assertBooksBalance(): Promise<void> {
    for (const asset of await ledgerReport(server, world.operator)) {
      assert.equal(asset.postedSum, '0', `${asset.assetCode} sums to zero`);
      assert.equal(asset.driftingAccounts, 0, `${asset.assetCode} has no drifting account`);
    }
  }

  before(async () => {
    server = await startServer({ config: { schedulerPollMs: 3_600_000 } });
    world = await orderWorld(server, '500.00');
  });
  after(() => server.close());

  it('captures a MULTIPLE order several times, the final capture releasing the rest; a capture after it is refused', async () => {
    const { order } = await createOrder(server, world, '30.00', { captureMode: 'MULTIPLE' });
    assert.equal(order.captureMode, 'MULTIPLE');
    assert.equal(order.beneficiaryAccountId, world.till, 'by default the oldest account of the vendor in the currency');
    const before = await reservedOnPayer();

    const first = await captureOrder(server, world.vendor.token, order.id, { amount: '10.00' });
    assert.deepEqual(first.userErrors, []);
    assert.equal(first.order.status, 'PARTIALLY_CAPTURED');
    assert.equal(first.order.captured.value, '1000');
    assert.equal(await reservedOnPayer(), before - 1000n, 'the rest stays reserved');
    assert.equal((await balance(server, world.vendor, world.till)).posted, '1000');

    const tooMuch = await captureOrder(server, world.vendor.token, order.id, { amount: '20.01' });
    assert.deepEqual(tooMuch.userErrors.map((e: any) => [e.code, e.field]), [['CAPTURE_EXCEEDS_AUTHORIZED', ['amount']]]);

    const last = await captureOrder(server, world.vendor.token, order.id, { amount: '5.00', final: true });
    assert.equal(last.order.status, 'CAPTURED');
    assert.equal(last.order.captured.value, '1500');
    assert.equal(await reservedOnPayer(), before - 3000n, 'the final capture released the rest');
    assert.equal((await balance(server, world.vendor, world.till)).posted, '1500');

    const after = await captureOrder(server, world.vendor.token, order.id, { amount: '1.00' });
    assert.deepEqual(after.userErrors.map((e: any) => [e.code, e.field]), [['ILLEGAL_TRANSITION', ['orderId']]]);

    const read = await server.ok(world.vendor.token, `query($id: ID!) { payment(id: $id) { capturedAmount { value } transactions { kind state amount { value } } } }`, { id: order.id });
    assert.deepEqual(read.payment.transactions.map((t: any) => [t.kind, t.state, t.amount.value]), [['CAPTURE', 'COMPLETED', '1000'], ['CAPTURE', 'COMPLETED', '500']]);
    // A refund is bounded by what was captured, not by the order's total.
    const over = await refund(server, world.vendor.token, { paymentId: order.id, amount: '15.01' });
    assert.equal(over.userErrors[0].code, 'REFUND_EXCEEDS_CAPTURED');
    await assertBooksBalance();
  });

  it('captures in parts on the REST capture link too, with iumiCash-shaped amounts', async () => {
    const { order } = await createOrder(server, world, '9.00', { captureMode: 'MULTIPLE' });
    const post = (body: unknown, requestId?: string) =>
      fetch(`${server.url}/orders/${order.id}/capture`, {
        method: 'POST',
        headers: { authorization: `Bearer ${world.vendor.token}`, 'content-type': 'application/json', ...(requestId ? { RequestId: requestId } : {}) },
        body: JSON.stringify(body),
      });
    const first = await post({ amount: { value: '4.00', currency_code: 'EUR' } }, 'rest-capture-1');
    assert.equal(first.status, 200);
    const document = (await first.json()) as any;
    assert.deepEqual([document.status, document.captured_total, document.capture_mode], ['partially_captured', { value: '4.00', currency_code: 'EUR' }, 'multiple']);
    assert.equal((await post({ amount: { value: '4.00', currency_code: 'EUR' } }, 'rest-capture-1')).status, 200, 'the same RequestId replays');
    const wrong = await post({ amount: { value: '1.00', currency_code: 'USD' } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(((await wrong.json()) as any).field_errors.map((f: any) => f.field), ['amount.currency_code']);
    const bad = await post({ amount: { value: '1.001' } });
    assert.deepEqual(((await bad.json()) as any).field_errors.map((f: any) => f.field), ['amount.value']);
    const last = await post({ amount: { value: '1.00' }, final_capture: true });
    assert.deepEqual(((await last.json()) as any).captured_total, { value: '5.00', currency_code: 'EUR' });
    const read = await server.ok(world.vendor.token, `query($id: ID!) { order(id: $id) { status captured { value } } }`, { id: order.id });
    assert.deepEqual(read.order, { status: 'CAPTURED', captured: { value: '500' } });
    await assertBooksBalance();
  });

  it('captures part of a SINGLE order once: the rest is released at once', async () => {
    const { order } = await createOrder(server, world, '30.00');
    assert.equal(order.captureMode, 'SINGLE');
    const before = await reservedOnPayer();
    const captured = await captureOrder(server, world.vendor.token, order.id, { amount: '12.00' });
    assert.equal(captured.order.status, 'CAPTURED');
    assert.equal(captured.order.captured.value, '1200');
    assert.equal(await reservedOnPayer(), before - 3000n);
    const again = await captureOrder(server, world.vendor.token, order.id, { amount: '1.00' });
    assert.equal(again.userErrors[0].code, 'ILLEGAL_TRANSITION');
    await assertBooksBalance();
  });

  it('pays into the account the order names, which must be one of the vendor’s in the order’s currency', async () => {
    const second = await openAccount(server, world.vendor, 'EUR', 'second till');
    const { order } = await createOrder(server, world, '4.00', { beneficiaryAccountId: second });
    assert.equal(order.beneficiaryAccountId, second);
    await captureOrder(server, world.vendor.token, order.id);
    assert.equal((await balance(server, world.vendor, second)).posted, '400');

    const stranger = await server.client();
    const foreign = await openAccount(server, stranger, 'EUR', 'not yours');
    const refused = await createOrder(server, world, '4.00', { beneficiaryAccountId: foreign });
    assert.deepEqual(refused.userErrors.map((e: any) => [e.code, e.field]), [['NOT_FOUND', ['beneficiaryAccountId']]]);
    const dollars = await openAccount(server, world.vendor, 'USD', 'dollar till');
    const mismatch = await createOrder(server, world, '4.00', { beneficiaryAccountId: dollars });
    assert.deepEqual(mismatch.userErrors.map((e: any) => [e.code, e.field]), [['ASSET_MISMATCH', ['beneficiaryAccountId']]]);
    await assertBooksBalance();
  });

  it('never captures more than was approved when 20 captures of one order arrive at once', async () => {
    const { order } = await createOrder(server, world, '10.00', { captureMode: 'MULTIPLE' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => captureOrder(server, world.vendor.token, order.id, { amount: '1.00' })));
    const succeeded = answers.filter((a) => a.userErrors.length === 0);
    assert.equal(succeeded.length, 10);
    // The tenth took all that was left, so it was the final one; those after it meet a captured order.
    assert.deepEqual([...new Set(answers.filter((a) => a.userErrors.length).map((a) => a.userErrors[0].code))], ['ILLEGAL_TRANSITION']);
    const read = await server.ok(world.vendor.token, `query($id: ID!) { order(id: $id) { status captured { value } } }`, { id: order.id });
    assert.deepEqual(read.order, { status: 'CAPTURED', captured: { value: '1000' } });
    await assertBooksBalance();
  });
});
