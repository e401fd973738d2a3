import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MERCHANT_SCOPES, Scope } from '../src/oauth/scopes';
import { ManualClock } from '../src/shared/clock';
import { balance, createPayment, fund, openAccount, PAYMENT_FIELDS, step, initiationInstruction } from './support/flows';
import { FormBrowser } from './support/form-browser';
import { consent, type PayerTokens } from './support/payer-consent';
import { startServer, type TestClient, type TestServer } from './support/server';

/**
 * One idempotency rule for every mutation that moves money or changes a payment's state: a key is
 * required, the same key with the same (normalized) input returns the first answer even once the
 * state has moved on, and time-dependent validation never turns a retry into a refusal.
 */

const DAY = 24 * 3600 * 1000;
const REDIRECT = 'http://127.0.0.1:9/vendor/oauth-callback';
const PASSWORD = 'correct horse battery staple';
const FUND = `mutation($input: FundAccountInput!) { fundAccount(input: $input) { account { id } userErrors { code field message } } }`;
const ORDER = `order { id status } userErrors { code field message }`;
const INITIATION = `initiation { id state instructions { executionDate } } userErrors { code field message }`;

describe('idempotency made uniform', () => {
  const clock = new ManualClock();
  let server: TestServer;
  let merchant: TestClient;
  let operator: TestClient;
  let vendor: TestClient;
  let admin: TestClient;
  let buyer: string;
  let seller: string;
  let payer: PayerTokens;

  before(async () => {
    server = await startServer({ clock, config: { schedulerPollMs: 3_600_000 } });
    merchant = await server.client();
    operator = await server.operator();
    buyer = await openAccount(server, merchant);
    seller = await openAccount(server, merchant);
    await fund(server, operator, buyer, '100.00');

    vendor = await server.client([...MERCHANT_SCOPES, Scope.ORDERS_RECURRENT], 'Corner Coffee', { redirectUris: [REDIRECT], verified: true });
    await openAccount(server, vendor, 'EUR', 'till');
    const user = await server.app.services.users.create({ username: 'bob', password: PASSWORD, name: 'Bob Payer' });
    const wallet = (await server.app.services.accounts.create({ clientId: vendor.id, userId: user.id }, { assetCode: 'EUR', name: 'Bob wallet' })).id;
    await fund(server, operator, wallet, '100.00');
    payer = await consent(server, new FormBrowser(server.url), vendor, { redirectUri: REDIRECT, scope: 'orders:write orders:recurrent', username: 'bob', password: PASSWORD });

    admin = await server.client([...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN], 'ACME Shop');
  });
  after(() => server.close());

  it('fingerprints the parsed amount: "10.9" then "10.90" under one key is one request, answered once', async () => {
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'uniform-amount' });
    const first = await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '10.9', idempotencyKey: 'amount-key' });
    const again = await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '10.90', idempotencyKey: 'amount-key' });
    assert.deepEqual(again.userErrors, []);
    assert.equal(again.transaction.id, first.transaction.id);
    assert.equal(again.payment.amount.value, '1090', 'one transaction of 10.90');

    const before = (await balance(server, merchant, seller)).posted;
    for (const amount of ['5.5', '5.50', '5.500']) {
      const data = await server.ok(operator.token, FUND, { input: { accountId: seller, amount, idempotencyKey: 'fund-amount-key' } });
      assert.deepEqual(data.fundAccount.userErrors, [], amount);
    }
    assert.equal(BigInt((await balance(server, merchant, seller)).posted) - BigInt(before), 550n, 'funded once');
    const other = await server.ok(operator.token, FUND, { input: { accountId: seller, amount: '5.51', idempotencyKey: 'fund-amount-key' } });
    assert.deepEqual(other.fundAccount.userErrors.map((e: any) => [e.code, e.field]), [['IDEMPOTENCY_KEY_REUSED', ['idempotencyKey']]]);
  });

  it('requires a key on every payment step, and a retry after success gets the first answer, not ILLEGAL_TRANSITION', async () => {
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'uniform-steps' });
    const added = await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '1.00', idempotencyKey: 'steps-add-1' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '2.00', idempotencyKey: 'steps-add-2' });

    for (const [mutation, input] of [
      ['authorizePayment', 'PaymentStepInput'],
      ['executePayment', 'PaymentStepInput'],
      ['cancelPayment', 'PaymentStepInput'],
      ['cancelPaymentTransaction', 'CancelPaymentTransactionInput'],
    ] as const) {
      const keyless = await server.gql(merchant.token, `mutation($input: ${input}!) { ${mutation}(input: $input) { ${PAYMENT_FIELDS} } }`, {
        input: { paymentId: payment.id, ...(mutation === 'cancelPaymentTransaction' ? { transactionId: added.transaction.id } : {}) },
      });
      assert.equal(keyless.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${mutation} without a key`);
      assert.match(keyless.errors![0].message, /idempotencyKey/);
    }
    const untouched = await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '0.01', idempotencyKey: 'steps-probe' });
    assert.equal(untouched.payment.flowState, 'pending', 'no keyless step ran');
    await step(server, merchant, 'cancelPaymentTransaction', { paymentId: payment.id, transactionId: untouched.transaction.id, idempotencyKey: 'steps-unprobe' });

    for (const [mutation, input] of [
      ['cancelPaymentTransaction', { paymentId: payment.id, transactionId: added.transaction.id, idempotencyKey: 'steps-cancel-txn' }],
      ['authorizePayment', { paymentId: payment.id, idempotencyKey: 'steps-authorize' }],
      ['executePayment', { paymentId: payment.id, idempotencyKey: 'steps-execute' }],
    ] as const) {
      const first = await step(server, merchant, mutation, input);
      assert.deepEqual(first.userErrors, [], mutation);
      const retry = await step(server, merchant, mutation, input);
      assert.deepEqual(retry.userErrors, [], `${mutation} retried`);
      assert.equal(retry.payment.id, payment.id);
    }
    const other = await server.ok(merchant.token, `mutation($input: PaymentStepInput!) { cancelPayment(input: $input) { ${PAYMENT_FIELDS} } }`, {
      input: { paymentId: payment.id, idempotencyKey: 'steps-execute' },
    });
    assert.deepEqual(other.cancelPayment.userErrors.map((e: any) => e.code), ['IDEMPOTENCY_KEY_REUSED']);

    const { payment: cancelled } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'uniform-cancel' });
    for (let i = 0; i < 2; i++) {
      const result = await step(server, merchant, 'cancelPayment', { paymentId: cancelled.id, idempotencyKey: 'steps-cancel' });
      assert.deepEqual(result.userErrors, [], `cancelPayment #${i + 1}`);
      assert.equal(result.payment.flowState, 'cancelled');
    }
  });

  it('honours cancelOrder’s and captureOrder’s keys, and the REST links’ RequestId header, the same way', async () => {
    const create = async (requestId: string) => {
      const data = await server.ok(payer.access, `mutation($input: CreateOrderInput!) { createOrder(input: $input) { ${ORDER} } }`, {
        input: {
          externalId: `shop-${requestId}`,
          requestId,
          items: [{ name: 'Beans', amount: { value: '1.00', currencyCode: 'EUR' }, count: 1 }],
          callbackUrl: 'http://127.0.0.1:9/callback',
          successUrl: 'http://127.0.0.1:9/ok',
          errorUrl: 'http://127.0.0.1:9/ko',
        },
      });
      assert.deepEqual(data.createOrder.userErrors, []);
      return data.createOrder.order.id as string;
    };
    const keyless = await server.gql(payer.access, `mutation($input: CreateOrderInput!) { createOrder(input: $input) { ${ORDER} } }`, {
      input: { externalId: 'x', items: [{ name: 'Beans', amount: { value: '1.00', currencyCode: 'EUR' }, count: 1 }], callbackUrl: 'http://127.0.0.1:9/c', successUrl: 'http://127.0.0.1:9/s', errorUrl: 'http://127.0.0.1:9/e' },
    });
    assert.equal(keyless.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', 'createOrder without requestId');

    for (const mutation of ['cancelOrder', 'captureOrder'] as const) {
      const id = await create(`uniform-${mutation}`);
      for (let i = 0; i < 2; i++) {
        const data = await server.ok(vendor.token, `mutation($input: ${mutation === 'captureOrder' ? 'CaptureOrderInput' : 'OrderStepInput'}!) { ${mutation}(input: $input) { ${ORDER} } }`, {
          input: { orderId: id, idempotencyKey: `${mutation}-key` },
        });
        assert.deepEqual(data[mutation].userErrors, [], `${mutation} #${i + 1}`);
        assert.equal(data[mutation].order.status, mutation === 'cancelOrder' ? 'CANCELLED' : 'CAPTURED');
      }
    }

    for (const action of ['cancel', 'capture'] as const) {
      const id = await create(`uniform-rest-${action}`);
      const post = (requestId: string) =>
        fetch(`${server.url}/orders/${id}/${action}`, { method: 'POST', headers: { authorization: `Bearer ${vendor.token}`, requestid: requestId } });
      const first = await post(`rest-${action}`);
      assert.equal(first.status, 200, await first.text());
      const retry = await post(`rest-${action}`);
      assert.equal(retry.status, 200, `${action} retried with its RequestId`);
      const reused = await fetch(`${server.url}/orders/${await create(`uniform-rest-${action}-2`)}/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${vendor.token}`, requestid: `rest-${action}` },
      });
      assert.equal(reused.status, 400);
      assert.equal(((await reused.json()) as any).field_errors[0].field, 'idempotencyKey');
    }
  });

  it('looks createInitiation’s key up before validating the date: a retry the next day gets the first answer', async () => {
    const tomorrow = new Date(clock.now().getTime() + DAY).toISOString().slice(0, 10);
    const input = {
      clientRedirectUri: 'http://127.0.0.1:9/shop/powens-callback',
      instructions: [
        initiationInstruction({ executionDateType: 'deferred', executionDate: tomorrow }),
      ],
      payerIdentity: { kind: 'individual', firstName: 'Germaine', lastName: 'Michu', birthDate: '1963-01-01' },
      idempotencyKey: 'deferred-key',
    };
    const send = async (body: Record<string, unknown>) =>
      (await server.ok(await server.token(admin.id, admin.secret, 'payments:admin'), `mutation($input: CreateInitiationInput!) { createInitiation(input: $input) { ${INITIATION} } }`, { input: body })).createInitiation;
    const first = await send(input);
    assert.deepEqual(first.userErrors, []);
    clock.advance(DAY + 3600_000);
    const retry = await send({ ...input, instructions: [{ ...input.instructions[0], amount: '50.9' }] });
    assert.deepEqual(retry.userErrors, [], 'the retry the next day is answered, not refused');
    assert.equal(retry.initiation.id, first.initiation.id);
    const other = await send({ ...input, instructions: [{ ...input.instructions[0], amount: '51.00' }] });
    assert.deepEqual(other.userErrors.map((e: any) => e.code), ['IDEMPOTENCY_KEY_REUSED']);
    const fresh = await send({ ...input, idempotencyKey: 'deferred-key-2' });
    assert.deepEqual(fresh.userErrors.map((e: any) => e.code), ['EXECUTION_DATE_NOT_IN_FUTURE'], 'a new request is still validated today');
  });
});
