import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html, sendErrorPage, sendPage, sendRedirect, type Html } from '../http/pages';
import {
  CSRF_FIELD,
  LOGIN_PATH,
  checkCsrf,
  currentPayer,
  endPayerSession,
  ensureBrowserSession,
  safeReturnTo,
  startPayerSession,
} from '../http/payer-session';
import { ErrorCode, RetryLaterError } from '../shared/errors';
import type { UserService } from './user.service';

export interface LoginPageOptions {
  /** Where the browser goes once logged in (same-origin path). */
  returnTo: string;
  /** Shown above the form, e.g. "to continue to Demo merchant". */
  purpose?: string;
  error?: string;
  username?: string;
  status?: number;
}

/** The login form; it opens a session first, as the form needs a CSRF token (no login CSRF). */
export async function sendLoginPage(request: FastifyRequest, reply: FastifyReply, options: LoginPageOptions): Promise<FastifyReply> {
  const session = await ensureBrowserSession(request, reply);
  const body = html`<h1>Log in</h1>
${options.purpose ? html`<p>${options.purpose}</p>` : ''}
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
<form method="post" action="${LOGIN_PATH}">
<input type="hidden" name="${CSRF_FIELD}" value="${session.csrfToken}">
<input type="hidden" name="return_to" value="${safeReturnTo(options.returnTo)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" required value="${options.username ?? ''}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>`;
  return sendPage(reply, { title: 'Log in', body, status: options.status });
}

function field(body: unknown, name: string): string | undefined {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function loggedInPage(username: string, csrfToken: string): Html {
  return html`<h1>You are logged in</h1>
<p>Logged in as <strong>${username}</strong>.</p>
<form method="post" action="/logout">
<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">
<button type="submit" class="secondary">Log out</button>
</form>`;
}

function waitHint(seconds: number): string {
  if (seconds < 60) return `(Wait ${seconds} second${seconds === 1 ? '' : 's'}.)`;
  const minutes = Math.ceil(seconds / 60);
  return `(Wait about ${minutes} minute${minutes === 1 ? '' : 's'}.)`;
}

/** GET and POST /login, POST /logout: the payer's login, for every page that needs one. */
export function registerLoginRoutes(app: FastifyInstance, users: UserService): void {
  app.get(LOGIN_PATH, async (request, reply) => {
    const returnTo = safeReturnTo((request.query as Record<string, unknown>).return_to);
    const payer = await currentPayer(request);
    if (payer && returnTo !== LOGIN_PATH) return sendRedirect(reply, returnTo);
    if (payer) return sendPage(reply, { title: 'Logged in', body: loggedInPage(payer.username, payer.csrfToken) });
    return sendLoginPage(request, reply, { returnTo });
  });

  app.post(LOGIN_PATH, async (request, reply) => {
    const returnTo = safeReturnTo(field(request.body, 'return_to'));
    const username = field(request.body, 'username') ?? '';
    if (!(await checkCsrf(request, field(request.body, CSRF_FIELD)))) {
      request.log.info('login refused: CSRF token missing or wrong');
      return sendLoginPage(request, reply, {
        returnTo,
        username,
        status: 403,
        error: 'This form expired or did not come from Paygrid. Please log in again.',
      });
    }
    let user;
    try {
      user = await users.authenticate(username, field(request.body, 'password') ?? '');
    } catch (error) {
      if (!(error instanceof RetryLaterError)) throw error;
      const throttled = error.code === ErrorCode.TOO_MANY_LOGIN_ATTEMPTS;
      request.log.warn({ code: error.code, retryAfter: error.retryAfterSeconds }, 'login refused before the password check');
      reply.header('retry-after', String(error.retryAfterSeconds));
      return sendLoginPage(request, reply, { returnTo, username, status: throttled ? 429 : 503, error: `${error.message} ${waitHint(error.retryAfterSeconds)}` });
    }
    if (!user) return sendLoginPage(request, reply, { returnTo, username, status: 401, error: 'Wrong username or password.' });
    await startPayerSession(request, reply, user.id);
    return sendRedirect(reply, returnTo);
  });

  app.post('/logout', async (request, reply) => {
    const returnTo = safeReturnTo(field(request.body, 'return_to'));
    if (!(await checkCsrf(request, field(request.body, CSRF_FIELD)))) {
      return sendErrorPage(reply, 403, 'Not logged out', 'This form expired or did not come from Paygrid. Go back, reload the page and try again.');
    }
    await endPayerSession(request, reply);
    return sendRedirect(reply, returnTo);
  });
}
