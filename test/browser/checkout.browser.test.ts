import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { MERCHANT_SCOPES } from '../../src/oauth/scopes';
import { fund, openAccount } from '../support/flows';
import { FormBrowser } from '../support/form-browser';
import { consent } from '../support/payer-consent';
import { NO_CHROMIUM, Site, launchChromium } from '../support/browser';
import { startServer, type TestClient, type TestServer } from '../support/server';

/** Debian's Chromium; the test never downloads a browser. */
const SCREENSHOT = '/tmp/checkout.png';
const CAROL = { username: 'carol', password: 'carol-password-42', name: 'Carol Payer' };
const DAVE = { username: 'dave', password: 'dave-password-42', name: 'Dave Payer' };
const NO_FUNDS_MESSAGE = 'Your available balance does not cover this order. Nothing was paid.';

interface OrderItem {
  name: string;
  description?: string;
  value: string;
  count: number;
}

interface CreatedOrder {
  id: string;
  approve: string;
  successUrl: string;
  errorUrl: string;
  /** As the vendor reads it, e.g. "25.50 EUR". */
  total: string;
}

describe('checkout page for orders in a real browser (Chromium)', { skip: NO_CHROMIUM }, () => {
  let server: TestServer;
  let receiver: Site;
  let browser: Browser;
  let shop: TestClient;
  let startup: TestClient;
  let carolWallet: string;
  /** Carol's consent to each vendor: orders:write (create orders for her) and accounts:read (her balance). */
  let carolAtShop: string;
  let carolAtStartup: string;
  let daveAtShop: string;
  const contexts: BrowserContext[] = [];
  /** The order Carol approves in the first test; later tests look at it again. */
  let approved: CreatedOrder | undefined;

  before(async () => {
    receiver = new Site();
    await receiver.start();
    server = await startServer();
    const operator = await server.operator();
    shop = await server.client(MERCHANT_SCOPES, 'Corner Shop', { redirectUris: [receiver.url('/oauth/callback')], verified: true });
    startup = await server.client(MERCHANT_SCOPES, 'Fresh Startup', { redirectUris: [receiver.url('/oauth/callback')], verified: false });
    // Each vendor has an EUR account for the order's money to go to.
    await openAccount(server, shop, 'EUR', 'Shop till');
    await openAccount(server, startup, 'EUR', 'Startup till');

    const carol = await server.app.services.users.create(CAROL);
    carolWallet = (await server.app.services.accounts.create({ clientId: shop.id, userId: carol.id }, { assetCode: 'EUR', name: 'Carol wallet' })).id;
    await fund(server, operator, carolWallet, '100.00');
    const dave = await server.app.services.users.create(DAVE);
    const daveWallet = (await server.app.services.accounts.create({ clientId: shop.id, userId: dave.id }, { assetCode: 'EUR', name: 'Dave wallet' })).id;
    await fund(server, operator, daveWallet, '1000.00');

    const scope = 'orders:write accounts:read';
    const grant = async (vendor: TestClient, who: typeof CAROL) =>
      (await consent(server, new FormBrowser(server.url), vendor, { redirectUri: receiver.url('/oauth/callback'), scope, ...who })).access;
    carolAtShop = await grant(shop, CAROL);
    carolAtStartup = await grant(startup, CAROL);
    daveAtShop = await grant(shop, DAVE);

    browser = await launchChromium();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
    await receiver?.close();
  });

  /** A fresh context: no cookies, no session. */
  async function freshPage(): Promise<Page> {
    const context = await browser.newContext();
    context.setDefaultTimeout(15_000);
    contexts.push(context);
    return context.newPage();
  }

  /** The vendor's backend creates an order with the payer's token. */
  async function createOrder(payerToken: string, externalId: string, items: OrderItem[]): Promise<CreatedOrder> {
    const successUrl = `${receiver.origin}/shop/success?cart=${externalId}`;
    const errorUrl = `${receiver.origin}/shop/error?cart=${externalId}`;
    const data = await server.ok(
      payerToken,
      `mutation($input: CreateOrderInput!) { createOrder(input: $input) {
        order { id status total { formatted assetCode } links { rel link } }
        userErrors { code field message } } }`,
      {
        input: {
          externalId,
          requestId: `order-${externalId}`,
          items: items.map((i) => ({ name: i.name, description: i.description ?? null, amount: { value: i.value, currencyCode: 'EUR' }, count: i.count })),
          callbackUrl: `${receiver.origin}/shop/callback`,
          successUrl,
          errorUrl,
        },
      },
    );
    assert.deepEqual(data.createOrder.userErrors, []);
    const order = data.createOrder.order;
    assert.equal(order.status, 'CREATED');
    const approve = order.links.find((l: { rel: string }) => l.rel === 'approve')?.link;
    assert.equal(approve, `${server.url}/checkout/${order.id}`);
    return { id: order.id, approve, successUrl, errorUrl, total: `${order.total.formatted} ${order.total.assetCode}` };
  }

  /** The order's status as its vendor reads it. */
  async function statusOf(vendor: TestClient, orderId: string): Promise<string> {
    const data = await server.ok(vendor.token, `query($id: ID!) { order(id: $id) { status } }`, { id: orderId });
    assert.ok(data.order, `order ${orderId} not found`);
    return data.order.status;
  }

  /** Carol's balance, read with her consent (accounts:read). */
  async function carolBalance(): Promise<{ posted: string; reserved: string; available: string }> {
    const data = await server.ok(carolAtShop, `query($id: ID!) { account(id: $id) { balance { posted { formatted } reserved { formatted } available { formatted } } } }`, {
      id: carolWallet,
    });
    const b = data.account.balance;
    return { posted: b.posted.formatted, reserved: b.reserved.formatted, available: b.available.formatted };
  }

  async function logIn(p: Page, who: typeof CAROL): Promise<void> {
    assert.equal(await p.getByRole('heading', { level: 1 }).textContent(), 'Log in');
    await p.getByLabel('Username').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await Promise.all([p.waitForURL((url) => url.pathname !== '/login'), p.getByRole('button', { name: 'Log in' }).click()]);
    await p.waitForLoadState('domcontentloaded');
  }

  /** A fresh browser opens the order's approve link, is sent to log in, and comes back to the checkout page. */
  async function openCheckout(order: CreatedOrder, who: typeof CAROL = CAROL): Promise<Page> {
    const p = await freshPage();
    await p.goto(order.approve);
    const login = new URL(p.url());
    assert.equal(login.origin, server.url);
    assert.equal(login.pathname, '/login', 'not logged in: the login page first');
    assert.equal(login.searchParams.get('return_to'), `/checkout/${order.id}`);
    await logIn(p, who);
    assert.equal(p.url(), order.approve, 'logged in: back on the checkout page');
    return p;
  }

  /** The rows of the items table, cell by cell. */
  async function itemRows(p: Page): Promise<string[][]> {
    return p.locator('#items tbody tr').evaluateAll((rows) => rows.map((row) => Array.from(row.querySelectorAll('td'), (td) => ((td as unknown as { innerText: string }).innerText).trim())));
  }

  it('approve: the payer logs in, sees vendor, badge, items, total and balance, approves and lands on successUrl; the total is reserved', async () => {
    const reservedBefore = (await carolBalance()).reserved;
    assert.equal(reservedBefore, '0.00');
    const order = await createOrder(carolAtShop, 'cart-approve', [
      { name: 'Coffee beans', description: 'Whole, 1 kg', value: '10.00', count: 2 },
      { name: 'Croissant', value: '5.50', count: 1 },
    ]);
    const p = await openCheckout(order);

    assert.equal(await p.title(), 'Pay Corner Shop · Paygrid');
    assert.equal(await p.locator('#vendor-name').textContent(), 'Corner Shop');
    const badge = p.locator('[data-verification]');
    assert.equal(await badge.count(), 1);
    assert.equal(await badge.textContent(), 'Verified');
    assert.equal(await badge.getAttribute('data-verification'), 'verified');
    // Two lines, three items in all (2 × 10.00 + 1 × 5.50).
    assert.deepEqual(await itemRows(p), [
      ['Coffee beans\nWhole, 1 kg', '2', '10.00 EUR'],
      ['Croissant', '1', '5.50 EUR'],
    ]);
    assert.equal(order.total, '25.50 EUR', 'the API agrees on the total');
    assert.equal(await p.locator('#total').textContent(), '25.50 EUR');
    assert.equal(await p.locator('#available').textContent(), '100.00 EUR');
    assert.match(await p.locator('main').innerText(), /Paid from Carol wallet, available 100\.00 EUR\./);
    assert.equal(await p.locator('#status').count(), 0, 'an open order: no status line');
    assert.equal(await p.getByRole('alert').count(), 0);
    assert.equal(await p.getByRole('button', { name: 'Approve and pay' }).count(), 1);
    assert.equal(await p.getByRole('button', { name: 'Decline' }).count(), 1);
    await p.screenshot({ path: SCREENSHOT, fullPage: true });

    const visits = receiver.visits('/shop/success').length;
    await Promise.all([p.waitForURL((url) => url.toString().startsWith(`${receiver.origin}/shop/success`)), p.getByRole('button', { name: 'Approve and pay' }).click()]);
    const landed = new URL(p.url());
    assert.equal(landed.searchParams.get('order_id'), order.id);
    assert.equal(landed.searchParams.get('cart'), 'cart-approve', 'the successUrl keeps its own query');
    assert.equal(await p.getByRole('heading', { level: 1 }).textContent(), 'Back at the shop');
    assert.equal(receiver.visits('/shop/success').length, visits + 1, 'the vendor saw the browser come back once');
    assert.equal(receiver.visits('/shop/success').at(-1)!.searchParams.get('order_id'), order.id);
    assert.equal(receiver.visits('/shop/error').length, 0);

    assert.equal(await statusOf(shop, order.id), 'APPROVED');
    assert.deepEqual(await carolBalance(), { posted: '100.00', reserved: '25.50', available: '74.50' });
    approved = order;
  });

  it('decline: the browser lands on errorUrl with order_id, the order is cancelled and nothing is reserved', async () => {
    const before = await carolBalance();
    const order = await createOrder(carolAtShop, 'cart-decline', [{ name: 'Teapot', value: '30.00', count: 1 }]);
    const p = await openCheckout(order);
    assert.equal(await p.locator('#total').textContent(), '30.00 EUR');
    assert.equal(await p.locator('#available').textContent(), `${before.available} EUR`);

    await Promise.all([p.waitForURL((url) => url.toString().startsWith(`${receiver.origin}/shop/error`)), p.getByRole('button', { name: 'Decline' }).click()]);
    const landed = new URL(p.url());
    assert.equal(landed.searchParams.get('order_id'), order.id);
    assert.equal(landed.searchParams.get('cart'), 'cart-decline');
    assert.equal(receiver.visits('/shop/error').at(-1)!.searchParams.get('order_id'), order.id);
    assert.equal(receiver.visits('/shop/success').filter((u) => u.searchParams.get('order_id') === order.id).length, 0);

    assert.equal(await statusOf(shop, order.id), 'CANCELLED');
    assert.deepEqual(await carolBalance(), before, 'nothing reserved');

    // Back on the checkout page: it says cancelled and offers nothing.
    await p.goto(order.approve);
    assert.match((await p.locator('#status').textContent()) ?? '', /This order is cancelled/);
    assert.equal(await p.getByRole('button').count(), 0);
  });

  it('insufficient funds: approving shows the error on the page, the order stays created and nothing is reserved', async () => {
    const before = await carolBalance();
    const order = await createOrder(carolAtShop, 'cart-too-big', [{ name: 'Espresso machine', value: '450.00', count: 1 }]);
    const p = await openCheckout(order);
    assert.equal(await p.locator('#total').textContent(), '450.00 EUR');
    const hits = receiver.hits.filter((h) => h.method === 'GET').length;

    const [response] = await Promise.all([
      p.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/checkout/${order.id}`),
      p.getByRole('button', { name: 'Approve and pay' }).click(),
    ]);
    await p.waitForLoadState('domcontentloaded');
    assert.equal(response.status(), 400);
    assert.equal(new URL(p.url()).origin, server.url, 'the browser stays on Paygrid');
    assert.equal(new URL(p.url()).pathname, `/checkout/${order.id}`);
    assert.equal(await p.getByRole('alert').textContent(), NO_FUNDS_MESSAGE);
    // The page still shows the order, and the payer may still decline it.
    assert.equal(await p.locator('#total').textContent(), '450.00 EUR');
    assert.equal(await p.locator('#available').textContent(), `${before.available} EUR`);
    assert.equal(await p.getByRole('button', { name: 'Approve and pay' }).count(), 1);
    assert.equal(await p.getByRole('button', { name: 'Decline' }).count(), 1);
    assert.equal(receiver.hits.filter((h) => h.method === 'GET').length, hits, 'the browser went to neither successUrl nor errorUrl');

    assert.equal(await statusOf(shop, order.id), 'CREATED');
    assert.deepEqual(await carolBalance(), before, 'nothing reserved');
  });

  it('a vendor Paygrid has not verified: the badge reads "Not verified"', async () => {
    const order = await createOrder(carolAtStartup, 'startup-1', [{ name: 'Beta access', value: '9.99', count: 1 }]);
    const p = await openCheckout(order);
    assert.equal(await p.locator('#vendor-name').textContent(), 'Fresh Startup');
    const badge = p.locator('[data-verification]');
    assert.equal(await badge.count(), 1);
    assert.equal(await badge.textContent(), 'Not verified');
    assert.equal(await badge.getAttribute('data-verification'), 'not-verified');
    assert.match(await p.locator('main').innerText(), /Paygrid has not checked who runs this application/);
    assert.equal(await p.locator('#total').textContent(), '9.99 EUR');
    assert.equal(await p.getByRole('button', { name: 'Approve and pay' }).count(), 1);
    assert.equal(await statusOf(startup, order.id), 'CREATED');
  });

  it("another payer opens the first payer's checkout link: No such order (404), no buttons, and a POST changes nothing", async () => {
    const before = await carolBalance();
    const order = await createOrder(carolAtShop, 'cart-carols', [{ name: 'Biscuits', value: '4.20', count: 1 }]);
    const p = await freshPage();
    const first = await p.goto(order.approve);
    assert.equal(new URL(p.url()).pathname, '/login', `got ${first?.status()}`);
    await logIn(p, DAVE);
    assert.equal(p.url(), order.approve);

    const response = await p.goto(order.approve);
    assert.equal(response?.status(), 404);
    assert.equal(await p.getByRole('heading', { level: 1 }).textContent(), 'No such order');
    assert.match(await p.locator('main').innerText(), /This order does not exist or is not yours to pay\./);
    assert.equal(await p.getByRole('button').count(), 0);
    assert.equal(await p.locator('form').count(), 0);
    for (const id of ['#vendor-name', '#total', '#available', '#items', '[data-verification]']) assert.equal(await p.locator(id).count(), 0, `${id} is not shown`);
    assert.doesNotMatch(await p.content(), /Biscuits|4\.20|Corner Shop|Carol/);

    // Dave, with a valid session and CSRF token of his own, posts an approval anyway.
    await p.goto(`${server.url}/login`);
    const csrf = await p.locator('input[name="csrf_token"]').getAttribute('value');
    assert.ok(csrf, 'the logged-in page carries a CSRF token');
    const post = await p.request.post(order.approve, { form: { csrf_token: csrf, decision: 'approve' }, maxRedirects: 0 });
    assert.equal(post.status(), 404);
    assert.equal(await statusOf(shop, order.id), 'CREATED');
    assert.deepEqual(await carolBalance(), before, "nothing reserved on Carol's account");

    // Dave's own orders are unaffected: his token creates orders that his own checkout shows.
    const his = await createOrder(daveAtShop, 'cart-daves', [{ name: 'Jam', value: '3.00', count: 2 }]);
    const own = await p.goto(his.approve);
    assert.equal(own?.status(), 200);
    assert.equal(await p.locator('#total').textContent(), '6.00 EUR');
    assert.equal(await p.locator('#available').textContent(), '1000.00 EUR');
  });

  it('an order already approved shows its status and no form', async () => {
    assert.ok(approved, 'the approve test ran first');
    const before = await carolBalance();
    const p = await openCheckout(approved);
    assert.match((await p.locator('#status').textContent()) ?? '', /This order is approved: there is nothing left to approve\./);
    assert.equal(await p.locator('#status strong').textContent(), 'approved');
    assert.equal(await p.locator('form').count(), 0);
    assert.equal(await p.getByRole('button').count(), 0);
    // Still shows what was bought, from whom, and the total.
    assert.equal(await p.locator('#vendor-name').textContent(), 'Corner Shop');
    assert.equal(await p.locator('#total').textContent(), '25.50 EUR');
    assert.equal((await itemRows(p)).length, 2);

    // A replayed approval (an old tab's form, with a valid CSRF token) neither redirects nor reserves twice.
    await p.goto(`${server.url}/login`);
    const csrf = await p.locator('input[name="csrf_token"]').getAttribute('value');
    const replay = await p.request.post(approved.approve, { form: { csrf_token: csrf!, decision: 'approve' }, maxRedirects: 0 });
    assert.equal(replay.status(), 400);
    assert.equal(await statusOf(shop, approved.id), 'APPROVED');
    assert.deepEqual(await carolBalance(), before);
  });

  // Known bug (OrderService.decline does not require a created order): remove `todo` once fixed.
  it('two tabs: approve in one, then Decline in the other leaves the order approved and the money reserved', async () => {
    const order = await createOrder(carolAtShop, 'cart-two-tabs', [{ name: 'Honey', value: '7.00', count: 1 }]);
    const first = await openCheckout(order);
    const second = await first.context().newPage();
    await second.goto(order.approve);
    assert.equal(await second.getByRole('button', { name: 'Decline' }).count(), 1);

    await Promise.all([first.waitForURL((url) => url.toString().startsWith(`${receiver.origin}/shop/success`)), first.getByRole('button', { name: 'Approve and pay' }).click()]);
    assert.equal(await statusOf(shop, order.id), 'APPROVED');
    const reserved = await carolBalance();

    // The second tab still shows the form of the order as it was; the payer clicks Decline there.
    await second.getByRole('button', { name: 'Decline' }).click();
    await second.waitForLoadState('domcontentloaded');
    assert.equal(new URL(second.url()).origin, server.url, 'not sent to errorUrl: nothing was declined');
    assert.equal(await statusOf(shop, order.id), 'APPROVED');
    assert.deepEqual(await carolBalance(), reserved, 'the reservation stands');
  });
});
