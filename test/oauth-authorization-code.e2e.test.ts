import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccessToken } from '../src/oauth/access-token.entity';
import { AuthorizationCode } from '../src/oauth/authorization-code.entity';
import { AUTHORIZATION_CODE_TTL_SECONDS, PAYER_ACCESS_TOKEN_TTL_SECONDS } from '../src/oauth/authorization.service';
import { RefreshToken } from '../src/oauth/refresh-token.entity';
import { MERCHANT_SCOPES, SCOPE_WORDING, Scope } from '../src/oauth/scopes';
import { sha256 } from '../src/shared/ids';
import { ManualClock } from '../src/shared/clock';
import { PayerSession } from '../src/users/session.entity';
import { User } from '../src/users/user.entity';
import { fund, openAccount } from './support/flows';
import { FormBrowser, formTo, formsOf, type PageResponse } from './support/form-browser';
import { startServer, type TestClient, type TestServer } from './support/server';

// oauth4webapi is an ES module; this test (CommonJS) loads it with import() and names its types so.
type OAuth = typeof import('oauth4webapi', { with: { 'resolution-mode': 'import' } });
type AuthorizationServer = import('oauth4webapi', { with: { 'resolution-mode': 'import' } }).AuthorizationServer;

const REDIRECT = 'http://127.0.0.1:8080/callback';
const APP_REDIRECT = 'http://127.0.0.1:8081/cb?app=mobile';
const PASSWORD = 'alice-password-1';
/** RFC 7636 Appendix B. */
const VECTOR = { verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' };

interface JsonResponse {
  status: number;
  headers: Headers;
  json: Record<string, any>;
  text: string;
}

/** A POST to a back-channel endpoint, form-encoded, optionally with HTTP Basic. */
async function backChannel(server: TestServer, path: string, fields: Record<string, string>, basic?: [string, string]): Promise<JsonResponse> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: basic ? { authorization: `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}` } : {},
    body: new URLSearchParams(fields),
  });
  const text = await response.text();
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // asserted by the callers
  }
  return { status: response.status, headers: response.headers, json, text };
}

function assertOAuthError(response: JsonResponse, status: number, error: string): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.json.error, error, response.text);
  assert.equal(typeof response.json.error_description, 'string');
  assert.equal(response.json.access_token, undefined);
  assert.equal(response.headers.get('cache-control'), 'no-store');
}

/** The query parameters the browser arrives with at the client. */
function callbackParams(location: string | null): URLSearchParams {
  assert.ok(location, 'a redirect');
  return new URL(location).searchParams;
}

