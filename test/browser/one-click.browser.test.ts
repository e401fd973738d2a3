import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { NO_CHROMIUM, launchChromium } from '../support/browser';
import { startServer, type TestServer } from '../support/server';
import { assertLedgerBalanced, authorizeUrl, deposit, exchange, oneClickOperator, type OneClickSetup } from '../support/one-click';

describe('1-Click sign-up and deposit in a real browser (Chromium)', { skip: NO_CHROMIUM }, () => {
  let server: TestServer;
  let casino: OneClickSetup;
  let browser: Browser;

  before(async () => {
    server = await startServer({ config: { schedulerPollMs: 3_600_000 } });
    casino = await oneClickOperator(server);
    browser = await launchChromium();
  });
  after(async () => {
    if (casino) console.log(`1-Click notifications (browser): ${casino.operator.summary()}`);
    await browser?.close();
    await casino?.operator.close();
    await server?.close();
  });

  async function page(): Promise<Page> {
    return (await browser.newContext()).newPage();
  }

  it('identifies the player at the identity provider, takes the deposit at its payment step and returns with a code', async () => {
    const tab = await page();
    await tab.goto(authorizeUrl(server, casino, { iframe: 'false', state: 'browser-1' }));
    assert.equal(await tab.textContent('h1'), 'Identify with Sandbox BankID');
    await tab.check('input[value="bjorn"]');
    await Promise.all([tab.waitForURL(/\/sandbox\/bankid\/pay\//), tab.click('button[value="approve"]')]);
    assert.equal(await tab.textContent('#amount'), '100.50 EUR');
    await tab.check('input[value="seb"]');
    await Promise.all([tab.waitForURL((url) => url.toString().startsWith(casino.operator.callback)), tab.click('button[value="pay"]')]);
    const back = new URL(tab.url());
    assert.equal(back.searchParams.get('state'), 'browser-1');
    const code = back.searchParams.get('code');
    assert.ok(code, back.toString());
    assert.deepEqual(casino.operator.received(), ['signin', 'authorize', 'transfer']);
    const token = await exchange(server, casino.client, code, casino.operator.callback);
    assert.equal(token.status, 200);
    assert.equal(token.json.name, 'Björn Berg');
    assert.equal(token.json.maskedAccount, '****9876');
    const txId = casino.operator.bodies('transfer')[0].txId as string;
    assert.equal((await deposit(server, casino.client, txId)).state, 'COMPLETED');
    await assertLedgerBalanced(server);
  });

  it('returns a player who denies at the identity provider with access_denied, and moves no money', async () => {
    const before = casino.operator.received().length;
    const tab = await page();
    await tab.goto(authorizeUrl(server, casino, { iframe: 'false', state: 'browser-2' }));
    await Promise.all([tab.waitForURL((url) => url.toString().startsWith(casino.operator.callback)), tab.click('button[value="deny"]')]);
    const back = new URL(tab.url());
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('error_description'), 'err_user_denied');
    assert.equal(back.searchParams.get('state'), 'browser-2');
    assert.equal(back.searchParams.get('code'), null);
    assert.equal(casino.operator.received().length, before);
    await assertLedgerBalanced(server);
  });
});
