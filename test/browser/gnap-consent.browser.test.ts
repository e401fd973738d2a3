import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { isPendingGrant, type Grant } from '@interledger/open-payments';
import { NO_CHROMIUM, Site, launchChromium } from '../support/browser';
import { startOpenPaymentsClient, verifyFinishHash, type OpenPaymentsTestClient } from '../support/open-payments-client';
import { startServer, type TestServer } from '../support/server';
import { ManualClock } from '../../src/shared/clock';

const PASSWORD = 'paula-password-42';

describe('GNAP consent in a real browser (Chromium), with the official Open Payments client', { skip: NO_CHROMIUM }, () => {
  let server: TestServer;
  let clock: ManualClock;
  let site: Site;
  let browser: Browser;
  let app: OpenPaymentsTestClient;
  let walletAddress: string;

  before(async () => {
    clock = new ManualClock(new Date());
    site = await (async () => {
      const s = new Site();
      await s.start();
      return s;
    })();
    server = await startServer({ clock, config: { schedulerPollMs: 3_600_000 } });
    const merchant = await server.client(undefined, 'Wallet provider');
    const services = server.app.services;
    const paula = await services.users.create({ username: 'paula', password: PASSWORD, name: 'Paula' });
    const account = await services.accounts.create({ clientId: merchant.id, userId: paula.id }, { assetCode: 'EUR', name: 'Paula wallet' });
    const wa = await services.walletAddresses.create({ kind: 'payer', clientId: merchant.id, userId: paula.id, scopes: new Set() }, { accountId: account.id, slug: 'paula', publicName: 'Paula' });
    walletAddress = services.walletAddresses.urlOf(wa.slug);
    app = await startOpenPaymentsClient({ publicName: 'Budget App' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await server?.close();
    await site?.close();
  });

  async function request(nonce: string) {
    const sender = await app.client.walletAddress.get({ url: walletAddress });
    const grant = await app.client.grant.request(
      { url: sender.authServer },
      {
        access_token: {
          access: [
            {
              type: 'outgoing-payment',
              actions: ['create', 'read'],
              identifier: sender.id,
              limits: { debitAmount: { value: '2550', assetCode: 'EUR', assetScale: 2 }, interval: 'R12/2026-01-01T00:00:00Z/P1M', receiver: `${server.url}/op/incoming-payments/ip_1` },
            },
          ],
        },
        interact: { start: ['redirect'], finish: { method: 'redirect', uri: site.url('/return'), nonce } },
      },
    );
    assert.ok(isPendingGrant(grant));
    return { grant, authServer: sender.authServer };
  }

  async function logIn(p: Page): Promise<void> {
    assert.equal(await p.getByRole('heading', { level: 1 }).textContent(), 'Log in');
    await p.getByLabel('Username').fill('paula');
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.waitForLoadState('domcontentloaded');
  }

  it('logs in, shows the client, limits, interval and receiver, approves: back at the client with a valid hash; continue issues the token', async () => {
    const nonce = randomBytes(12).toString('base64url');
    const { grant, authServer } = await request(nonce);
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(grant.interact.redirect);
    await logIn(p);
    assert.equal(await p.locator('#client-name').textContent(), 'Budget App');
    assert.equal(await p.locator('#wallet-address').textContent(), walletAddress);
    assert.equal(await p.locator('.debit-limit').textContent(), '25.50 EUR');
    assert.equal(await p.locator('.interval').textContent(), 'R12/2026-01-01T00:00:00Z/P1M');
    assert.equal(await p.locator('.receiver').textContent(), `${server.url}/op/incoming-payments/ip_1`);
    await Promise.all([p.waitForURL((url) => url.toString().startsWith(site.url('/return'))), p.getByRole('button', { name: 'Approve' }).click()]);
    const back = new URL(p.url());
    assert.equal(await p.getByRole('heading', { level: 1 }).textContent(), 'Back at the shop');
    const interactRef = back.searchParams.get('interact_ref')!;
    assert.ok(verifyFinishHash(back.searchParams.get('hash')!, nonce, grant.interact.finish, interactRef, authServer));
    clock.advance((grant.continue.wait ?? 0) * 1000);
    const issued = (await app.client.grant.continue({ url: grant.continue.uri, accessToken: grant.continue.access_token.value }, { interact_ref: interactRef })) as Grant;
    assert.equal(issued.access_token!.access[0].type, 'outgoing-payment');
    await context.close();
  });

  it('denies: back at the client with result=grant_rejected', async () => {
    const { grant } = await request(randomBytes(12).toString('base64url'));
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(grant.interact.redirect);
    await logIn(p);
    await Promise.all([p.waitForURL((url) => url.toString().startsWith(site.url('/return'))), p.getByRole('button', { name: 'Deny' }).click()]);
    assert.equal(new URL(p.url()).searchParams.get('result'), 'grant_rejected');
    await context.close();
  });
});
