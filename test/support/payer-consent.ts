import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { FormBrowser, formTo } from './form-browser';
import type { TestClient, TestServer } from './server';

export interface PayerTokens {
  access: string;
  refresh: string;
  scope: string;
}

/** POSTs a form to the token endpoint with the client's HTTP Basic credentials. */
export async function tokenRequest(server: TestServer, client: TestClient, fields: Record<string, string>): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}` },
    body: new URLSearchParams(fields),
  });
  return { status: response.status, json: await response.json() };
}

/**
 * A payer's consent, as a merchant obtains it: the payer's browser logs in (when it has no session)
 * and approves on Paygrid's pages; the merchant exchanges the code with PKCE for its tokens.
 */
export async function consent(
  server: TestServer,
  browser: FormBrowser,
  client: TestClient,
  options: { redirectUri: string; scope: string; username: string; password: string },
): Promise<PayerTokens> {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(8).toString('hex');
  const authorize = new URL(`${server.url}/oauth/authorize`);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: client.id,
    redirect_uri: options.redirectUri,
    scope: options.scope,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  })) {
    authorize.searchParams.set(name, value);
  }
  let page = await browser.get(authorize.toString());
  if (page.text.includes('action="/login')) {
    const loggedIn = await browser.submit(formTo(page.text, '/login'), { username: options.username, password: options.password });
    assert.equal(loggedIn.status, 303, loggedIn.text);
    page = await browser.get(authorize.toString());
  }
  assert.equal(page.status, 200, page.text);
  const answer = await browser.submit(formTo(page.text, '/oauth/authorize?'), { decision: 'approve' });
  assert.equal(answer.status, 303, answer.text);
  const back = new URL(answer.location!);
  assert.equal(back.searchParams.get('state'), state);
  const { status, json } = await tokenRequest(server, client, {
    grant_type: 'authorization_code',
    code: back.searchParams.get('code')!,
    redirect_uri: options.redirectUri,
    code_verifier: verifier,
  });
  assert.equal(status, 200, JSON.stringify(json));
  return { access: json.access_token, refresh: json.refresh_token, scope: json.scope };
}
