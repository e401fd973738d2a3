import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { NO_CHROMIUM, launchChromium } from '../support/browser';
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

  it('leaves GraphQL over GET and POST as they were', async () => {
    const post = await server.gql(merchant.token, '{ viewer { id } }');
    assert.equal(post.data.viewer.id, merchant.id);
    const csrf = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    assert.equal(csrf.status, 400, 'a GET without a preflight header is still refused (CSRF prevention)');
  });
});
