import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { balance, createPayment, fund, ledgerReport, openAccount, step } from './support/flows';
import { startServer, type TestClient, type TestServer } from './support/server';

describe('account payments (reference 004) over GraphQL', () => {
  let server: TestServer;
  let merchant: TestClient;
  let operator: TestClient;
  let buyer: string;
  let seller: string;

  before(async () => {
    server = await startServer();
    merchant = await server.client();
    operator = await server.operator();
    buyer = await openAccount(server, merchant, 'EUR', 'buyer');
    seller = await openAccount(server, merchant, 'EUR', 'seller');
    await fund(server, operator, buyer, '100.00');
  });
  after(() => server.close());

  it('creates, adds transactions, authorizes and executes, moving exactly the total', async () => {
    const created = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'flow-1', reference: 'order 1' });
    assert.deepEqual(created.userErrors, []);
    assert.equal(created.payment.state, 'PENDING');
    assert.equal(created.payment.requestId, 'flow-1');
    const paymentId = created.payment.id;
    assert.match(paymentId, /^pay_/);

    const first = await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '50.90', idempotencyKey: 't1' });
    assert.equal(first.transaction.state, 'PENDING');
    assert.equal(first.transaction.amount.value, '5090');
    const second = await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '9.1', idempotencyKey: 't2' });
    assert.equal(second.payment.amount.formatted, '60.00');

    const authorized = await step(server, merchant, 'authorizePayment', { paymentId });
    assert.deepEqual(authorized.userErrors, []);
    assert.equal(authorized.payment.flowState, 'authorized');
    assert.deepEqual(await balance(server, merchant, buyer), { posted: '10000', reserved: '6000', available: '4000' });

    const late = await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '1.00', idempotencyKey: 't3' });
    assert.equal(late.userErrors[0].code, 'ILLEGAL_TRANSITION');

    const executed = await step(server, merchant, 'executePayment', { paymentId });
    assert.equal(executed.payment.state, 'COMPLETED');
    assert.deepEqual(await balance(server, merchant, buyer), { posted: '4000', reserved: '0', available: '4000' });
    assert.deepEqual(await balance(server, merchant, seller), { posted: '6000', reserved: '0', available: '6000' });

    const again = await step(server, merchant, 'executePayment', { paymentId });
    assert.equal(again.userErrors[0].code, 'ILLEGAL_TRANSITION');
    assert.deepEqual(again.userErrors[0].field, ['paymentId']);

    const read = await server.ok(
      merchant.token,
      `query($id: ID!) { payment(id: $id) { state transactions { state emittedAt updatedAt } events { sequence type state } } }`,
      { id: paymentId },
    );
    assert.deepEqual(read.payment.transactions.map((t: any) => t.state), ['COMPLETED', 'COMPLETED']);
    assert.deepEqual(
      read.payment.events.map((e: any) => `${e.sequence}:${e.type}`),
      ['1:payment.created', '2:payment.transaction_added', '3:payment.transaction_added', '4:payment.authorized', '5:payment.completed'],
    );
    const report = await ledgerReport(server, operator);
    assert.deepEqual(report, [{ assetCode: 'EUR', accounts: 3, postedSum: '0', driftingAccounts: 0 }]);
  });

  it('declines an authorization the buyer cannot cover, and records it', async () => {
    const poor = await openAccount(server, merchant);
    await fund(server, operator, poor, '5.00');
    const { payment } = await createPayment(server, merchant, { accountId: poor, sellerId: seller, requestId: 'decline-1' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '5.01', idempotencyKey: 'd1' });
    const declined = await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
    assert.equal(declined.userErrors[0].code, 'INSUFFICIENT_FUNDS');
    assert.equal(declined.payment.state, 'REJECTED');
    assert.equal(declined.payment.flowState, 'declined');
    assert.deepEqual(await balance(server, merchant, poor), { posted: '500', reserved: '0', available: '500' });
    const read = await server.ok(merchant.token, `query($id: ID!) { payment(id: $id) { transactions { state } } }`, { id: payment.id });
    assert.deepEqual(read.payment.transactions, [{ state: 'DECLINED' }]);
    const retry = await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
    assert.equal(retry.userErrors[0].code, 'ILLEGAL_TRANSITION');
  });

  it('cancels a transaction after authorization and releases only its reservation', async () => {
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'cancel-tx' });
    const a = await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '10.00', idempotencyKey: 'c1' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '5.00', idempotencyKey: 'c2' });
    await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
    assert.equal((await balance(server, merchant, buyer)).reserved, '1500');
    const cancelled = await step(server, merchant, 'cancelPaymentTransaction', { paymentId: payment.id, transactionId: a.transaction.id });
    assert.equal(cancelled.transaction.state, 'REVERTED');
    assert.equal(cancelled.payment.amount.value, '500');
    assert.equal((await balance(server, merchant, buyer)).reserved, '500');
    const twice = await step(server, merchant, 'cancelPaymentTransaction', { paymentId: payment.id, transactionId: a.transaction.id });
    assert.equal(twice.userErrors[0].code, 'ILLEGAL_TRANSITION');
    const whole = await step(server, merchant, 'cancelPayment', { paymentId: payment.id });
    assert.equal(whole.payment.state, 'CANCELLED');
    assert.equal((await balance(server, merchant, buyer)).reserved, '0');
    const execute = await step(server, merchant, 'executePayment', { paymentId: payment.id });
    assert.equal(execute.userErrors[0].code, 'ILLEGAL_TRANSITION');
  });

  it('refuses to authorize or execute a payment with nothing in it', async () => {
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'empty' });
    const result = await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
    assert.equal(result.userErrors[0].code, 'PAYMENT_EMPTY');
  });

  it('refuses bad input with a code and the field, writing nothing', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ currency: 'EURO' }, 'CURRENCY_UNKNOWN', 'currency'],
      [{ currency: 'eur' }, 'CURRENCY_UNKNOWN', 'currency'],
      [{ currency: 'USD' }, 'ASSET_MISMATCH', 'currency'],
      [{ requestId: 'x'.repeat(41) }, 'REQUEST_ID_INVALID', 'requestId'],
      [{ requestId: '' }, 'REQUEST_ID_INVALID', 'requestId'],
      [{ sellerId: 'acct_nope' }, 'NOT_FOUND', 'sellerId'],
      [{ sellerId: buyer }, 'SAME_ACCOUNT', 'sellerId'],
      [{ accountId: 'acct_nope' }, 'NOT_FOUND', 'accountId'],
      [{ reference: 'r'.repeat(141) }, 'REFERENCE_TOO_LONG', 'reference'],
    ];
    for (const [override, code, field] of cases) {
      const result = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: `bad-${code}-${field}`, ...override } as any);
      assert.equal(result.payment, null, code);
      assert.equal(result.userErrors[0].code, code, JSON.stringify(override));
      assert.deepEqual(result.userErrors[0].field, [field]);
    }
    const usd = await openAccount(server, merchant, 'USD');
    const mismatch = await createPayment(server, merchant, { accountId: buyer, sellerId: usd, requestId: 'usd-seller' });
    assert.equal(mismatch.userErrors[0].code, 'ASSET_MISMATCH');
    assert.deepEqual(mismatch.userErrors[0].field, ['sellerId']);

    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'amounts' });
    const amounts: Array<[string, string]> = [
      ['0', 'AMOUNT_NOT_POSITIVE'],
      ['0.00', 'AMOUNT_NOT_POSITIVE'],
      ['-1.00', 'AMOUNT_NOT_POSITIVE'],
      ['1.001', 'AMOUNT_TOO_PRECISE'],
      ['1e3', 'AMOUNT_INVALID'],
      ['12,50', 'AMOUNT_INVALID'],
      ['', 'AMOUNT_INVALID'],
      ['92233720368547758.08', 'AMOUNT_TOO_LARGE'],
    ];
    for (const [amount, code] of amounts) {
      const result = await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount, idempotencyKey: `amt-${amount}` });
      assert.equal(result.userErrors[0]?.code, code, amount);
      assert.deepEqual(result.userErrors[0].field, ['amount']);
    }
    const read = await server.ok(merchant.token, `query($id: ID!) { payment(id: $id) { amount { value } transactions { id } lastSequence } }`, { id: payment.id });
    assert.deepEqual(read.payment, { amount: { value: '0' }, transactions: [], lastSequence: 1 });

    const created = await server.ok(merchant.token, `mutation { createAccount(input: { assetCode: "JPY", assetScale: 2 }) { account { id } userErrors { code field } } }`);
    assert.deepEqual(created.createAccount.userErrors, [{ code: 'ASSET_SCALE_MISMATCH', field: ['assetScale'] }]);
  });

  it('holds the largest int64 amount exactly', async () => {
    // A currency of its own: the settlement account mirrors every deposit, so it must start at zero.
    const rich = await openAccount(server, merchant, 'GBP');
    const sink = await openAccount(server, merchant, 'GBP');
    await fund(server, operator, rich, '92233720368547758.07');
    assert.equal((await balance(server, merchant, rich)).posted, '9223372036854775807');
    const over = await server.ok(
      operator.token,
      `mutation($input: FundAccountInput!) { fundAccount(input: $input) { userErrors { code field } } }`,
      { input: { accountId: rich, amount: '0.01', idempotencyKey: 'overflow' } },
    );
    assert.deepEqual(over.fundAccount.userErrors, [{ code: 'BALANCE_LIMIT_EXCEEDED', field: ['amount'] }]);
    const { payment } = await createPayment(server, merchant, { accountId: rich, sellerId: sink, requestId: 'max', currency: 'GBP' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '92233720368547758.07', idempotencyKey: 'max-1' });
    await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
    await step(server, merchant, 'executePayment', { paymentId: payment.id });
    assert.equal((await balance(server, merchant, sink)).posted, '9223372036854775807');
    const gbp = (await ledgerReport(server, operator)).find((r) => r.assetCode === 'GBP')!;
    assert.deepEqual(gbp, { assetCode: 'GBP', accounts: 3, postedSum: '0', driftingAccounts: 0 });
  });
});
