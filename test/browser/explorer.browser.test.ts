import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { NO_CHROMIUM, launchChromium } from '../support/browser';
import { fund, openAccount } from '../support/flows';
import { startServer, type TestClient, type TestServer } from '../support/server';

describe('the GraphQL explorer at GET /graphql', { skip: NO_CHROMIUM }, () => {
  let server: TestServer;
  let browser: Browser;
  let merchant: TestClient;

  before(async () => {
    server = await startServer();
    merchant = await server.client();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server.close();
  });

  it('is served from Paygrid’s own files and runs a query with a pasted token', async () => {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(server.url) && !url.startsWith('data:') && !url.startsWith('blob:')) elsewhere.push(url);
    });
    await page.goto(`${server.url}/graphql`);
    await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
    await page.fill('#token', merchant.token);
    await page.click('#use-token');
    await page.waitForSelector('.graphiql-query-editor', { timeout: 30_000 });
    await page.click('.graphiql-query-editor');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    // insertText: typed braces would be closed twice by the editor.
    await page.keyboard.insertText('query Me { viewer { id } }');
    await page.click('.graphiql-execute-button');
    const shown = async () => (await page.locator('.graphiql-response').innerText().catch(() => '')) ?? '';
    for (let tries = 0; tries < 300 && !(await shown()).includes(merchant.id); tries++) await page.waitForTimeout(100);
    assert.ok((await shown()).includes(merchant.id), `the result shows the client: ${await shown()}`);
    assert.deepEqual(elsewhere, [], 'nothing is loaded from outside Paygrid');
  });

  it('runs a subscription over graphql-ws and shows the event that arrives', async () => {
    const accountId = await openAccount(server, merchant, 'EUR', 'Watched');
    const operator = await server.operator();
    const page = await browser.newPage();
    const sockets: string[] = [];
    let subscribed = false;
    page.on('websocket', (socket) => {
      sockets.push(socket.url());
      socket.on('framesent', (frame) => (subscribed ||= String(frame.payload).includes('"type":"subscribe"')));
    });
    await page.goto(`${server.url}/graphql`);
    await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
    await page.fill('#token', merchant.token);
    await page.click('#use-token');
    await page.waitForSelector('.graphiql-query-editor', { timeout: 30_000 });
    await page.click('.graphiql-query-editor');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(`subscription Watch { accountBalanceUpdated(accountId: "${accountId}") { accountId balance { posted { formatted } } } }`);
    await page.click('.graphiql-execute-button');
    for (let tries = 0; tries < 100 && !subscribed; tries++) await page.waitForTimeout(100);
    assert.deepEqual(sockets, [`${server.url.replace(/^http/, 'ws')}/graphql`], 'the explorer subscribes over graphql-ws at /graphql');
    assert.ok(subscribed, 'the subscription was sent');
    // The server registers the subscription a moment after it reads the message.
    await page.waitForTimeout(500);
    const shown = async () => (await page.locator('.graphiql-response').innerText().catch(() => '')) ?? '';
    // Funded again (at most twice more) should a busy server register the subscription after the first deposit.
    for (let tries = 0; tries < 90 && !(await shown()).includes(accountId); tries++) {
      if (tries % 30 === 0) await fund(server, operator, accountId, '7.25');
      await page.waitForTimeout(100);
    }
    assert.ok((await shown()).includes(accountId), `the event is shown: ${await shown()}`);
    assert.match(await shown(), /"formatted":\s*"(7\.25|14\.50|21\.75)"/);
    await page.close();
  });

  it('leaves GraphQL over GET and POST as they were', async () => {
    const post = await server.gql(merchant.token, '{ viewer { id } }');
    assert.equal(post.data.viewer.id, merchant.id);
    const csrf = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    assert.equal(csrf.status, 400, 'a GET without a preflight header is still refused (CSRF prevention)');
  });
});
