import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { MERCHANT_SCOPES, Scope } from '../src/oauth/scopes';
import { ManualClock } from '../src/shared/clock';
import { balance, createPayment, fund, ledgerReport, openAccount } from './support/flows';
import { FormBrowser, formTo } from './support/form-browser';
import { consent, tokenRequest, type PayerTokens } from './support/payer-consent';
import { startServer, type TestClient, type TestServer } from './support/server';
import { WebhookReceiver } from './support/webhook-receiver';

const REDIRECT = 'http://127.0.0.1:9/vendor/oauth-callback';
const PASSWORD = 'correct horse battery staple';
const ORDER_FIELDS = `order { id externalId status total { value formatted assetCode } items { name count amount { value } } links { rel link method } }
  userErrors { code field message }`;

describe('iumiCash-style orders', () => {
  // Starts at the real time: Standard Webhooks verifiers refuse timestamps far from their own clock.
  const clock = new ManualClock();
  let server: TestServer;
  let vendor: TestClient;
  let otherVendor: TestClient;
  let operator: TestClient;
  let vendorAccount: string;
  let payerAccount: string;
  let receiver: WebhookReceiver;
  let browser: FormBrowser;
  let tokens: PayerTokens;

  const items = [
    { name: 'Coffee beans', description: '1 kg, washed', amount: { value: '10.00', currencyCode: 'EUR' }, count: 2 },
    { name: 'Filter papers', amount: { value: '5.50', currencyCode: 'EUR' }, count: 1 },
  ];

  async function createOrder(token: string, overrides: Record<string, unknown> = {}) {
    const data = await server.ok(token, `mutation($input: CreateOrderInput!) { createOrder(input: $input) { ${ORDER_FIELDS} } }`, {
      input: {
        externalId: `shop-${Math.random().toString(36).slice(2)}`,
        requestId: `order-${Math.random().toString(36).slice(2)}`,
        items,
        callbackUrl: receiver.url('/iumicash/callback'),
        successUrl: 'http://127.0.0.1:9/shop/paid',
        errorUrl: 'http://127.0.0.1:9/shop/failed',
        ...overrides,
      },
    });
    return data.createOrder;
  }

  async function orderStatus(id: string, token = vendor.token): Promise<string | null> {
    const data = await server.ok(token, `query($id: ID!) { order(id: $id) { status } }`, { id });
    return data.order?.status ?? null;
  }

  /** Runs what is due (callbacks, completion) after moving the clock. */
  async function runDue(ms = 0): Promise<void> {
    clock.advance(ms);
    await server.app.services.scheduler.runDue();
  }

  before(async () => {
    server = await startServer({ clock, config: { schedulerPollMs: 3_600_000 } });
    receiver = await WebhookReceiver.start();
    operator = await server.operator();
    vendor = await server.client([...MERCHANT_SCOPES, Scope.ORDERS_RECURRENT], 'Corner Coffee', { redirectUris: [REDIRECT], verified: true });
    otherVendor = await server.client(MERCHANT_SCOPES, 'Other Shop', { redirectUris: [REDIRECT] });
    vendorAccount = await openAccount(server, vendor, 'EUR', 'till');
    const payer = await server.app.services.users.create({ username: 'bob', password: PASSWORD, name: 'Bob Payer' });
    payerAccount = (await server.app.services.accounts.create({ clientId: vendor.id, userId: payer.id }, { assetCode: 'EUR', name: 'Bob wallet' })).id;
    await fund(server, operator, payerAccount, '100.00');
    browser = new FormBrowser(server.url);
    tokens = await consent(server, browser, vendor, { redirectUri: REDIRECT, scope: 'orders:write profile', username: 'bob', password: PASSWORD });
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('runs an order end to end: created → approved on the checkout page → captured → completed, each change a signed callback', async () => {
    const created = await createOrder(tokens.access, { externalId: 'shop-1001' });
    assert.deepEqual(created.userErrors, []);
    const order = created.order;
    assert.equal(order.status, 'CREATED');
    assert.deepEqual(order.total, { value: '2550', formatted: '25.50', assetCode: 'EUR' });
    const links = Object.fromEntries(order.links.map((l: any) => [l.rel, l]));
    assert.deepEqual(Object.keys(links).sort(), ['approve', 'cancel', 'capture', 'self']);
    assert.equal(links.approve.link, `${server.url}/checkout/${order.id}`);
    assert.equal(links.capture.method, 'POST');

    const self = await fetch(links.self.link, { headers: { authorization: `Bearer ${vendor.token}` } });
    assert.equal(self.status, 200);
    const document = (await self.json()) as any;
    assert.equal(document.external_id, 'shop-1001');
    assert.deepEqual(document.total, { value: '25.50', currency_code: 'EUR' });
    assert.equal(document.status, 'created');

    // The payer, already logged in from the consent, approves on the checkout page.
    const page = await browser.get(links.approve.link);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /Corner Coffee/);
    assert.match(page.text, /data-verification="verified"/);
    assert.match(page.text, /25\.50 EUR/);
    const approved = await browser.submit(formTo(page.text, `/checkout/${order.id}`), { decision: 'approve' });
    assert.equal(approved.status, 303, approved.text);
    assert.equal(approved.location, `http://127.0.0.1:9/shop/paid?order_id=${order.id}`);
    assert.equal(await orderStatus(order.id), 'APPROVED');
    assert.deepEqual(await balance(server, vendor, vendorAccount), { posted: '0', reserved: '0', available: '0' });
    assert.equal((await server.app.services.accounts.byIds([payerAccount]))[0].reserved, 2550n);

    const capture = await fetch(links.capture.link, { method: 'POST', headers: { authorization: `Bearer ${vendor.token}`, RequestId: 'capture-1001' } });
    assert.equal(capture.status, 200);
    assert.equal(((await capture.json()) as any).status, 'captured');
    const again = await fetch(links.capture.link, { method: 'POST', headers: { authorization: `Bearer ${vendor.token}`, RequestId: 'capture-1001' } });
    assert.equal(again.status, 200, 'the same RequestId replays the capture');
    const twice = await fetch(links.capture.link, { method: 'POST', headers: { authorization: `Bearer ${vendor.token}` } });
    assert.equal(twice.status, 422);
    assert.equal(((await twice.json()) as any).error, 'UNPROCESSIBLE_ENTITY');
    assert.equal((await balance(server, vendor, vendorAccount)).posted, '2550');

    await runDue(2000);
    assert.equal(await orderStatus(order.id), 'COMPLETED');
    await runDue();
    const callbacks = receiver.requests.filter((r) => JSON.parse(r.body).id === order.id);
    assert.deepEqual(callbacks.map((r) => JSON.parse(r.body).status).sort(), ['approved', 'captured', 'completed', 'created']);
    for (const request of callbacks) {
      const expected = createHmac('sha256', vendor.webhookSecret).update(request.body).digest('hex');
      assert.equal(request.headers['iumicash-signature'], expected);
      assert.doesNotThrow(() => new Webhook(vendor.webhookSecret).verify(request.body, request.headers));
    }
    assert.deepEqual(await ledgerReport(server, operator), [{ assetCode: 'EUR', accounts: 3, postedSum: '0', driftingAccounts: 0 }]);
  });

  it('cancels: declined on the checkout page, or by the vendor after approval (the reservation is released)', async () => {
    const declined = (await createOrder(tokens.access)).order;
    const page = await browser.get(`/checkout/${declined.id}`);
    const answer = await browser.submit(formTo(page.text, `/checkout/${declined.id}`), { decision: 'decline' });
    assert.equal(answer.location, `http://127.0.0.1:9/shop/failed?order_id=${declined.id}`);
    assert.equal(await orderStatus(declined.id), 'CANCELLED');

    const approved = (await createOrder(tokens.access)).order;
    const checkout = await browser.get(`/checkout/${approved.id}`);
    await browser.submit(formTo(checkout.text, `/checkout/${approved.id}`), { decision: 'approve' });
    const reserved = (await server.app.services.accounts.byIds([payerAccount]))[0].reserved;
    const cancelled = await server.ok(vendor.token, `mutation($input: OrderStepInput!) { cancelOrder(input: $input) { ${ORDER_FIELDS} } }`, {
      input: { orderId: approved.id, idempotencyKey: `cancel-${approved.id}` },
    });
    assert.equal(cancelled.cancelOrder.order.status, 'CANCELLED');
    assert.equal((await server.app.services.accounts.byIds([payerAccount]))[0].reserved, reserved - 2550n);
    const capture = await server.ok(vendor.token, `mutation($input: CaptureOrderInput!) { captureOrder(input: $input) { ${ORDER_FIELDS} } }`, {
      input: { orderId: approved.id, idempotencyKey: `capture-${approved.id}` },
    });
    assert.equal(capture.captureOrder.userErrors[0].code, 'ILLEGAL_TRANSITION');
  });

  it('is idempotent on requestId: a repeat returns the order as it is now; another input is refused', async () => {
    const input = { requestId: 'order-req-1', externalId: 'shop-idem' };
    const first = (await createOrder(tokens.access, input)).order;
    const cancelled = await server.ok(vendor.token, `mutation($input: OrderStepInput!) { cancelOrder(input: $input) { ${ORDER_FIELDS} } }`, { input: { orderId: first.id, idempotencyKey: `cancel-${first.id}` } });
    assert.equal(cancelled.cancelOrder.order.status, 'CANCELLED');
    const repeat = await createOrder(tokens.access, input);
    assert.equal(repeat.order.id, first.id);
    assert.equal(repeat.order.status, 'CANCELLED');
    const changed = await createOrder(tokens.access, { ...input, externalId: 'shop-other' });
    assert.deepEqual(changed.userErrors.map((e: any) => [e.code, e.field]), [['IDEMPOTENCY_KEY_REUSED', ['requestId']]]);
  });

  it('refuses bad orders with the code and the field, writing nothing', async () => {
    const cases: Array<[Record<string, unknown>, string, string[]]> = [
      [{ items: [items[0], { ...items[1], amount: { value: '5.50', currencyCode: 'USD' } }] }, 'ASSET_MISMATCH', ['items', '1', 'amount', 'currencyCode']],
      [{ items: [{ ...items[0], amount: { value: '10.001', currencyCode: 'EUR' } }] }, 'AMOUNT_TOO_PRECISE', ['items', '0', 'amount', 'value']],
      [{ items: [{ ...items[0], count: 0 }] }, 'INVALID_INPUT', ['items', '0', 'count']],
      [{ items: [] }, 'INVALID_INPUT', ['items']],
      [{ callbackUrl: 'ftp://example.com/hook' }, 'URL_INVALID', ['callbackUrl']],
      [{ successUrl: 'not a url' }, 'URL_INVALID', ['successUrl']],
      [{ externalId: '   ' }, 'FIELD_REQUIRED', ['externalId']],
      [{ items: [{ ...items[0], name: 'x'.repeat(201) }] }, 'FIELD_TOO_LONG', ['items', '0', 'name']],
      [{ items: [{ ...items[0], name: 'Beans\u0000' }] }, 'TEXT_INVALID_CHARACTERS', ['items', '0', 'name']],
      [{ items: [{ ...items[0], amount: { value: '10.00', currencyCode: 'GBP' } }] }, 'NO_ACCOUNT_IN_CURRENCY', ['items', '0', 'amount', 'currencyCode']],
    ];
    await runDue();
    const before = receiver.requests.length;
    for (const [overrides, code, field] of cases) {
      const result = await createOrder(tokens.access, overrides);
      assert.equal(result.order, null);
      assert.deepEqual([result.userErrors[0].code, result.userErrors[0].field], [code, field], JSON.stringify(overrides));
    }
    await runDue();
    assert.equal(receiver.requests.length, before, 'no callback for an order that was never created');
  });

  it('shows a client its webhook signing key, never to a token acting for a payer', async () => {
    const own = await server.ok(vendor.token, `{ viewer { id name verified webhookSecret } }`);
    assert.deepEqual(own.viewer, { id: vendor.id, name: 'Corner Coffee', verified: true, webhookSecret: vendor.webhookSecret });
    const forPayer = await server.ok(tokens.access, `{ viewer { id webhookSecret } }`);
    assert.deepEqual(forPayer.viewer, { id: vendor.id, webhookSecret: null });
    const none = await server.gql(null, `{ viewer { id } }`);
    assert.equal(none.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
  });

  it('lets a token acting for a payer see the payments from the payer accounts, and no other payment of the merchant', async () => {
    const reader = await consent(server, browser, vendor, { redirectUri: REDIRECT, scope: 'orders:write payments:read accounts:read', username: 'bob', password: PASSWORD });
    const order = (await createOrder(reader.access)).order;
    const seller = await openAccount(server, vendor, 'EUR', 'second till');
    const { payment: own } = await createPayment(server, vendor, { accountId: vendorAccount, sellerId: seller, requestId: 'merchant-own' });

    const query = `query($id: ID!) { payment(id: $id) { id flow } }`;
    assert.deepEqual((await server.ok(reader.access, query, { id: order.id })).payment, { id: order.id, flow: 'ORDER' });
    assert.equal((await server.ok(reader.access, query, { id: own.id })).payment, null, "the merchant's own payment is not the payer's");
    assert.deepEqual((await server.ok(vendor.token, query, { id: own.id })).payment, { id: own.id, flow: 'ACCOUNT_PAYMENT' });

    const listed = await server.ok(reader.access, `query($id: ID!) { account(id: $id) { payments(first: 50) { nodes { id } } } }`, { id: payerAccount });
    assert.ok(listed.account.payments.nodes.some((n: any) => n.id === order.id));
    const merchantList = await server.ok(reader.access, `query($id: ID!) { account(id: $id) { id } }`, { id: vendorAccount });
    assert.equal(merchantList.account, null);
  });

  it('keeps orders to their vendor and payer', async () => {
    const order = (await createOrder(tokens.access)).order;
    assert.equal(await orderStatus(order.id, otherVendor.token), null);
    const rest = await fetch(`${server.url}/orders/${order.id}`, { headers: { authorization: `Bearer ${otherVendor.token}` } });
    assert.equal(rest.status, 404);
    assert.equal(((await rest.json()) as any).error, 'RESOURCE_NOT_FOUND');
    const noToken = await fetch(`${server.url}/orders/${order.id}/capture`, { method: 'POST' });
    assert.equal(noToken.status, 401);

    const forbidden = await server.gql(vendor.token, `mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } } }`, {
      input: { externalId: 'x', requestId: 'forbidden-1', items, callbackUrl: receiver.url(), successUrl: receiver.url(), errorUrl: receiver.url() },
    });
    assert.equal(forbidden.errors?.[0].extensions?.code, 'FORBIDDEN', 'a client-credentials token acts for no payer');
    assert.match(forbidden.errors![0].message, /granted by a payer/);

    const stranger = new FormBrowser(server.url);
    const login = await stranger.get(`/checkout/${order.id}`);
    assert.equal(login.status, 303);
    assert.match(login.location!, /\/login\?return_to=%2Fcheckout%2F/);
    await server.app.services.users.create({ username: 'carol', password: PASSWORD, name: 'Carol' });
    const form = await stranger.get(login.location!);
    await stranger.submit(formTo(form.text, '/login'), { username: 'carol', password: PASSWORD });
    const notHers = await stranger.get(`/checkout/${order.id}`);
    assert.equal(notHers.status, 404);
    assert.doesNotMatch(notHers.text, /Approve/);

    const page = await browser.get(`/checkout/${order.id}`);
    const forged = await browser.post(`/checkout/${order.id}`, { decision: 'approve', csrf_token: 'forged' });
    assert.equal(forged.status, 403);
    assert.equal(await orderStatus(order.id), 'CREATED');
    assert.ok(page.text.includes('csrf_token'));
  });

  it('leaves an order created when the payer cannot cover it, and says so on the page', async () => {
    const big = (await createOrder(tokens.access, { items: [{ name: 'Espresso machine', amount: { value: '999.00', currencyCode: 'EUR' }, count: 1 }] })).order;
    const page = await browser.get(`/checkout/${big.id}`);
    const answer = await browser.submit(formTo(page.text, `/checkout/${big.id}`), { decision: 'approve' });
    assert.equal(answer.status, 400);
    assert.match(answer.text, /role="alert"[^>]*>Your available balance does not cover this order/);
    assert.equal(await orderStatus(big.id), 'CREATED');
  });
  // Last: it moves the clock past every token's lifetime.
  it('charges recurrent orders without the payer, refreshing the token when it expires', async () => {
    const recurrent = await consent(server, browser, vendor, { redirectUri: REDIRECT, scope: 'orders:write orders:recurrent', username: 'bob', password: PASSWORD });
    const first = (await createOrder(recurrent.access, { items: [{ name: 'Monthly beans', amount: { value: '7.00', currencyCode: 'EUR' }, count: 1 }] })).order;
    assert.equal(first.status, 'APPROVED', 'approved at creation: the payer consented to recurrent charges');

    clock.advance(9 * 3600 * 1000); // past the 8 h access token lifetime
    const expired = await server.gql(recurrent.access, `{ __typename }`);
    assert.equal(expired.status, 401);
    const refreshed = await tokenRequest(server, vendor, { grant_type: 'refresh_token', refresh_token: recurrent.refresh });
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.json.refresh_token, recurrent.refresh, 'the refresh token rotates');
    const second = await createOrder(refreshed.json.access_token, { items: [{ name: 'Monthly beans', amount: { value: '7.00', currencyCode: 'EUR' }, count: 1 }] });
    assert.deepEqual(second.userErrors, []);
    assert.equal(second.order.status, 'APPROVED');
  });

});
