import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { MERCHANT_SCOPES, Scope } from '../../src/oauth/scopes';
import { NO_CHROMIUM, Site, launchChromium } from '../support/browser';
import { startServer, type TestClient, type TestServer } from '../support/server';

/** Debian's Chromium; the test never downloads a browser. */

describe('bank payment validation webview in a real browser (Chromium)', { skip: NO_CHROMIUM }, () => {
  let server: TestServer;
  let shop: Site;
  let browser: Browser;
  let merchant: TestClient;
  let context: BrowserContext;

  before(async () => {
    shop = new Site();
    await shop.start();
    server = await startServer();
    merchant = await server.client([...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN], 'ACME Shop');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await shop?.close();
  });

  async function freshPage(): Promise<Page> {
    await context?.close();
    context = await browser.newContext();
    return context.newPage();
  }

  /** The merchant's backend: creates a payment and gets the validation URL. */
  async function validationUrl(state: string): Promise<{ id: string; url: string }> {
    const created = await server.ok(
      merchant.token,
      `mutation($input: CreateInitiationInput!) { createInitiation(input: $input) { initiation { id } userErrors { code field message } } }`,
      {
        input: {
          clientRedirectUri: shop.url('/powens/callback'),
          clientState: state,
          instructions: [
            {
              label: 'Order 1042',
              amount: '50.90',
              currency: 'EUR',
              executionDateType: 'instant',
              beneficiary: { schemeName: 'iban', identification: 'FR7630006000011234567890189', label: 'ACME Corp.' },
              beneficiaryIdentity: { kind: 'corporate', orgName: 'ACME Corp.', schemeName: 'siren', identification: '749867206' },
            },
          ],
          payerIdentity: { kind: 'individual', firstName: 'Germaine', lastName: 'Michu' },
          idempotencyKey: `browser-${state}`,
        },
      },
    );
    assert.deepEqual(created.createInitiation.userErrors, []);
    const id = created.createInitiation.initiation.id;
    const token = await server.ok(merchant.token, `mutation($id: ID!) { createInitiationToken(input: { paymentId: $id }) { validationUrl } }`, { id });
    return { id, url: token.createInitiationToken.validationUrl };
  }

  it('chooses a bank, signs in at the sandbox bank and confirms: lands on the redirect URI with state and id_payment', async () => {
    const { id, url } = await validationUrl('state-confirm');
    const page = await freshPage();
    await page.goto(url);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Validate the payment');
    assert.equal(await page.locator('#amount').textContent(), '50.90 EUR');
    assert.equal(new URL(page.url()).searchParams.get('code'), null, 'the token left the address bar');
    await page.getByLabel('Sandbox Bank', { exact: true }).check();
    await page.getByRole('button', { name: 'Continue to my bank' }).click();
    await page.waitForLoadState('domcontentloaded');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sandbox Bank');
    await page.getByLabel('Login').fill('germaine');
    await page.getByLabel('Password').fill('sandbox');
    await Promise.all([page.waitForURL((u) => u.toString().startsWith(shop.url('/powens/callback'))), page.getByRole('button', { name: 'Confirm the payment' }).click()]);
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('state'), 'state-confirm');
    assert.equal(landed.searchParams.get('id_payment'), id);
    assert.equal(landed.searchParams.get('payment_state'), 'pending');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Back at the shop');
    const read = await server.ok(merchant.token, `query($id: ID!) { initiation(id: $id) { state } }`, { id });
    assert.ok(['PENDING', 'DONE'].includes(read.initiation.state));
  });

  it('cancels in the webview: lands on the redirect URI with error=cancelled', async () => {
    const { id, url } = await validationUrl('state-cancel');
    const page = await freshPage();
    await page.goto(url);
    await Promise.all([page.waitForURL((u) => u.toString().startsWith(shop.url('/powens/callback'))), page.getByRole('button', { name: 'Cancel the payment' }).click()]);
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('error'), 'cancelled');
    assert.equal(landed.searchParams.get('error_code'), 'CancelledByUser');
    assert.equal(landed.searchParams.get('state'), 'state-cancel');
    assert.equal(landed.searchParams.get('id_payment'), id);
    const read = await server.ok(merchant.token, `query($id: ID!) { initiation(id: $id) { state errorCode } }`, { id });
    assert.deepEqual(read.initiation, { state: 'REJECTED', errorCode: 'CancelledByUser' });
  });
});