describe('OAuth2 authorization code grant with PKCE (RFC 6749, 7636, 9700), payer login and consent', () => {
  let oauth: OAuth;
  let server: TestServer;
  let clock: ManualClock;
  let as: AuthorizationServer;
  const insecure: Record<symbol, boolean> = {};
  let merchant: TestClient;
  let otherMerchant: TestClient;
  let mobileApp: TestClient;
  let operator: TestClient;
  let aliceId: string;
  let aliceWallet: string;
  let merchantAccount: string;
  /** Logged in as Alice once; most tests approve in this session. */
  let alice: FormBrowser;

  before(async () => {
    oauth = await import('oauth4webapi');
    insecure[oauth.allowInsecureRequests] = true;
    clock = new ManualClock();
    server = await startServer({ clock });
    operator = await server.operator();
    merchant = await server.client(MERCHANT_SCOPES, 'Corner Shop', { redirectUris: [REDIRECT], verified: true });
    otherMerchant = await server.client(MERCHANT_SCOPES, 'Other Shop', { redirectUris: [REDIRECT] });
    mobileApp = await server.client(MERCHANT_SCOPES, 'Pocket <b>App</b>', { redirectUris: [APP_REDIRECT], isPublic: true, verified: false });
    const user = await server.app.services.users.create({ username: 'Alice', password: PASSWORD, name: 'Alice Martin' });
    aliceId = user.id;
    aliceWallet = (await server.app.services.accounts.create({ clientId: merchant.id, userId: aliceId }, { assetCode: 'EUR', name: 'Alice wallet' })).id;
    await fund(server, operator, aliceWallet, '250.00');
    merchantAccount = await openAccount(server, merchant, 'EUR', 'Shop till');

    const issuer = new URL(server.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    alice = new FormBrowser(server.url);
    await logIn(alice, authorizeUrl({ client: merchant.id, scope: 'accounts:read' }));
  });
  after(() => server.close());

  interface AuthorizeParams {
    client: string;
    redirectUri?: string;
    scope?: string;
    state?: string;
    challenge?: string;
    method?: string;
    responseType?: string;
  }

  function authorizeUrl(p: AuthorizeParams): string {
    const url = new URL(as?.authorization_endpoint ?? `${server.url}/oauth/authorize`);
    const params: Record<string, string | undefined> = {
      response_type: p.responseType ?? 'code',
      client_id: p.client,
      redirect_uri: p.redirectUri ?? REDIRECT,
      scope: p.scope,
      state: p.state,
      code_challenge: p.challenge,
      code_challenge_method: p.method ?? (p.challenge ? 'S256' : undefined),
    };
    for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
    return url.toString();
  }

  /** GET authorize without a session → the login form → POST it → back to authorize. */
  async function logIn(browser: FormBrowser, url: string, password = PASSWORD): Promise<PageResponse> {
    const page = await browser.get(url);
    assert.equal(page.status, 200, page.text);
    const login = formTo(page.text, '/login');
    const answer = await browser.submit(login, { username: 'alice', password });
    if (password === PASSWORD) {
      assert.equal(answer.status, 303, answer.text);
      assert.equal(answer.location, url, 'login leads back to the authorization request');
    }
    return answer;
  }

  /** GET authorize (logged in) → the consent page → POST approve or deny → the redirect to the client. */
  async function decide(browser: FormBrowser, url: string, decision: 'approve' | 'deny' = 'approve'): Promise<PageResponse> {
    const page = await browser.get(url);
    assert.equal(page.status, 200, page.text);
    const answer = await browser.submit(formTo(page.text, '/oauth/authorize?'), { decision });
    assert.equal(answer.status, 303, answer.text);
    return answer;
  }

  /** A code for `client`, approved by Alice. */
  async function codeFor(p: AuthorizeParams): Promise<string> {
    const state = p.state ?? oauth.generateRandomState();
    const answer = await decide(alice, authorizeUrl({ scope: 'accounts:read profile', ...p, state }));
    const params = callbackParams(answer.location);
    assert.equal(params.get('state'), state);
    return params.get('code')!;
  }

  async function exchange(client: TestClient | null, fields: Record<string, string>): Promise<JsonResponse> {
    return backChannel(server, '/oauth/token', { grant_type: 'authorization_code', redirect_uri: REDIRECT, ...fields }, client ? [client.id, client.secret] : undefined);
  }

  async function refresh(client: TestClient, refreshToken: string, scope?: string): Promise<JsonResponse> {
    return backChannel(server, '/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken, ...(scope ? { scope } : {}) }, [client.id, client.secret]);
  }

  /** Whether the access token still opens GraphQL. */
  async function works(accessToken: string): Promise<boolean> {
    const result = await server.gql(accessToken, `{ accounts { nodes { id } } }`);
    if (result.status === 401) return false;
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return true;
  }

  async function introspect(token: string, client: TestClient = merchant): Promise<Record<string, any>> {
    const response = await backChannel(server, '/oauth/introspect', { token }, [client.id, client.secret]);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    return response.json;
  }

  /** A full grant for the merchant: a code exchanged with PKCE. */
  async function grant(scope = 'accounts:read profile'): Promise<{ access: string; refresh: string }> {
    const verifier = oauth.generateRandomCodeVerifier();
    const code = await codeFor({ client: merchant.id, scope, challenge: await oauth.calculatePKCECodeChallenge(verifier) });
    const response = await exchange(merchant, { code, code_verifier: verifier });
    assert.equal(response.status, 200, response.text);
    return { access: response.json.access_token, refresh: response.json.refresh_token };
  }

  describe('metadata (RFC 8414)', () => {
    it('publishes what standard clients need, at /.well-known/oauth-authorization-server', () => {
      assert.equal(as.issuer, server.url);
      assert.equal(as.authorization_endpoint, `${server.url}/oauth/authorize`);
      assert.equal(as.token_endpoint, `${server.url}/oauth/token`);
      assert.equal(as.introspection_endpoint, `${server.url}/oauth/introspect`);
      assert.equal(as.revocation_endpoint, `${server.url}/oauth/revoke`);
      assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(as.response_types_supported, ['code']);
      assert.ok(as.grant_types_supported?.includes('refresh_token'));
      assert.equal(as.authorization_response_iss_parameter_supported, true);
    });
  });

  describe('the whole flow, with oauth4webapi as the client', () => {
    let accessToken: string;
    let refreshToken: string;

    it('logs the payer in, asks for consent and redirects back with code, state and iss', async () => {
      const browser = new FormBrowser(server.url);
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = authorizeUrl({ client: merchant.id, scope: 'accounts:read profile', state, challenge: await oauth.calculatePKCECodeChallenge(verifier) });

      // No session: the login page, with a session cookie for its CSRF token.
      const loginPage = await browser.get(url);
      assert.equal(loginPage.status, 200);
      assert.match(loginPage.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(loginPage.text, /<input type="password" id="password" name="password"/);
      assert.match(loginPage.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.equal(loginPage.headers.get('x-frame-options'), 'DENY');
      assert.equal(loginPage.headers.get('cache-control'), 'no-store');
      const [cookie] = loginPage.setCookies;
      assert.match(cookie, /^paygrid_session=pgss_[\w-]{43};/);
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; SameSite=Lax/);
      assert.match(cookie, /; Path=\//);
      assert.doesNotMatch(cookie, /Secure/, 'no Secure cookie over plain http');
      const login = formTo(loginPage.text, '/login');
      assert.ok(login.fields.csrf_token, 'the login form carries a CSRF token');
      assert.equal(login.fields.return_to, url.slice(server.url.length));

      const loggedIn = await browser.submit(login, { username: 'alice', password: PASSWORD });
      assert.equal(loggedIn.status, 303);
      assert.equal(loggedIn.location, url);
      assert.ok(loggedIn.setCookies[0].startsWith('paygrid_session='), 'logging in starts a new session');
      assert.notEqual(browser.cookies.get('paygrid_session'), cookie.split(';')[0].split('=')[1]);

      const consent = await browser.get(url);
      assert.equal(consent.status, 200);
      assert.match(consent.text, /Corner Shop/);
      assert.match(consent.text, new RegExp(SCOPE_WORDING[Scope.ACCOUNTS_READ]));
      assert.match(consent.text, new RegExp(SCOPE_WORDING[Scope.PROFILE]));
      assert.match(consent.text, /data-verification="verified"/);
      assert.match(consent.text, /Logged in as <strong>alice<\/strong>/);
      const form = formTo(consent.text, '/oauth/authorize?');
      assert.notEqual(form.fields.csrf_token, login.fields.csrf_token, 'the CSRF token changes with the session');

      const approved = await browser.submit(form, { decision: 'approve' });
      assert.equal(approved.status, 303, 'See Other: the form body is not re-posted to the client');
      assert.ok(approved.location!.startsWith(`${REDIRECT}?`));
      const params = oauth.validateAuthResponse(as, { client_id: merchant.id }, new URL(approved.location!), state);
      assert.match(params.get('code') ?? '', /^pgac_/);
      assert.equal(new URL(approved.location!).searchParams.get('iss'), server.url);

      const response = await oauth.authorizationCodeGrantRequest(as, { client_id: merchant.id }, oauth.ClientSecretBasic(merchant.secret), params, REDIRECT, verifier, insecure);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const tokens = await oauth.processAuthorizationCodeResponse(as, { client_id: merchant.id }, response);
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.expires_in, PAYER_ACCESS_TOKEN_TTL_SECONDS);
      assert.equal(tokens.scope, 'accounts:read profile');
      assert.match(tokens.refresh_token ?? '', /^pgrt_/);
      accessToken = tokens.access_token;
      refreshToken = tokens.refresh_token!;
    });

    it('gives a token that acts for the payer: GraphQL sees her accounts, not the merchant’s', async () => {
      const data = await server.ok(accessToken, `{ payer { id username name } accounts { nodes { id name balance { available { value } } } } }`);
      assert.deepEqual(data.payer, { id: aliceId, username: 'alice', name: 'Alice Martin' });
      assert.deepEqual(data.accounts.nodes, [{ id: aliceWallet, name: 'Alice wallet', balance: { available: { value: '25000' } } }]);
      const own = await server.ok(accessToken, `query($id: ID!) { account(id: $id) { id } }`, { id: merchantAccount });
      assert.equal(own.account, null, 'the merchant’s account is not the payer’s');

      // And the merchant acting for itself does not see hers.
      const merchantView = await server.ok(merchant.token, `{ payer { id } accounts { nodes { id } } }`);
      assert.equal(merchantView.payer, null);
      assert.deepEqual(merchantView.accounts.nodes.map((n: { id: string }) => n.id), [merchantAccount]);

      // The consent gave read scopes only.
      const write = await server.gql(accessToken, `mutation { createAccount(input: { assetCode: "EUR" }) { account { id } } }`);
      assert.equal(write.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    });

    it('introspects the access and refresh tokens for their client (RFC 7662)', async () => {
      const response = await oauth.introspectionRequest(as, { client_id: merchant.id }, oauth.ClientSecretBasic(merchant.secret), accessToken, insecure);
      const access = await oauth.processIntrospectionResponse(as, { client_id: merchant.id }, response);
      assert.equal(access.active, true);
      assert.equal(access.scope, 'accounts:read profile');
      assert.equal(access.client_id, merchant.id);
      assert.equal(access.username, 'alice');
      assert.equal(access.sub, aliceId);
      assert.equal(access.token_type, 'Bearer');
      assert.equal(access.iss, server.url);
      assert.equal(access.exp, Math.floor(clock.now().getTime() / 1000) + PAYER_ACCESS_TOKEN_TTL_SECONDS);

      const refreshInfo = await introspect(refreshToken);
      assert.equal(refreshInfo.active, true);
      assert.equal(refreshInfo.token_type, 'refresh_token');

      // Another client, an unknown token, garbage: `{active: false}` and nothing else.
      assert.deepEqual(await introspect(accessToken, otherMerchant), { active: false });
      assert.deepEqual(await introspect(refreshToken, otherMerchant), { active: false });
      assert.deepEqual(await introspect('pgat_unknown'), { active: false });
      assert.deepEqual(await introspect('x'.repeat(5000)), { active: false });
    });

    it('refuses introspection to unauthenticated and public clients with 401', async () => {
      const none = await backChannel(server, '/oauth/introspect', { token: accessToken });
      assertOAuthError(none, 401, 'invalid_client');
      const wrong = await backChannel(server, '/oauth/introspect', { token: accessToken }, [merchant.id, 'wrong']);
      assertOAuthError(wrong, 401, 'invalid_client');
      const publicClient = await backChannel(server, '/oauth/introspect', { token: accessToken, client_id: mobileApp.id });
      assertOAuthError(publicClient, 401, 'invalid_client');
      const missing = await backChannel(server, '/oauth/introspect', {}, [merchant.id, merchant.secret]);
      assertOAuthError(missing, 400, 'invalid_request');
    });

    it('rotates the refresh token on every refresh, and may narrow, never widen, the scope', async () => {
      const response = await oauth.refreshTokenGrantRequest(as, { client_id: merchant.id }, oauth.ClientSecretBasic(merchant.secret), refreshToken, insecure);
      const next = await oauth.processRefreshTokenResponse(as, { client_id: merchant.id }, response);
      assert.notEqual(next.refresh_token, refreshToken);
      assert.notEqual(next.access_token, accessToken);
      assert.equal(next.scope, 'accounts:read profile');
      assert.ok(await works(next.access_token));
      assert.deepEqual(await introspect(refreshToken), { active: false }, 'the used refresh token is spent');

      const narrowed = await refresh(merchant, next.refresh_token!, 'accounts:read');
      assert.equal(narrowed.status, 200, narrowed.text);
      assert.equal(narrowed.json.scope, 'accounts:read');
      assert.equal((await introspect(narrowed.json.access_token)).scope, 'accounts:read');
      const narrowedProfile = await server.gql(narrowed.json.access_token, `{ payer { id } }`);
      assert.equal(narrowedProfile.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      // §6: the new refresh token keeps the scope of the consent.
      assert.equal((await introspect(narrowed.json.refresh_token)).scope, 'accounts:read profile');

      const wider = await refresh(merchant, narrowed.json.refresh_token, 'accounts:read payments:read');
      assertOAuthError(wider, 400, 'invalid_scope');
      // A refused scope does not spend the token.
      const after = await refresh(merchant, narrowed.json.refresh_token);
      assert.equal(after.status, 200, after.text);
      accessToken = after.json.access_token;
      refreshToken = after.json.refresh_token;
    });

    it('revokes an access token alone, and a refresh token with its whole family (RFC 7009)', async () => {
      const family = await grant();
      const rotated = await refresh(merchant, family.refresh);
      const revokeAccess = await oauth.revocationRequest(as, { client_id: merchant.id }, oauth.ClientSecretBasic(merchant.secret), rotated.json.access_token, insecure);
      await oauth.processRevocationResponse(revokeAccess);
      assert.equal(await works(rotated.json.access_token), false);
      assert.deepEqual(await introspect(rotated.json.access_token), { active: false });
      assert.equal(await works(family.access), true, 'another access token of the family still works');
      assert.equal((await introspect(rotated.json.refresh_token)).active, true);

      const revokeRefresh = await backChannel(server, '/oauth/revoke', { token: rotated.json.refresh_token, token_type_hint: 'refresh_token' }, [merchant.id, merchant.secret]);
      assert.equal(revokeRefresh.status, 200);
      assert.equal(revokeRefresh.text, '');
      assert.equal(await works(family.access), false, 'revoking the refresh token revokes the family’s access tokens');
      assert.deepEqual(await introspect(rotated.json.refresh_token), { active: false });
      assertOAuthError(await refresh(merchant, rotated.json.refresh_token), 400, 'invalid_grant');

      // The first grant is another family: untouched.
      assert.equal(await works(accessToken), true);
    });

    it('answers revocation of unknown and other clients’ tokens with 200, revoking nothing', async () => {
      const unknown = await backChannel(server, '/oauth/revoke', { token: 'pgrt_unknown' }, [merchant.id, merchant.secret]);
      assert.equal(unknown.status, 200);
      const foreign = await backChannel(server, '/oauth/revoke', { token: refreshToken }, [otherMerchant.id, otherMerchant.secret]);
      assert.equal(foreign.status, 200);
      const foreignAccess = await backChannel(server, '/oauth/revoke', { token: accessToken }, [otherMerchant.id, otherMerchant.secret]);
      assert.equal(foreignAccess.status, 200);
      assert.equal((await introspect(refreshToken)).active, true);
      assert.equal(await works(accessToken), true);
      assertOAuthError(await backChannel(server, '/oauth/revoke', { token: refreshToken }), 401, 'invalid_client');
      assertOAuthError(await backChannel(server, '/oauth/revoke', {}, [merchant.id, merchant.secret]), 400, 'invalid_request');
    });
  });

  describe('the authorization endpoint’s errors (RFC 6749 §4.1.2.1, RFC 9700 §2.1)', () => {
    /** An error page: HTML, 400, and no redirect anywhere. */
    function assertErrorPage(page: PageResponse, message: RegExp): void {
      assert.equal(page.status, 400, page.text);
      assert.equal(page.location, null, 'no redirect to an untrusted client or URI');
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(page.text, message);
      assert.equal(formsOf(page.text).length, 0);
    }

    it('shows an error page, never a redirect, for an unknown or missing client_id', async () => {
      const browser = new FormBrowser(server.url);
      assertErrorPage(await browser.get(authorizeUrl({ client: 'cli_nobody', scope: 'accounts:read', state: 's' })), /not known/);
      const missing = new URL(authorizeUrl({ client: merchant.id, scope: 'accounts:read' }));
      missing.searchParams.delete('client_id');
      assertErrorPage(await browser.get(missing.toString()), /client_id/);
      const twice = new URL(authorizeUrl({ client: merchant.id, scope: 'accounts:read' }));
      twice.searchParams.append('client_id', otherMerchant.id);
      assertErrorPage(await browser.get(twice.toString()), /client_id/);
      for (const odd of ['cli_\u0000', 'c'.repeat(500), "x' or 1=1 --"]) {
        const page = await browser.get(authorizeUrl({ client: odd, scope: 'accounts:read' }));
        // A NUL is refused at the edge, before any client is looked up.
        assertErrorPage(page, odd.includes('\u0000') ? /client_id contains characters that are not allowed/ : /not known/);
        assert.doesNotMatch(page.text, /select|sqlite|postgres/i);
      }
    });

    it('answers an unreadable form with an error page, not the framework’s JSON', async () => {
      const page = await alice.post('/login', {}, { 'content-type': 'application/json' });
      assert.equal(page.status, 400);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    });

    it('shows an error page for a redirect URI that is not exactly a registered one, logged in or not', async () => {
      const near = [
        'http://evil.example/callback',
        'http://127.0.0.1:8080/callback/',
        'http://127.0.0.1:8080/Callback',
        'http://127.0.0.1:8080/callback?x=1',
        'http://127.0.0.1:8080/callback#frag',
        'http://127.0.0.1:8080/callback/../callback',
        'HTTP://127.0.0.1:8080/callback',
        'http://127.0.0.1:8080/callback%20',
        'http://127.0.0.1:8081/callback',
        'https://127.0.0.1:8080/callback',
        APP_REDIRECT, // registered, but for another client
      ];
      for (const redirectUri of near) {
        for (const browser of [new FormBrowser(server.url), alice]) {
          const page = await browser.get(authorizeUrl({ client: merchant.id, redirectUri, scope: 'accounts:read', state: 's' }));
          assertErrorPage(page, /not registered/);
          assert.ok(!page.text.includes(redirectUri.replace(/&/g, '&amp;')) || redirectUri === APP_REDIRECT, 'the page does not link to it');
        }
      }
      const missing = new URL(authorizeUrl({ client: merchant.id, scope: 'accounts:read' }));
      missing.searchParams.delete('redirect_uri');
      assertErrorPage(await alice.get(missing.toString()), /redirect_uri/);
    });

    it('refuses a consent POST whose redirect URI is not registered, with the error page', async () => {
      const page = await alice.get(authorizeUrl({ client: merchant.id, scope: 'accounts:read', state: 's' }));
      const form = formTo(page.text, '/oauth/authorize?');
      const tampered = form.action.replace(encodeURIComponent(REDIRECT), encodeURIComponent('http://evil.example/cb'));
      assert.notEqual(tampered, form.action);
      const answer = await alice.post(tampered, { ...form.fields, decision: 'approve' });
      assertErrorPage(answer, /not registered/);
    });

    /** The error comes back to the client's redirect URI with the state. */
    async function assertRedirectError(p: AuthorizeParams, error: string): Promise<void> {
      const page = await alice.get(authorizeUrl({ state: 'st-1', ...p }));
      assert.equal(page.status, 303, page.text);
      const params = callbackParams(page.location);
      assert.equal(new URL(page.location!).origin + new URL(page.location!).pathname, new URL(p.redirectUri ?? REDIRECT).origin + new URL(p.redirectUri ?? REDIRECT).pathname);
      assert.equal(params.get('error'), error);
      assert.ok(params.get('error_description'));
      assert.equal(params.get('state'), 'st-1');
      assert.equal(params.get('iss'), server.url);
      assert.equal(params.get('code'), null);
    }

    it('redirects unsupported_response_type and invalid_request (missing response_type) back with the state', async () => {
      await assertRedirectError({ client: merchant.id, scope: 'accounts:read', responseType: 'token' }, 'unsupported_response_type');
      await assertRedirectError({ client: merchant.id, scope: 'accounts:read', responseType: 'code id_token' }, 'unsupported_response_type');
      await assertRedirectError({ client: merchant.id, scope: 'accounts:read', responseType: '' }, 'invalid_request');
    });

    it('redirects invalid_scope for a missing scope or one a payer cannot grant', async () => {
      await assertRedirectError({ client: merchant.id }, 'invalid_scope');
      await assertRedirectError({ client: merchant.id, scope: 'payments:write' }, 'invalid_scope');
      await assertRedirectError({ client: merchant.id, scope: 'accounts:read ledger:fund' }, 'invalid_scope');
      await assertRedirectError({ client: merchant.id, scope: 'accounts:read nonsense' }, 'invalid_scope');
    });

    it('requires PKCE of a public client and refuses plain or malformed challenges (invalid_request)', async () => {
      await assertRedirectError({ client: mobileApp.id, redirectUri: APP_REDIRECT, scope: 'accounts:read' }, 'invalid_request');
      await assertRedirectError({ client: merchant.id, scope: 'accounts:read', challenge: VECTOR.verifier, method: 'plain' }, 'invalid_request');
      await assertRedirectError({ client: mobileApp.id, redirectUri: APP_REDIRECT, scope: 'accounts:read', challenge: VECTOR.challenge, method: '' }, 'invalid_request');
      const noMethod = new URL(authorizeUrl({ client: merchant.id, scope: 'accounts:read', state: 'st-1', challenge: VECTOR.challenge }));
      noMethod.searchParams.delete('code_challenge_method');
      const page = await alice.get(noMethod.toString());
      assert.equal(callbackParams(page.location).get('error'), 'invalid_request', 'the default method is plain, which is refused');
      await assertRedirectError({ client: merchant.id, scope: 'accounts:read', challenge: 'too-short', method: 'S256' }, 'invalid_request');
      await assertRedirectError({ client: merchant.id, scope: 'accounts:read', method: 'S256' }, 'invalid_request');
    });

    it('keeps the registered query of a redirect URI and adds the response to it', async () => {
      const page = await alice.get(authorizeUrl({ client: mobileApp.id, redirectUri: APP_REDIRECT, scope: 'accounts:read', state: 'keep' }));
      const params = callbackParams(page.location);
      assert.equal(params.get('app'), 'mobile');
      assert.equal(params.get('error'), 'invalid_request');
    });

    it('redirects access_denied with the state when the payer denies', async () => {
      const answer = await decide(alice, authorizeUrl({ client: merchant.id, scope: 'accounts:read', state: 'no thanks & bye' }), 'deny');
      const params = callbackParams(answer.location);
      assert.equal(params.get('error'), 'access_denied');
      assert.equal(params.get('state'), 'no thanks & bye');
      assert.equal(params.get('code'), null);
    });

    it('shows a public client as not verified, with its name escaped', async () => {
      const page = await alice.get(authorizeUrl({ client: mobileApp.id, redirectUri: APP_REDIRECT, scope: 'accounts:read', challenge: VECTOR.challenge }));
      assert.equal(page.status, 200, page.text);
      assert.match(page.text, /Pocket &lt;b&gt;App&lt;\/b&gt;/);
      assert.ok(!page.text.includes('<b>App</b>'));
      assert.match(page.text, /data-verification="not-verified"/);
      assert.doesNotMatch(page.text, /data-verification="verified"/);
      assert.match(page.headers.get('content-security-policy') ?? '', /form-action 'self' http:\/\/127\.0\.0\.1:8081/);
    });
  });

  describe('CSRF on the login and consent forms', () => {
    it('refuses a login without the CSRF token, with a wrong one, or with another session’s', async () => {
      const url = authorizeUrl({ client: merchant.id, scope: 'accounts:read', state: 's' });
      const browser = new FormBrowser(server.url);
      const login = formTo((await browser.get(url)).text, '/login');
      const other = new FormBrowser(server.url);
      const otherToken = formTo((await other.get(url)).text, '/login').fields.csrf_token;
      for (const csrf of [undefined, '', 'wrong', otherToken, `${login.fields.csrf_token}x`]) {
        const fields: Record<string, string> = { ...login.fields, username: 'alice', password: PASSWORD };
        if (csrf === undefined) delete fields.csrf_token;
        else fields.csrf_token = csrf;
        const answer = await browser.post('/login', fields);
        assert.equal(answer.status, 403, `csrf ${csrf}: ${answer.text}`);
        assert.equal(answer.location, null);
        assert.match(answer.text, /expired or did not come from Paygrid/);
        // Still not logged in: the authorization request shows the login page again.
        assert.ok(formsOf((await browser.get(url)).text).some((f) => f.action === '/login'));
      }
      // A login form posted without any session cookie is refused the same way.
      const cookieless = await fetch(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ ...login.fields, username: 'alice', password: PASSWORD }), redirect: 'manual' });
      assert.equal(cookieless.status, 403);
    });

    it('refuses a consent without the CSRF token, with a wrong one, or with another session’s: no code, no redirect', async () => {
      const url = authorizeUrl({ client: merchant.id, scope: 'accounts:read', state: 's' });
      const form = formTo((await alice.get(url)).text, '/oauth/authorize?');
      const mallory = new FormBrowser(server.url);
      const malloryToken = formTo((await mallory.get(url)).text, '/login').fields.csrf_token;
      const before = await server.app.services.db.reader().count(AuthorizationCode, {});
      for (const csrf of [undefined, '', 'wrong', malloryToken]) {
        const fields: Record<string, string> = { decision: 'approve' };
        if (csrf !== undefined) fields.csrf_token = csrf;
        const answer = await alice.post(form.action, fields);
        assert.equal(answer.status, 403, `csrf ${csrf}: ${answer.text}`);
        assert.equal(answer.location, null);
      }
      assert.equal(await server.app.services.db.reader().count(AuthorizationCode, {}), before, 'no code was issued');
    });

    it('never follows a return_to off the site after login', async () => {
      for (const returnTo of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/\t/evil.example', '/..//evil.example']) {
        const browser = new FormBrowser(server.url);
        const login = formTo((await browser.get(`/login?return_to=${encodeURIComponent(returnTo)}`)).text, '/login');
        assert.equal(login.fields.return_to, '/login');
        const answer = await browser.submit(login, { username: 'alice', password: PASSWORD, return_to: returnTo });
        assert.equal(answer.status, 303);
        assert.equal(answer.location, `${server.url}/login`, `return_to ${returnTo}`);
      }
    });

    it('shows a wrong password on the login page, and logs nobody in', async () => {
      const browser = new FormBrowser(server.url);
      const url = authorizeUrl({ client: merchant.id, scope: 'accounts:read', state: 's' });
      const answer = await logIn(browser, url, 'not-the-password');
      assert.equal(answer.status, 401);
      assert.match(answer.text, /Wrong username or password/);
      assert.match(answer.text, /value="alice"/);
      assert.ok(formsOf((await browser.get(url)).text).some((f) => f.action === '/login'));
    });
  });

  describe('the token endpoint’s errors for codes', () => {
    it('refuses a wrong code_verifier with invalid_grant (via oauth4webapi)', async () => {
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const answer = await decide(alice, authorizeUrl({ client: merchant.id, scope: 'accounts:read', state, challenge: await oauth.calculatePKCECodeChallenge(verifier) }));
      const params = oauth.validateAuthResponse(as, { client_id: merchant.id }, new URL(answer.location!), state);
      const code = params.get('code')!;
      const response = await oauth.authorizationCodeGrantRequest(as, { client_id: merchant.id }, oauth.ClientSecretBasic(merchant.secret), params, REDIRECT, oauth.generateRandomCodeVerifier(), insecure);
      await assert.rejects(oauth.processAuthorizationCodeResponse(as, { client_id: merchant.id }, response), (error: any) => {
        assert.equal(error.error, 'invalid_grant');
        assert.equal(error.status, 400);
        return true;
      });
      // The code was spent by that attempt.
      assertOAuthError(await exchange(merchant, { code, code_verifier: verifier }), 400, 'invalid_grant');
    });

    it('requires the code_verifier when the authorization request had a challenge', async () => {
      const verifier = oauth.generateRandomCodeVerifier();
      const code = await codeFor({ client: merchant.id, challenge: await oauth.calculatePKCECodeChallenge(verifier) });
      assertOAuthError(await exchange(merchant, { code }), 400, 'invalid_grant');
    });

    it('refuses a code_verifier for a code issued without a challenge (PKCE downgrade)', async () => {
      const code = await codeFor({ client: merchant.id });
      assertOAuthError(await exchange(merchant, { code, code_verifier: oauth.generateRandomCodeVerifier() }), 400, 'invalid_grant');
      // Without a challenge and without a verifier, a confidential client may exchange its code.
      const plain = await codeFor({ client: merchant.id });
      const ok = await exchange(merchant, { code: plain });
      assert.equal(ok.status, 200, ok.text);
    });

    it('refuses a malformed code_verifier with invalid_request, leaving the code usable', async () => {
      const code = await codeFor({ client: merchant.id, challenge: VECTOR.challenge });
      assertOAuthError(await exchange(merchant, { code, code_verifier: 'short' }), 400, 'invalid_request');
      const ok = await exchange(merchant, { code, code_verifier: VECTOR.verifier });
      assert.equal(ok.status, 200, ok.text);
    });

    it('refuses a redirect_uri that differs from the authorization request', async () => {
      const code = await codeFor({ client: merchant.id, challenge: VECTOR.challenge });
      assertOAuthError(await exchange(merchant, { code, code_verifier: VECTOR.verifier, redirect_uri: `${REDIRECT}/` }), 400, 'invalid_grant');
      const withoutRedirect = await codeFor({ client: merchant.id, challenge: VECTOR.challenge });
      const response = await backChannel(server, '/oauth/token', { grant_type: 'authorization_code', code: withoutRedirect, code_verifier: VECTOR.verifier }, [merchant.id, merchant.secret]);
      assertOAuthError(response, 400, 'invalid_request');
    });

    it('answers another client’s code as unknown, and leaves it to its client', async () => {
      const code = await codeFor({ client: merchant.id, challenge: VECTOR.challenge });
      assertOAuthError(await exchange(otherMerchant, { code, code_verifier: VECTOR.verifier }), 400, 'invalid_grant');
      const ok = await exchange(merchant, { code, code_verifier: VECTOR.verifier });
      assert.equal(ok.status, 200, ok.text);
    });

    it('authenticates the confidential client: client_id alone or a wrong secret is invalid_client (401)', async () => {
      const code = await codeFor({ client: merchant.id, challenge: VECTOR.challenge });
      assertOAuthError(await exchange(null, { code, code_verifier: VECTOR.verifier, client_id: merchant.id }), 401, 'invalid_client');
      const wrong = await backChannel(server, '/oauth/token', { grant_type: 'authorization_code', code, code_verifier: VECTOR.verifier, redirect_uri: REDIRECT }, [merchant.id, 'nope']);
      assertOAuthError(wrong, 401, 'invalid_client');
      assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic/);
      const ok = await exchange(merchant, { code, code_verifier: VECTOR.verifier });
      assert.equal(ok.status, 200, 'failed client authentication spends nothing');
    });

    it('accepts a JSON token request (as iumiCash clients send)', async () => {
      const code = await codeFor({ client: merchant.id, challenge: VECTOR.challenge });
      const response = await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${merchant.id}:${merchant.secret}`).toString('base64')}` },
        body: JSON.stringify({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VECTOR.verifier }),
      });
      const json = (await response.json()) as Record<string, unknown>;
      assert.equal(response.status, 200, JSON.stringify(json));
      assert.equal(json.expires_in, 28800);
      assert.equal(response.headers.get('cache-control'), 'no-store');
    });

    it('refuses a reused code and revokes every token issued from it (§4.1.2, §10.5)', async () => {
      const code = await codeFor({ client: merchant.id, challenge: VECTOR.challenge });
      const first = await exchange(merchant, { code, code_verifier: VECTOR.verifier });
      assert.equal(first.status, 200, first.text);
      const rotated = await refresh(merchant, first.json.refresh_token);
      assert.equal(rotated.status, 200, rotated.text);
      assert.ok(await works(first.json.access_token));
      assert.ok(await works(rotated.json.access_token));

      const again = await exchange(merchant, { code, code_verifier: VECTOR.verifier });
      assertOAuthError(again, 400, 'invalid_grant');
      assert.equal(await works(first.json.access_token), false);
      assert.equal(await works(rotated.json.access_token), false);
      assert.deepEqual(await introspect(rotated.json.refresh_token), { active: false });
      assertOAuthError(await refresh(merchant, rotated.json.refresh_token), 400, 'invalid_grant');
    });

    it('issues a code only once even when two exchanges race', async () => {
      const code = await codeFor({ client: merchant.id, challenge: VECTOR.challenge });
      const answers = await Promise.all([1, 2, 3].map(() => exchange(merchant, { code, code_verifier: VECTOR.verifier })));
      const issued = answers.filter((a) => a.status === 200);
      assert.ok(issued.length <= 1, `${issued.length} exchanges succeeded`);
      for (const a of answers.filter((x) => x.status !== 200)) assertOAuthError(a, 400, 'invalid_grant');
      // Whoever won, the reuse revoked what it got.
      for (const a of issued) assert.equal(await works(a.json.access_token), false);
    });

    it('refuses an expired code (the clock moved past its lifetime)', async () => {
      assert.ok(AUTHORIZATION_CODE_TTL_SECONDS <= 600, 'codes live at most 10 minutes');
      const code = await codeFor({ client: merchant.id, challenge: VECTOR.challenge });
      clock.advance(11 * 60 * 1000);
      assertOAuthError(await exchange(merchant, { code, code_verifier: VECTOR.verifier }), 400, 'invalid_grant');
    });
  });

  describe('refresh token replay', () => {
    it('revokes the whole family when a rotated refresh token is presented again', async () => {
      const family = await grant();
      const second = await refresh(merchant, family.refresh);
      const third = await refresh(merchant, second.json.refresh_token);
      assert.equal(third.status, 200, third.text);
      assert.ok(await works(third.json.access_token));

      const replay = await refresh(merchant, family.refresh);
      assertOAuthError(replay, 400, 'invalid_grant');
      // The newest refresh and access tokens stop working, and every older one.
      assertOAuthError(await refresh(merchant, third.json.refresh_token), 400, 'invalid_grant');
      for (const token of [third.json.access_token, second.json.access_token, family.access]) assert.equal(await works(token), false);
      assert.deepEqual(await introspect(third.json.refresh_token), { active: false });

      // Other families of the same payer and client are not touched.
      const other = await grant();
      assert.ok(await works(other.access));
    });

    it('refuses refresh with another client’s refresh token, and leaves it alone', async () => {
      const family = await grant();
      assertOAuthError(await refresh(otherMerchant, family.refresh), 400, 'invalid_grant');
      const ok = await refresh(merchant, family.refresh);
      assert.equal(ok.status, 200, ok.text);
    });
  });

  describe('public clients', () => {
    it('exchange with client_id alone and S256, and cannot use client credentials', async () => {
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const answer = await decide(
        alice,
        authorizeUrl({ client: mobileApp.id, redirectUri: APP_REDIRECT, scope: 'accounts:read', state, challenge: await oauth.calculatePKCECodeChallenge(verifier) }),
      );
      const client = { client_id: mobileApp.id };
      const params = oauth.validateAuthResponse(as, client, new URL(answer.location!), state);
      const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, APP_REDIRECT, verifier, insecure);
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
      assert.ok(await works(tokens.access_token));

      const rotated = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, insecure));
      assert.notEqual(rotated.refresh_token, tokens.refresh_token);

      const credentials = await backChannel(server, '/oauth/token', { grant_type: 'client_credentials' }, [mobileApp.id, mobileApp.secret]);
      assertOAuthError(credentials, 400, 'unauthorized_client');

      // A public client may revoke its own token with client_id alone.
      const revoked = await backChannel(server, '/oauth/revoke', { token: rotated.refresh_token!, client_id: mobileApp.id });
      assert.equal(revoked.status, 200);
      assert.equal(await works(rotated.access_token), false);
    });
  });

  describe('PKCE test vector (RFC 7636 Appendix B)', () => {
    it('is what oauth4webapi computes and what the server accepts', async () => {
      assert.equal(await oauth.calculatePKCECodeChallenge(VECTOR.verifier), VECTOR.challenge);
      const code = await codeFor({ client: mobileApp.id, redirectUri: APP_REDIRECT, scope: 'accounts:read', challenge: VECTOR.challenge });
      const wrong = await backChannel(server, '/oauth/token', {
        grant_type: 'authorization_code',
        client_id: mobileApp.id,
        code,
        redirect_uri: APP_REDIRECT,
        code_verifier: `${VECTOR.verifier.slice(0, -1)}l`,
      });
      assertOAuthError(wrong, 400, 'invalid_grant');
      const second = await codeFor({ client: mobileApp.id, redirectUri: APP_REDIRECT, scope: 'accounts:read', challenge: VECTOR.challenge });
      const ok = await backChannel(server, '/oauth/token', {
        grant_type: 'authorization_code',
        client_id: mobileApp.id,
        code: second,
        redirect_uri: APP_REDIRECT,
        code_verifier: VECTOR.verifier,
      });
      assert.equal(ok.status, 200, ok.text);
    });
  });

  describe('storage and cost', () => {
    it('keeps only hashes of codes, refresh tokens, session secrets and passwords', async () => {
      const browser = new FormBrowser(server.url);
      const url = authorizeUrl({ client: merchant.id, scope: 'accounts:read', state: 's', challenge: VECTOR.challenge });
      await logIn(browser, url);
      const answer = await decide(browser, url);
      const code = callbackParams(answer.location).get('code')!;
      const tokens = await exchange(merchant, { code, code_verifier: VECTOR.verifier });
      const session = browser.cookies.get('paygrid_session')!;

      const em = server.app.services.db.reader();
      const dump = JSON.stringify([
        await em.getConnection().execute('select * from authorization_code'),
        await em.getConnection().execute('select * from refresh_token'),
        await em.getConnection().execute('select * from access_token'),
        await em.getConnection().execute('select * from payer_session'),
        await em.getConnection().execute('select * from app_user'),
      ]);
      for (const secret of [code, tokens.json.refresh_token, tokens.json.access_token, session, PASSWORD]) {
        assert.ok(!dump.includes(secret), 'a secret is stored in clear');
        assert.ok(!dump.includes(secret.slice(5)), 'the random part of a secret is stored in clear');
      }
      assert.ok(await em.findOne(AuthorizationCode, { codeHash: sha256(code) }));
      assert.ok(await em.findOne(RefreshToken, { tokenHash: sha256(tokens.json.refresh_token) }));
      const access = await em.findOne(AccessToken, { tokenHash: sha256(tokens.json.access_token) });
      assert.equal(access?.userId, aliceId);
      assert.ok(await em.findOne(PayerSession, { secretHash: sha256(session), userId: aliceId }));
      const user = await em.findOneOrFail(User, { id: aliceId });
      assert.match(user.passwordHash, /^\$scrypt\$ln=17,r=8,p=1\$/);
    });

    it('answers an unknown username with the same work as a wrong password: one scrypt hash each', async () => {
      // Counted, not timed: each check goes through the password hasher once, known user or not.
      const { hashes } = server.app.services.users;
      for (const username of ['alice', 'nobody-at-all']) {
        const before = hashes.started;
        assert.equal(await server.app.services.users.authenticate(username, 'wrong-password'), null);
        assert.equal(hashes.started - before, 1, username);
      }
    });
  });
});

describe('the session cookie behind a TLS-terminating proxy', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer({ trustProxy: true });
  });
  after(() => server.close());

  it('is Secure, with the __Host- prefix, when the request came over https', async () => {
    const response = await fetch(`${server.url}/login`, { headers: { 'x-forwarded-proto': 'https' } });
    const [cookie] = response.headers.getSetCookie();
    assert.match(cookie, /^__Host-paygrid_session=pgss_[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const plain = await fetch(`${server.url}/login`);
    assert.match(plain.headers.getSetCookie()[0], /^paygrid_session=.*; Path=\/; HttpOnly; SameSite=Lax$/);
  });
});
