import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MERCHANT_SCOPES, Scope } from '../src/oauth/scopes';
import { columnWidths } from './support/database-shape';
import { createPayment, fund, openAccount, step } from './support/flows';
import { FormBrowser } from './support/form-browser';
import { consent, type PayerTokens } from './support/payer-consent';
import { startServer, subscribe, type TestClient, type TestServer } from './support/server';

/**
 * Text the database cannot store never reaches it: NUL and other control characters, unpaired
 * surrogates and strings wider than their column are refused at the edge with a stable code and
 * the field, on GraphQL (HTTP and WebSocket) and on the REST routes and pages.
 */

const REDIRECT = 'http://127.0.0.1:9/vendor/oauth-callback';
const PASSWORD = 'correct horse battery staple';
const CREATE_ACCOUNT = `mutation($input: CreateAccountInput!) { createAccount(input: $input) { account { id } userErrors { code field message } } }`;
const CREATE_ORDER = `mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } userErrors { code field message } } }`;

describe('text input checked at the edge', () => {
  let server: TestServer;
  let merchant: TestClient;
  let operator: TestClient;
  let vendor: TestClient;
  let payer: PayerTokens;
  let buyer: string;
  let seller: string;

  before(async () => {
    server = await startServer({ config: { schedulerPollMs: 3_600_000 } });
    merchant = await server.client();
    operator = await server.operator();
    buyer = await openAccount(server, merchant);
    seller = await openAccount(server, merchant);
    await fund(server, operator, buyer, '100.00');
    vendor = await server.client(MERCHANT_SCOPES, 'Corner Coffee', { redirectUris: [REDIRECT], verified: true });
    await openAccount(server, vendor, 'EUR', 'till');
    const user = await server.app.services.users.create({ username: 'bob', password: PASSWORD, name: 'Bob Payer' });
    await server.app.services.accounts.create({ clientId: vendor.id, userId: user.id }, { assetCode: 'EUR', name: 'Bob wallet' });
    payer = await consent(server, new FormBrowser(server.url), vendor, { redirectUri: REDIRECT, scope: 'orders:write', username: 'bob', password: PASSWORD });
  });
  after(() => server.close());

  it('refuses NUL, controls and unpaired surrogates in a mutation’s input as a userError on the field', async () => {
    for (const bad of ['till\u0000', 'till\u0001', 'till\u007f', 'till\ud800', '\udfffx']) {
      const data = await server.ok(merchant.token, CREATE_ACCOUNT, { input: { assetCode: 'EUR', name: bad } });
      assert.deepEqual(data.createAccount.userErrors.map((e: any) => [e.code, e.field]), [['TEXT_INVALID_CHARACTERS', ['name']]], JSON.stringify(bad));
      assert.equal(data.createAccount.account, null);
    }
    const emoji = await server.ok(merchant.token, CREATE_ACCOUNT, { input: { assetCode: 'EUR', name: 'till 💶' } });
    assert.deepEqual(emoji.createAccount.userErrors, [], 'a paired surrogate is a character like any other');
    const nested = await server.ok(payer.access, CREATE_ORDER, {
      input: {
        externalId: 'edge-1',
        requestId: 'edge-1',
        items: [{ name: 'Beans', amount: { value: '1.00', currencyCode: 'EUR' }, count: 1 }, { name: 'Jam\u0000', amount: { value: '1.00', currencyCode: 'EUR' }, count: 1 }],
        callbackUrl: 'http://127.0.0.1:9/c',
        successUrl: 'http://127.0.0.1:9/s',
        errorUrl: 'http://127.0.0.1:9/e',
      },
    });
    assert.deepEqual(nested.createOrder.userErrors.map((e: any) => [e.code, e.field]), [['TEXT_INVALID_CHARACTERS', ['items', '1', 'name']]]);
  });

  it('refuses them in a query’s id as BAD_USER_INPUT with the code and the field, never a server error', async () => {
    for (const [query, field] of [
      [`query($id: ID!) { payment(id: $id) { id } }`, ['id']],
      [`query($id: ID!) { account(id: $id) { id } }`, ['id']],
      [`query($id: ID!) { webhookDeliveries(first: 5, paymentId: $id) { nodes { id } } }`, ['paymentId']],
    ] as const) {
      for (const id of ['pay_\u0000', 'pay_\ud800']) {
        const result = await server.gql(merchant.token, query, { id });
        assert.equal(result.status, 200);
        assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', `${query} ${JSON.stringify(id)}: ${JSON.stringify(result.errors)}`);
        assert.equal(result.errors![0].extensions!.userErrorCode, 'TEXT_INVALID_CHARACTERS');
        assert.deepEqual(result.errors![0].extensions!.field, field);
      }
    }
    const nested = await server.gql(merchant.token, `query($id: ID!, $after: String) { account(id: $id) { payments(first: 5, after: $after) { nodes { id } } } }`, {
      id: buyer,
      after: 'x\u0000',
    });
    assert.equal(nested.errors?.[0]?.extensions?.userErrorCode, 'TEXT_INVALID_CHARACTERS', JSON.stringify(nested.errors));
    assert.deepEqual(nested.errors![0].extensions!.field, ['after']);
  });

  it('refuses them over the WebSocket too, before a subscription or a mutation touches the database', async () => {
    const ws = server.ws(merchant.token);
    const { collector } = subscribe(ws, `subscription($id: ID!) { paymentUpdated(paymentId: $id) { type } }`, { id: 'pay_\u0000' });
    await collector.waitFor((c) => c.errors.length > 0 || c.completed);
    const errors = JSON.stringify(collector.errors);
    assert.match(errors, /TEXT_INVALID_CHARACTERS|not allowed/, errors);
    assert.doesNotMatch(errors, /select|insert|payment"|cli_/i, 'no SQL or ids in the answer');
    const mutation = await new Promise<any>((resolve, reject) => {
      ws.subscribe({ query: CREATE_ACCOUNT, variables: { input: { assetCode: 'EUR', name: 'x\ud800' } } }, { next: resolve, error: reject, complete: () => undefined });
    });
    assert.deepEqual(mutation.data.createAccount.userErrors.map((e: any) => [e.code, e.field]), [['TEXT_INVALID_CHARACTERS', ['name']]]);
  });

  it('refuses them in REST paths, query strings and forms with 400 in the route’s own format', async () => {
    const auth = { authorization: `Bearer ${vendor.token}` };
    for (const path of ['/orders/%00', '/orders/pay_%01', '/orders/pay_%7F']) {
      const response = await fetch(`${server.url}${path}`, { headers: auth });
      const body = (await response.json()) as any;
      assert.equal(response.status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.equal(body.error, 'INVALID_REQUEST');
      assert.equal(body.field_errors[0].field, 'params.id');
    }
    const capture = await fetch(`${server.url}/orders/%00/capture`, { method: 'POST', headers: auth });
    assert.equal(capture.status, 400);

    const token = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: `${merchant.id}\u0000`, client_secret: merchant.secret }),
    });
    assert.equal(token.status, 401, 'a client id no client can have fails client authentication');
    assert.equal(((await token.json()) as any).error, 'invalid_client');
    const revoke = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${merchant.id}:${merchant.secret}`).toString('base64')}` },
      body: new URLSearchParams({ token: 'pgat_\u0000' }),
    });
    assert.equal(revoke.status, 400);
    assert.equal(((await revoke.json()) as any).error, 'invalid_request');

    const page = await fetch(`${server.url}/checkout/pay_%00`);
    assert.equal(page.status, 400);
    const login = await fetch(`${server.url}/login?next=%00`);
    assert.equal(login.status, 400);
  });

  it('refuses malformed amounts, blanks and leading zeros included, on every amount input', async () => {
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'edge-amounts' });
    for (const [i, amount] of [' 1.00', '1.00 ', '00001.00', '01', '1.', '.5', '1e3', '1,00', '+1', '１', 'NaN', 'Infinity'].entries()) {
      const added = await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount });
      assert.deepEqual(added.userErrors.map((e: any) => [e.code, e.field]), [['AMOUNT_INVALID', ['amount']]], JSON.stringify(amount));
      const funded = await server.ok(operator.token, `mutation($input: FundAccountInput!) { fundAccount(input: $input) { userErrors { code field } } }`, {
        input: { accountId: buyer, amount, idempotencyKey: `edge-amount-${i}` },
      });
      assert.deepEqual(funded.fundAccount.userErrors.map((e: any) => [e.code, e.field]), [['AMOUNT_INVALID', ['amount']]], JSON.stringify(amount));
    }
    const fine = await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '0.50' });
    assert.deepEqual(fine.userErrors, []);
    assert.equal(fine.payment.amount.value, '50');
  });

  it('limits every text input to its column: the widest value is stored, one more character is refused', async () => {
    const widths = await columnWidths(server);
    const admin = await server.client([...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN], 'ACME Shop');
    const width = (column: string) => {
      const found = widths.get(column);
      assert.ok(found, `no column ${column}`);
      return found;
    };
    let n = 0;
    const unique = (length: number) => `${++n}-`.padEnd(length, 'x');
    const order = (overrides: Record<string, unknown>) => ({
      externalId: `edge-len-${++n}`,
      requestId: `edge-len-${++n}`,
      items: [{ name: 'Beans', amount: { value: '1.00', currencyCode: 'EUR' }, count: 1 }],
      callbackUrl: 'http://127.0.0.1:9/c',
      successUrl: 'http://127.0.0.1:9/s',
      errorUrl: 'http://127.0.0.1:9/e',
      ...overrides,
    });
    const url = (length: number) => `http://127.0.0.1:9/${'p'.repeat(length - 'http://127.0.0.1:9/'.length)}`;
    // [what, column, run with a value of this length → the payload's user errors]
    const cases: Array<[string, string, (length: number) => Promise<Array<{ code: string; field: string[] }>>]> = [
      ['createAccount.name', 'account.name', async (l) => (await server.ok(merchant.token, CREATE_ACCOUNT, { input: { assetCode: 'EUR', name: 'n'.repeat(l) } })).createAccount.userErrors],
      ['createAccountPayment.requestId', 'payment.request_id', async (l) => (await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: unique(l) })).userErrors],
      ['createAccountPayment.reference', 'payment.reference', async (l) => (await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: unique(20), reference: 'r'.repeat(l) })).userErrors],
      ['addPaymentTransaction.reference', 'payment_transaction.reference', async (l) => {
        const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: unique(20) });
        return (await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '1.00', reference: 'r'.repeat(l) })).userErrors;
      }],
      ['addPaymentTransaction.idempotencyKey', 'idempotency_record.key', async (l) => {
        const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: unique(20) });
        return (await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '1.00', idempotencyKey: unique(l) })).userErrors;
      }],
      ['fundAccount.reference', 'ledger_transfer.reference', async (l) =>
        (await server.ok(operator.token, `mutation($input: FundAccountInput!) { fundAccount(input: $input) { userErrors { code field } } }`, {
          input: { accountId: seller, amount: '1.00', idempotencyKey: unique(20), reference: 'r'.repeat(l) },
        })).fundAccount.userErrors],
      ['createOrder.requestId', 'payment.request_id', async (l) => (await server.ok(payer.access, CREATE_ORDER, { input: order({ requestId: unique(l) }) })).createOrder.userErrors],
      ['createOrder.externalId', 'order_details.external_id', async (l) => (await server.ok(payer.access, CREATE_ORDER, { input: order({ externalId: unique(l) }) })).createOrder.userErrors],
      ['createOrder.callbackUrl', 'order_details.callback_url', async (l) => (await server.ok(payer.access, CREATE_ORDER, { input: order({ callbackUrl: url(l) }) })).createOrder.userErrors],
      ['setWebhookUrl.url', 'client.webhook_url', async (l) =>
        (await server.ok(await server.token(admin.id, admin.secret, 'payments:admin'), `mutation($url: String) { setWebhookUrl(url: $url) { userErrors { code field } } }`, { url: url(l) })).setWebhookUrl.userErrors],
    ];
    for (const [what, column, run] of cases) {
      const max = width(column);
      assert.deepEqual(await run(max), [], `${what}: ${max} characters (its column) are accepted`);
      const refused = await run(max + 1);
      assert.equal(refused.length, 1, `${what}: ${max + 1} characters are refused`);
      assert.match(refused[0].code, /TOO_LONG|_INVALID$/, what);
      assert.equal(refused[0].field.at(-1), what.split('.')[1], what);
    }
  });
});
