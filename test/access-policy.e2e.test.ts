import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MERCHANT_SCOPES, Scope } from '../src/oauth/scopes';
import { createPayment, fund, openAccount, step } from './support/flows';
import { FormBrowser } from './support/form-browser';
import { consent } from './support/payer-consent';
import { startServer, subscribe, type TestClient, type TestServer } from './support/server';

const REDIRECT = 'http://127.0.0.1:9/shop/callback';
const PASSWORD = 'correct horse battery staple';
const ITEMS = [{ name: 'Tea', amount: { value: '2.00', currencyCode: 'EUR' }, count: 1 }];

describe('the access policy decides the same on every face', () => {
  let server: TestServer;
  let operator: TestClient;
  let vendor: TestClient;
  let other: TestClient;
  let vendorTill: string;
  let otherTill: string;
  let annAccount: string;
  /** The vendor acting for payers Ann and Bert. */
  let ann: string;
  let bert: string;

  async function createOrder(token: string): Promise<string> {
    const data = await server.ok(token, `mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id status } userErrors { code } } }`, {
      input: { externalId: `o-${Math.random()}`, requestId: `o-${Math.random().toString(36).slice(2)}`, items: ITEMS, callbackUrl: 'http://127.0.0.1:9/cb', successUrl: 'http://127.0.0.1:9/ok', errorUrl: 'http://127.0.0.1:9/ko' },
    });
    assert.equal(data.createOrder.order.status, 'APPROVED');
    return data.createOrder.order.id;
  }

  const orderStatus = async (id: string) => (await server.ok(vendor.token, `query($id: ID!) { order(id: $id) { status } }`, { id })).order?.status ?? null;

  before(async () => {
    server = await startServer({ config: { schedulerPollMs: 3_600_000 } });
    operator = await server.operator();
    vendor = await server.client([...MERCHANT_SCOPES, Scope.ORDERS_RECURRENT], 'Vendor', { redirectUris: [REDIRECT] });
    other = await server.client(MERCHANT_SCOPES, 'Other');
    vendorTill = await openAccount(server, vendor, 'EUR', 'till');
    otherTill = await openAccount(server, other, 'EUR', 'other till');
    for (const username of ['ann', 'bert']) {
      const user = await server.app.services.users.create({ username, password: PASSWORD, name: username });
      const account = (await server.app.services.accounts.create({ clientId: vendor.id, userId: user.id }, { assetCode: 'EUR' })).id;
      await fund(server, operator, account, '50.00');
      if (username === 'ann') annAccount = account;
    }
    const scope = 'orders:write orders:recurrent accounts:read payments:read profile';
    ann = (await consent(server, new FormBrowser(server.url), vendor, { redirectUri: REDIRECT, scope, username: 'ann', password: PASSWORD })).access;
    bert = (await consent(server, new FormBrowser(server.url), vendor, { redirectUri: REDIRECT, scope, username: 'bert', password: PASSWORD })).access;
  });
  after(() => server.close());

  it('refuses a token acting for payer Ann capturing, cancelling or reading payer Bert’s order (same client), over GraphQL and the REST links', async () => {
    const berts = await createOrder(bert);
    assert.equal((await server.ok(ann, `query($id: ID!) { order(id: $id) { id } }`, { id: berts })).order, null);
    for (const mutation of ['captureOrder', 'cancelOrder']) {
      const data = await server.ok(ann, `mutation($input: ${mutation === 'captureOrder' ? 'CaptureOrderInput' : 'OrderStepInput'}!) { ${mutation}(input: $input) { order { id } userErrors { code field } } }`, {
        input: { orderId: berts, idempotencyKey: `k-${Math.random()}` },
      });
      assert.deepEqual(data[mutation], { order: null, userErrors: [{ code: 'NOT_FOUND', field: ['orderId'] }] }, mutation);
    }
    for (const [method, path] of [
      ['GET', `/orders/${berts}`],
      ['POST', `/orders/${berts}/capture`],
      ['POST', `/orders/${berts}/cancel`],
    ]) {
      const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${ann}` } });
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.equal(((await response.json()) as any).error, 'RESOURCE_NOT_FOUND');
    }
    assert.equal(await orderStatus(berts), 'APPROVED', 'Bert’s order was not touched');

    // Ann's own order: her token captures it, over REST too.
    const anns = await createOrder(ann);
    const own = await fetch(`${server.url}/orders/${anns}`, { headers: { authorization: `Bearer ${ann}` } });
    assert.equal(own.status, 200);
    const captured = await fetch(`${server.url}/orders/${anns}/capture`, { method: 'POST', headers: { authorization: `Bearer ${ann}` } });
    assert.equal(captured.status, 200);
    assert.equal(await orderStatus(anns), 'CAPTURED');
    // And the vendor acting for itself may act on any of its orders.
    const cancelled = await fetch(`${server.url}/orders/${berts}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${vendor.token}` } });
    assert.equal(cancelled.status, 200);
  });

  it('shows webhook deliveries only to the client acting for itself: a token acting for a payer sees none', async () => {
    await createOrder(bert);
    const asVendor = await server.ok(vendor.token, `{ webhookDeliveries(first: 100) { nodes { id paymentId body } } }`);
    assert.ok(asVendor.webhookDeliveries.nodes.length > 0);
    const some = asVendor.webhookDeliveries.nodes[0];
    const asAnn = await server.ok(ann, `query($id: ID!) { webhookDeliveries(first: 100) { nodes { id body } } webhookDelivery(id: $id) { id } }`, { id: some.id });
    assert.deepEqual(asAnn, { webhookDeliveries: { nodes: [] }, webhookDelivery: null });
    const resend = await server.ok(ann, `mutation($input: ResendWebhookDeliveryInput!) { resendWebhookDelivery(input: $input) { userErrors { code } } }`, {
      input: { deliveryId: some.id },
    }).catch((e: Error) => e);
    // A payer's consent never grants payments:write: refused by scope before the policy.
    assert.ok(resend instanceof Error && /FORBIDDEN/.test(resend.message));
  });

  it('pushes a payer’s own balance changes to a token acting for that payer', async () => {
    const ws = server.ws(ann);
    const { collector, stop } = subscribe(ws, `subscription($id: ID!) { accountBalanceUpdated(accountId: $id) { accountId balance { posted { value } } } }`, { id: annAccount });
    try {
      // Fund until the subscription is live and one change arrives (the first may precede the subscription).
      for (let i = 0; i < 20 && collector.items.length === 0 && collector.errors.length === 0; i++) {
        await fund(server, operator, annAccount, '1.00');
        await collector.waitFor((c) => c.items.length > 0 || c.errors.length > 0, 250).catch(() => undefined);
      }
      assert.deepEqual(collector.errors, []);
      assert.ok(collector.items.length > 0, 'the payer received a balance event of their own account');
      assert.equal((collector.items[0] as any).accountBalanceUpdated.accountId, annAccount);
    } finally {
      stop();
    }
  });

  it('lets the owner of the receiving account read a payment another client created, its transactions and its account’s payments; only the creator acts', async () => {
    await fund(server, operator, vendorTill, '20.00');
    const created = await createPayment(server, vendor, { accountId: vendorTill, sellerId: otherTill, requestId: 'into-other' });
    const paymentId = created.payment.id;
    const added = await step(server, vendor, 'addPaymentTransaction', { paymentId, amount: '3.00', idempotencyKey: 'into-other-1' });
    const read = await server.ok(
      other.token,
      `query($id: ID!, $txn: ID!, $acct: ID!) {
        payment(id: $id) { id beneficiaryAccount { id } payerAccount { id } }
        transaction(id: $txn) { id }
        account(id: $acct) { payments(first: 10) { nodes { id } } }
      }`,
      { id: paymentId, txn: added.transaction.id, acct: otherTill },
    );
    assert.deepEqual(read.payment, { id: paymentId, beneficiaryAccount: { id: otherTill }, payerAccount: null });
    assert.equal(read.transaction?.id, added.transaction.id);
    assert.deepEqual(read.account.payments.nodes.map((n: any) => n.id), [paymentId]);
    for (const mutation of ['authorizePayment', 'cancelPayment']) {
      const refused = await step(server, other, mutation, { paymentId });
      assert.deepEqual(refused.userErrors.map((e: any) => e.code), ['NOT_FOUND'], mutation);
    }
    // The payer side still lists it (its own page of payments is about both sides now).
    const mine = await server.ok(vendor.token, `query($acct: ID!) { account(id: $acct) { payments(first: 100) { nodes { id } } } }`, { acct: vendorTill });
    assert.ok(mine.account.payments.nodes.some((n: any) => n.id === paymentId));
    // Paging through both sides gives the same payments, newest first, each once.
    const pageQuery = `query($acct: ID!, $after: String) { account(id: $acct) { payments(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } } }`;
    const paged: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const page: any = (await server.ok(vendor.token, pageQuery, { acct: vendorTill, after })).account.payments;
      paged.push(...page.nodes.map((n: any) => n.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    assert.ok(paged.length > 2);
    assert.deepEqual(paged, mine.account.payments.nodes.map((n: any) => n.id));
    // A payer's token reads the client's payments from the payer's account, and none of others.
    const annPayments = await server.ok(ann, `query($acct: ID!) { account(id: $acct) { payments(first: 100) { nodes { id } } } }`, { acct: annAccount });
    assert.ok(annPayments.account.payments.nodes.length > 0);
    const bertsView = await server.ok(bert, `query($acct: ID!) { account(id: $acct) { id } }`, { acct: annAccount });
    assert.equal(bertsView.account, null);
  });

  it('shows viewer.webhookSecret only to the client’s own token holding a scope that creates what sends webhooks', async () => {
    const secretFor = async (token: string) => (await server.ok(token, `{ viewer { id webhookSecret } }`)).viewer.webhookSecret;
    for (const scope of ['accounts:read', 'payments:read', 'accounts:read accounts:write profile']) {
      assert.equal(await secretFor(await server.token(vendor.id, vendor.secret, scope)), null, scope);
    }
    for (const scope of ['payments:write', 'orders:write']) {
      assert.equal(await secretFor(await server.token(vendor.id, vendor.secret, scope)), vendor.webhookSecret, scope);
    }
    assert.equal(await secretFor(ann), null, 'a token acting for a payer');
  });
});
