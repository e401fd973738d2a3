import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { MERCHANT_SCOPES, SCOPE_WORDING, Scope } from '../../src/oauth/scopes';
import { NO_CHROMIUM, Site, launchChromium } from '../support/browser';
import { startServer, type TestClient, type TestServer } from '../support/server';

/** Debian's Chromium; the test never downloads a browser. */
const PASSWORD = 'bob-password-42';
const VECTOR = { verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' };

describe('payer pages in a real browser (Chromium)', { skip: NO_CHROMIUM }, () => {
  let server: TestServer;
  let receiver: Site;
  let browser: Browser;
  let shop: TestClient;
  let unverified: TestClient;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    receiver = new Site();
    await receiver.start();
    server = await startServer();
    shop = await server.client(MERCHANT_SCOPES, 'Corner Shop', { redirectUris: [receiver.url('/callback')], verified: true });
    unverified = await server.client(MERCHANT_SCOPES, 'Fresh Startup', { redirectUris: [receiver.url('/callback')], verified: false });
    await server.app.services.users.create({ username: 'bob', password: PASSWORD, name: 'Bob Payer' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await receiver?.close();
  });

  /** Each test starts with a fresh context: no cookies, no session. */
  async function freshPage(): Promise<Page> {
    await context?.close();
    context = await browser.newContext();
    page = await context.newPage();
    return page;
  }

  function authorizeUrl(clientId: string, state: string, scope = 'accounts:read profile'): string {
    const url = new URL(`${server.url}/oauth/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: receiver.url('/callback'),
      scope,
      state,
      code_challenge: VECTOR.challenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.toString();
  }

  async function logIn(p: Page, password = PASSWORD): Promise<void> {
    await p.getByLabel('Username').fill('bob');
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.waitForLoadState('domcontentloaded');
  }

  it('logs in and approves: the browser lands on the redirect URI with code and state', async () => {
    const p = await freshPage();
    await p.goto(authorizeUrl(shop.id, 'state-approve'));
    assert.equal(await p.getByRole('heading', { level: 1 }).textContent(), 'Log in');
    await logIn(p);
    assert.match((await p.getByRole('heading', { level: 1 }).textContent()) ?? '', /Corner Shop wants to use your Paygrid account/);

    const before = receiver.pages().length;
    await Promise.all([p.waitForURL((url) => url.toString().startsWith(receiver.url('/callback'))), p.getByRole('button', { name: 'Approve' }).click()]);
    const landed = new URL(p.url());
    assert.equal(landed.searchParams.get('state'), 'state-approve');
    assert.match(landed.searchParams.get('code') ?? '', /^pgac_/);
    assert.equal(landed.searchParams.get('iss'), server.url);
    assert.equal(await p.getByRole('heading', { level: 1 }).textContent(), 'Back at the shop');
    assert.equal(receiver.pages().length, before + 1);
    assert.equal(receiver.pages().at(-1)!.searchParams.get('code'), landed.searchParams.get('code'));

    // The code the browser carried is good for the shop's backend.
    const response = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${shop.id}:${shop.secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: landed.searchParams.get('code')!, redirect_uri: receiver.url('/callback'), code_verifier: VECTOR.verifier }),
    });
    const tokens = (await response.json()) as { access_token: string };
    assert.equal(response.status, 200, JSON.stringify(tokens));
    const me = await server.ok(tokens.access_token, `{ payer { username } }`);
    assert.deepEqual(me.payer, { username: 'bob' });
  });

  it('keeps the session: a second request goes straight to the consent page, and Deny sends error=access_denied', async () => {
    const p = await freshPage();
    await p.goto(authorizeUrl(shop.id, 'first'));
    await logIn(p);
    await p.goto(authorizeUrl(shop.id, 'state-deny'));
    assert.equal(await p.getByRole('button', { name: 'Deny' }).count(), 1, 'logged in already: no login form');
    await Promise.all([p.waitForURL((url) => url.toString().startsWith(receiver.url('/callback'))), p.getByRole('button', { name: 'Deny' }).click()]);
    const landed = new URL(p.url());
    assert.equal(landed.searchParams.get('error'), 'access_denied');
    assert.equal(landed.searchParams.get('state'), 'state-deny');
    assert.equal(landed.searchParams.get('code'), null);
  });

  it('shows a wrong password on the login page and stays there', async () => {
    const p = await freshPage();
    await p.goto(authorizeUrl(shop.id, 'state-wrong'));
    const hits = receiver.pages().length;
    await logIn(p, 'not-bobs-password');
    assert.equal(await p.getByRole('alert').textContent(), 'Wrong username or password.');
    assert.equal(await p.getByRole('heading', { level: 1 }).textContent(), 'Log in');
    assert.equal(await p.getByLabel('Password').count(), 1);
    assert.equal(await p.getByLabel('Username').inputValue(), 'bob');
    assert.equal(new URL(p.url()).origin, server.url);
    assert.equal(receiver.pages().length, hits, 'nothing reached the client');

    // The right password still works from there and leads on to the consent page.
    await logIn(p);
    assert.match((await p.getByRole('heading', { level: 1 }).textContent()) ?? '', /Corner Shop/);
  });

  it('names the client, words the scopes and shows whether the client is verified', async () => {
    const p = await freshPage();
    await p.goto(authorizeUrl(shop.id, 's', 'accounts:read payments:read profile orders:write'));
    await logIn(p);
    assert.equal(await p.locator('#client-name').textContent(), 'Corner Shop');
    const scopes = await p.locator('ul.scopes li').allTextContents();
    assert.deepEqual(scopes, [SCOPE_WORDING[Scope.ACCOUNTS_READ], SCOPE_WORDING[Scope.PAYMENTS_READ], SCOPE_WORDING[Scope.PROFILE], SCOPE_WORDING[Scope.ORDERS_WRITE]]);
    assert.equal(await p.locator('[data-verification]').textContent(), 'Verified');
    assert.match(await p.locator('main').innerText(), /Paygrid checked who runs this application/);

    await p.goto(authorizeUrl(unverified.id, 's', 'accounts:read'));
    assert.equal(await p.locator('#client-name').textContent(), 'Fresh Startup');
    assert.equal(await p.locator('[data-verification]').textContent(), 'Not verified');
    assert.match(await p.locator('main').innerText(), /Paygrid has not checked who runs this application/);
    assert.deepEqual(await p.locator('ul.scopes li').allTextContents(), [SCOPE_WORDING[Scope.ACCOUNTS_READ]]);
  });

  it('shows an error page, and goes nowhere, for a redirect URI that is not registered', async () => {
    const p = await freshPage();
    const url = new URL(authorizeUrl(shop.id, 's'));
    url.searchParams.set('redirect_uri', `${receiver.origin}/elsewhere`);
    const hits = receiver.pages().length;
    const response = await p.goto(url.toString());
    assert.equal(response?.status(), 400);
    assert.equal(new URL(p.url()).origin, server.url);
    assert.match(await p.locator('main').innerText(), /not registered/);
    assert.equal(receiver.pages().length, hits);
  });
});
