import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html, sendErrorPage, sendPage, sendRedirect, verificationStatus } from '../http/pages';
import { CSRF_FIELD, checkCsrf, currentPayer, type CurrentPayer } from '../http/payer-session';
import { sendLoginPage } from '../users/login.routes';
import type { AuthorizationRequest, AuthorizationService, AuthorizeCheck } from './authorization.service';
import { SCOPE_WORDING, type Scope } from './scopes';

export const AUTHORIZE_PATH = '/oauth/authorize';

/** The request's own query string, as sent: the consent form posts it back unchanged and it is checked again. */
function rawQuery(request: FastifyRequest): string {
  const at = request.url.indexOf('?');
  return at < 0 ? '' : request.url.slice(at + 1);
}

/** The redirect URI with the response parameters added, keeping any query it was registered with (RFC 6749 §3.1.2). */
function redirectTo(redirectUri: string, params: Record<string, string | null>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.append(name, value);
  return url.toString();
}

/** Where a consent form's answer may lead, for the page's `form-action` policy. */
function formTarget(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.origin === 'null' ? url.protocol : url.origin;
}

function describeHost(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.host || url.protocol;
}

function consentPage(request: AuthorizationRequest, payer: CurrentPayer, action: string) {
  const { client } = request;
  return html`<h1><span id="client-name">${client.name}</span> wants to use your Paygrid account</h1>
${verificationStatus(client.verified)}
<p>It asks to:</p>
<ul class="scopes">${request.scopes.map((s) => html`<li data-scope="${s}">${SCOPE_WORDING[s as Scope] ?? s}</li>`)}</ul>
<p class="muted">Logged in as <strong>${payer.username}</strong>. Either way, you go back to ${describeHost(request.redirectUri)}.</p>
<form method="post" action="${action}">
<input type="hidden" name="${CSRF_FIELD}" value="${payer.csrfToken}">
<div class="actions">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>
<form method="post" action="/logout">
<input type="hidden" name="${CSRF_FIELD}" value="${payer.csrfToken}">
<input type="hidden" name="return_to" value="${action}">
<p class="muted">Not ${payer.username}? <button type="submit" class="link">Log out</button></p>
</form>`;
}

/**
 * Sends the outcome of a check that failed: to the error page when the client or its redirect URI
 * cannot be trusted (never redirecting there), else back to the client with `error` and `state`.
 */
function sendCheckFailure(reply: FastifyReply, check: Exclude<AuthorizeCheck, { kind: 'ok' }>, issuer: string): FastifyReply {
  if (check.kind === 'invalid') return sendErrorPage(reply, 400, 'This request cannot go on', check.message);
  return sendRedirect(
    reply,
    redirectTo(check.redirectUri, { error: check.error, error_description: check.description, state: check.state, iss: issuer }),
  );
}

/**
 * `/oauth/authorize` (RFC 6749 §4.1): GET checks the request, then shows the login page (no
 * session) or the consent page; the consent form POSTs to the same URL, with the same query, which
 * is checked again before the code is issued.
 */
export function registerAuthorizeRoutes(
  app: FastifyInstance,
  authorization: AuthorizationService,
  issuer: () => string,
  /** The 1-Click branch: a request naming an `identity_provider` is identified there instead of by a login and consent. */
  identityProvider?: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>,
): void {
  app.get(AUTHORIZE_PATH, async (request, reply) => {
    if (identityProvider && (request.query as Record<string, unknown>).identity_provider !== undefined) return identityProvider(request, reply);
    const check = await authorization.checkAuthorizeRequest(request.query as Record<string, unknown>);
    if (check.kind !== 'ok') return sendCheckFailure(reply, check, issuer());
    const payer = await currentPayer(request);
    if (!payer) {
      return sendLoginPage(request, reply, { returnTo: request.url, purpose: `Log in to continue to ${check.request.client.name}.` });
    }
    return sendPage(reply, {
      title: `Allow ${check.request.client.name}?`,
      body: consentPage(check.request, payer, `${AUTHORIZE_PATH}?${rawQuery(request)}`),
      formTargets: [formTarget(check.request.redirectUri)],
    });
  });

  app.post(AUTHORIZE_PATH, async (request, reply) => {
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
    const payer = await currentPayer(request);
    const getUrl = `${AUTHORIZE_PATH}?${rawQuery(request)}`;
    if (!payer) return sendLoginPage(request, reply, { returnTo: getUrl, status: 401, error: 'Your session ended. Log in again to continue.' });
    if (!(await checkCsrf(request, body[CSRF_FIELD]))) {
      request.log.info('consent refused: CSRF token missing or wrong');
      return sendErrorPage(reply, 403, 'Request refused', 'This form expired or did not come from Paygrid. Nothing was approved. Go back and try again.');
    }
    const check = await authorization.checkAuthorizeRequest(request.query as Record<string, unknown>);
    if (check.kind !== 'ok') return sendCheckFailure(reply, check, issuer());
    const { redirectUri, state } = check.request;
    if (body.decision === 'deny') {
      return sendRedirect(reply, redirectTo(redirectUri, { error: 'access_denied', error_description: 'The payer denied the request.', state, iss: issuer() }));
    }
    if (body.decision !== 'approve') return sendErrorPage(reply, 400, 'Request refused', 'Choose Approve or Deny.');
    const code = await authorization.issueCode(check.request, payer.id);
    return sendRedirect(reply, redirectTo(redirectUri, { code, state, iss: issuer() }));
  });
}
