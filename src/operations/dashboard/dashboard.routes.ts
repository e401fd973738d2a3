import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../../access';
import { CSRF_FIELD, checkCsrf, ensureBrowserSession } from '../../http/payer-session';
import { escapeHtml, html, pageHeaders, sendPage, sendRedirect } from '../../http/pages';
import type { AuthorizationService } from '../../oauth/authorization.service';
import { Scope } from '../../oauth/scopes';
import { OAuthError, type Caller, type TokenService } from '../../oauth/token.service';

export const DASHBOARD_PATH = '/operator';

/**
 * What the dashboard's token may do: read the books and the platform (ledger:read) and re-send any
 * client's webhook deliveries (clients:manage). It never holds ledger:fund: the page moves no money.
 */
export const DASHBOARD_SCOPES: readonly Scope[] = [Scope.LEDGER_READ, Scope.CLIENTS_MANAGE];

const COOKIE = 'paygrid_operator';
const SECURE_COOKIE = '__Host-paygrid_operator';

const SOURCE_DIR = join(__dirname, '..', '..', '..', '..', 'src', 'operations', 'dashboard');
const GRAPHQL_WS_UMD = join(dirname(require.resolve('graphql-ws/package.json')), 'umd', 'graphql-ws.min.js');
const FILES: Record<string, { path: string; type: string }> = {
  'dashboard.js': { path: join(SOURCE_DIR, 'dashboard.js'), type: 'application/javascript; charset=utf-8' },
  'dashboard.css': { path: join(SOURCE_DIR, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  'graphql-ws.js': { path: GRAPHQL_WS_UMD, type: 'application/javascript; charset=utf-8' },
};

/** Scripts and styles from Paygrid only; the page's script talks to /graphql over HTTP and graphql-ws. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' ws: wss:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface DashboardSupport {
  tokens: TokenService;
  authorization: AuthorizationService;
}

const isHttps = (request: FastifyRequest) => request.protocol === 'https';
const cookieName = (request: FastifyRequest) => (isHttps(request) ? SECURE_COOKIE : COOKIE);
// SameSite=Strict: no other site's page can make the browser send it; the token also goes only in headers the page's script sets.
const cookieOptions = (request: FastifyRequest) => ({ httpOnly: true, sameSite: 'strict' as const, path: '/', secure: isHttps(request) });

function field(body: unknown, name: string): string {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : '';
}

/** The operator the cookie's token stands for, or null: the token must be live and hold the dashboard's scopes. */
async function currentOperator(request: FastifyRequest, tokens: TokenService): Promise<{ token: string; caller: Caller } | null> {
  const token = request.cookies?.[cookieName(request)];
  const caller = token ? await tokens.authenticate(token) : null;
  if (!token || !caller || principalOf(caller).kind !== 'operator' || !DASHBOARD_SCOPES.every((s) => caller.scopes.has(s))) return null;
  return { token, caller };
}

async function sendLoginPage(request: FastifyRequest, reply: FastifyReply, options: { error?: string; clientId?: string; status?: number } = {}): Promise<FastifyReply> {
  const session = await ensureBrowserSession(request, reply);
  const body = html`<h1>Operator dashboard</h1>
<p class="muted">Log in with an operator client (<code>npm run paygrid -- create-operator</code> makes the first one).</p>
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
<form method="post" action="${DASHBOARD_PATH}/login">
<input type="hidden" name="${CSRF_FIELD}" value="${session.csrfToken}">
<label for="client_id">Client id</label>
<input type="text" id="client_id" name="client_id" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${options.clientId ?? ''}">
<label for="client_secret">Client secret</label>
<input type="password" id="client_secret" name="client_secret" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>`;
  return sendPage(reply, { title: 'Operator login', body, status: options.status });
}

function dashboardPage(token: string, clientId: string, csrfToken: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="paygrid-token" content="${escapeHtml(token)}">
<title>Operator dashboard · Paygrid</title>
<link rel="stylesheet" href="${DASHBOARD_PATH}/files/dashboard.css">
</head><body>
<header><strong>Paygrid</strong> operator dashboard
<span id="connection" class="pill">connecting…</span>
<span class="who">${escapeHtml(clientId)}</span>
<form method="post" action="${DASHBOARD_PATH}/logout"><input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(csrfToken)}"><button type="submit">Log out</button></form>
</header>
<main>
<section id="live" class="wide"><h2>Payments as they happen</h2>
<table><thead><tr><th>Time</th><th>Payment</th><th>Flow</th><th>Event</th><th>State</th><th class="num">Amount</th></tr></thead>
<tbody id="feed"><tr class="empty"><td colspan="6">Waiting for payments…</td></tr></tbody></table></section>
<section><h2>Payments by flow and state</h2><table><thead><tr><th>Flow</th><th>State</th><th class="num">Payments</th></tr></thead><tbody id="counts"></tbody></table></section>
<section><h2>Settlement accounts</h2><table><thead><tr><th>Account</th><th class="num">Posted</th><th class="num">Reserved</th></tr></thead><tbody id="settlement"></tbody></table></section>
<section><h2>Ledger report</h2><table><thead><tr><th>Asset</th><th class="num">Accounts</th><th class="num">Sum</th><th class="num">Drifting</th></tr></thead><tbody id="ledger"></tbody></table></section>
<section><h2>Scheduler backlog</h2><p id="backlog"></p></section>
<section class="wide"><h2>Webhook dead letters</h2><table><thead><tr><th>Delivery</th><th>Event</th><th>Endpoint</th><th>Last answer</th><th></th></tr></thead><tbody id="dead"></tbody></table></section>
</main>
<p id="updated" class="muted"></p>
<script src="${DASHBOARD_PATH}/files/graphql-ws.js"></script>
<script src="${DASHBOARD_PATH}/files/dashboard.js"></script>
</body></html>`;
}

/**
 * The operator dashboard. The operator logs in with its client id and secret, posted once to
 * Paygrid, which exchanges them for a client-credentials token with DASHBOARD_SCOPES (an hour's);
 * the secret never reaches the page. The token goes in an HttpOnly cookie that opens the page and
 * in the page itself, whose script sends it as a bearer token to /graphql and at graphql-ws's
 * connection_init, so that the dashboard uses the API every client uses, under the same policy.
 */
export function registerDashboardRoutes(app: FastifyInstance, support: DashboardSupport): void {
  const { tokens, authorization } = support;
  const cache = new Map<string, Buffer>();

  app.get(DASHBOARD_PATH, async (request, reply) => {
    const operator = await currentOperator(request, tokens);
    if (!operator) return sendLoginPage(request, reply);
    const session = await ensureBrowserSession(request, reply);
    pageHeaders(reply).header('Content-Security-Policy', CSP);
    return reply.type('text/html; charset=utf-8').send(dashboardPage(operator.token, operator.caller.clientId, session.csrfToken));
  });

  app.post(`${DASHBOARD_PATH}/login`, async (request, reply) => {
    const clientId = field(request.body, 'client_id').trim();
    if (!(await checkCsrf(request, field(request.body, CSRF_FIELD)))) {
      return sendLoginPage(request, reply, { clientId, status: 403, error: 'The form expired. Please log in again.' });
    }
    let client;
    try {
      client = await tokens.authenticateClient(clientId, field(request.body, 'client_secret'));
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      request.log.info('operator login refused: wrong client credentials');
      return sendLoginPage(request, reply, { clientId, status: 401, error: 'The client id or secret is wrong.' });
    }
    if (!DASHBOARD_SCOPES.every((s) => client.scopes.includes(s))) {
      request.log.info({ clientId: client.id }, 'operator login refused: not an operator');
      return sendLoginPage(request, reply, { clientId, status: 403, error: `This client is not an operator: the dashboard needs ${DASHBOARD_SCOPES.join(' and ')}.` });
    }
    const issued = await tokens.clientCredentials(client, DASHBOARD_SCOPES.join(' '));
    reply.setCookie(cookieName(request), issued.accessToken, { ...cookieOptions(request), maxAge: issued.expiresIn });
    return sendRedirect(reply, DASHBOARD_PATH);
  });

  app.post(`${DASHBOARD_PATH}/logout`, async (request, reply) => {
    if (!(await checkCsrf(request, field(request.body, CSRF_FIELD)))) return sendRedirect(reply, DASHBOARD_PATH);
    const operator = await currentOperator(request, tokens);
    const client = operator && (await tokens.findClient(operator.caller.clientId));
    if (operator && client) await authorization.revoke(client, operator.token);
    reply.clearCookie(cookieName(request), cookieOptions(request));
    return sendRedirect(reply, DASHBOARD_PATH);
  });

  app.get<{ Params: { file: string } }>(`${DASHBOARD_PATH}/files/:file`, async (request, reply) => {
    const file = FILES[request.params.file];
    if (!file) return reply.status(404).type('text/plain; charset=utf-8').send('No such file.');
    if (!cache.has(file.path)) cache.set(file.path, readFileSync(file.path));
    return reply.type(file.type).header('X-Content-Type-Options', 'nosniff').header('Cache-Control', 'public, max-age=300').send(cache.get(file.path));
  });
}
