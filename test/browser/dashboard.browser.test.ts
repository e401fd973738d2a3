import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { NO_CHROMIUM, launchChromium } from '../support/browser';
import { createPayment, fund, openAccount, step } from '../support/flows';
import { startServer, subscribe, type TestClient, type TestServer } from '../support/server';
import { WebhookReceiver } from '../support/webhook-receiver';

/** Written only with UPDATE_SCREENSHOTS=1, so that a test run leaves the tree as it was; the README shows it. */
const SCREENSHOT = join(__dirname, '..', '..', '..', 'test', 'browser', 'screenshots', 'dashboard.png');

describe('the operator dashboard at /operator', { skip: NO_CHROMIUM }, () => {
  let server: TestServer;
  let browser: Browser;
  let operator: TestClient;
  let merchant: TestClient;
  let receiver: WebhookReceiver;

  before(async () => {
    // One attempt per delivery, so that a failing endpoint dead-letters at once.
    server = await startServer({ config: { schedulerPollMs: 100, webhookMaxAttempts: 1 } });
    operator = await server.operator();
    merchant = await server.client();
    receiver = await WebhookReceiver.start((_request, index) => (index === 0 ? 503 : 200));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await receiver?.close();
    await server.close();
  });

  async function logIn(page: Page, clientId: string, secret: string): Promise<void> {
    await page.goto(`${server.url}/operator`);
    await page.fill('#client_id', clientId);
    await page.fill('#client_secret', secret);
    await page.click('button[type=submit]');
    await page.waitForLoadState('domcontentloaded');
  }

  it('refuses a wrong secret and a client that is not an operator, and shows them no dashboard', async () => {
    const page = await browser.newPage();
    await logIn(page, operator.id, 'pgcs_wrong');
    assert.match(await page.locator('.error').innerText(), /client id or secret is wrong/);
    await logIn(page, merchant.id, merchant.secret);
    assert.match(await page.locator('.error').innerText(), /not an operator/);
    assert.equal(await page.locator('#feed').count(), 0, 'no dashboard');
    assert.equal(await page.content().then((c) => c.includes(merchant.secret)), false, 'the secret is not echoed');
    await page.close();
  });

  it('refuses a login form posted without its CSRF token', async () => {
    const response = await fetch(`${server.url}/operator/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: operator.id, client_secret: operator.secret }),
      redirect: 'manual',
    });
    assert.equal(response.status, 403);
    assert.ok(!(response.headers.get('set-cookie') ?? '').includes('paygrid_operator='), 'no operator cookie is set');
  });

  it('shows a payment made during the test, balances, the books, the backlog and dead letters live, and re-sends a dead letter', async () => {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith(server.url.replace(/^http/, 'ws'))) elsewhere.push(request.url());
    });
    await logIn(page, operator.id, operator.secret);
    await page.waitForSelector('#connection.live', { timeout: 15_000 });
    assert.equal(await page.content().then((c) => c.includes(operator.secret)), false, 'the secret never reaches the page');
    // A reload would lose this mark: the list must fill without one.
    await page.evaluate(() => ((globalThis as unknown as { mark: string }).mark = 'same page'));

    const till = await openAccount(server, merchant, 'EUR', 'Till');
    const shop = await openAccount(server, merchant, 'EUR', 'Shop');
    await fund(server, operator, till, '100.00');
    const created = await createPayment(server, merchant, { accountId: till, sellerId: shop, requestId: `dash-${Date.now()}` });
    const paymentId: string = created.payment.id;
    await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '12.50' });
    await step(server, merchant, 'authorizePayment', { paymentId });
    await step(server, merchant, 'executePayment', { paymentId });

    const completed = page.locator(`#feed tr[data-payment="${paymentId}"][data-state="COMPLETED"]`);
    await completed.first().waitFor({ timeout: 15_000 });
    assert.equal(await completed.first().getAttribute('data-flow'), 'ACCOUNT_PAYMENT');
    assert.match(await completed.first().innerText(), /12\.50 EUR/);
    assert.ok((await page.locator(`#feed tr[data-payment="${paymentId}"]`).count()) >= 2, 'each change of the payment is listed');
    await page.locator('#counts tr[data-flow="ACCOUNT_PAYMENT"][data-state="COMPLETED"]').waitFor({ timeout: 10_000 });
    await page.locator('#settlement tr[data-account="acct_settlement_EUR"]').waitFor({ timeout: 10_000 });
    assert.match(await page.locator('#settlement tr[data-account="acct_settlement_EUR"]').innerText(), /-100\.00 EUR/);
    assert.match(await page.locator('#ledger').innerText(), /EUR\s+3\s+0\s+0/, 'the books of EUR: the till, the shop and settlement, summing to zero, none drifting');
    assert.match(await page.locator('#backlog').innerText(), /job|scheduler/);

    // A webhook to an endpoint that fails: one attempt, then dead-lettered, and listed without reload.
    const { db, webhooks } = server.app.services;
    const delivery = await db.transaction((tx) =>
      webhooks.enqueue(tx, { clientId: merchant.id, url: `${receiver.base}/hooks`, eventType: 'PAYMENT_STATE_UPDATED', paymentId, body: { id: paymentId }, scheme: 'standard' }),
    );
    const deadRow = page.locator(`#dead tr[data-delivery="${delivery.id}"]`);
    await deadRow.waitFor({ timeout: 15_000 });
    assert.match(await deadRow.innerText(), /\tHTTP 503 after 1 attempt(\tResend)?$/);

    if (process.env.UPDATE_SCREENSHOTS === '1') {
      mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }

    await deadRow.locator('button.resend').click();
    await deadRow.waitFor({ state: 'detached', timeout: 15_000 });
    await receiver.waitFor(2);
    const stateOf = async () => (await server.ok(operator.token, `query($id: ID!) { webhookDelivery(id: $id) { state attemptCount } }`, { id: delivery.id })).webhookDelivery;
    for (let tries = 0; tries < 100 && (await stateOf()).state !== 'DELIVERED'; tries++) await page.waitForTimeout(100);
    assert.deepEqual(await stateOf(), { state: 'DELIVERED', attemptCount: 2 }, 'the endpoint got it once more and answered');

    assert.equal(await page.evaluate(() => (globalThis as unknown as { mark?: string }).mark), 'same page', 'nothing was reloaded');
    assert.deepEqual(elsewhere, [], 'nothing is loaded from outside Paygrid');
    await page.close();
  });

  it('logs out: the page’s token stops working and the dashboard asks for a login again', async () => {
    const page = await browser.newPage();
    await logIn(page, operator.id, operator.secret);
    const token = await page.locator('meta[name="paygrid-token"]').getAttribute('content');
    assert.ok(token);
    assert.equal((await server.gql(token, '{ ledgerReport { assetCode } }')).errors, undefined);
    assert.equal((await server.gql(token, 'mutation { fundAccount(input: { accountId: "acct_x", amount: "1", idempotencyKey: "k" }) { userErrors { code } } }')).errors?.[0].extensions?.code, 'FORBIDDEN', 'the page’s token moves no money');
    await page.click('header button[type=submit]');
    await page.waitForSelector('#client_id');
    assert.equal((await server.gql(token, '{ ledgerReport { assetCode } }')).errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    await page.close();
  });

  it('is refused to a merchant’s token over the API: the feed and the overview need ledger:read', async () => {
    assert.equal((await server.gql(merchant.token, '{ operationsOverview { schedulerBacklog { dueJobs } } }')).errors?.[0].extensions?.code, 'FORBIDDEN');
    const { collector, stop } = subscribe(server.ws(merchant.token), 'subscription { paymentFeed { flow } }');
    await collector.waitFor((c) => c.errors.length > 0);
    stop();
    assert.equal((collector.errors[0] as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code, 'FORBIDDEN');
  });
});
