import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../users/session.service';
import type { UserService } from '../users/user.service';
import { sendRedirect } from './pages';

/**
 * The payer's browser session, for every page that needs a logged-in payer (consent, checkout…):
 * `currentPayer(request)` tells who is logged in, `redirectToLogin(request, reply)` sends the
 * browser to the login page and back, and `checkCsrf(request, token)` guards every form.
 *
 * The cookie is HttpOnly, SameSite=Lax, Path=/, and Secure (with the `__Host-` prefix) when the
 * request came over https; behind a TLS-terminating proxy set TRUST_PROXY so that Paygrid sees it.
 */
export interface BrowserSession {
  sessionId: string;
  userId: string | null;
  /** Goes in a hidden `csrf_token` field of every form the page shows. */
  csrfToken: string;
}

export interface CurrentPayer {
  id: string;
  username: string;
  name: string | null;
  csrfToken: string;
}

interface SessionSupport {
  sessions: SessionService;
  users: UserService;
}

declare module 'fastify' {
  interface FastifyInstance {
    payerSessions: SessionSupport;
  }
}

export const LOGIN_PATH = '/login';
export const CSRF_FIELD = 'csrf_token';
const COOKIE = 'paygrid_session';
const SECURE_COOKIE = '__Host-paygrid_session';

/** Makes the helpers below work in every route of `app`. */
export function registerPayerSessions(app: FastifyInstance, support: SessionSupport): void {
  app.decorate('payerSessions', support);
}

function isHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

function cookieName(request: FastifyRequest): string {
  return isHttps(request) ? SECURE_COOKIE : COOKIE;
}

function cookieSecret(request: FastifyRequest): string | undefined {
  return request.cookies?.[cookieName(request)];
}

interface Resolved {
  secret: string;
  session: BrowserSession;
}

/** One lookup per request, whoever asks. */
const resolved = new WeakMap<FastifyRequest, Promise<Resolved | null>>();

function resolve(request: FastifyRequest): Promise<Resolved | null> {
  let found = resolved.get(request);
  if (!found) {
    const { sessions } = request.server.payerSessions;
    const secret = cookieSecret(request);
    found = sessions.find(secret).then((session) =>
      session && secret ? { secret, session: { sessionId: session.id, userId: session.userId, csrfToken: sessions.csrfToken(secret) } } : null,
    );
    resolved.set(request, found);
  }
  return found;
}

function setCookie(request: FastifyRequest, reply: FastifyReply, secret: string): void {
  reply.setCookie(cookieName(request), secret, { httpOnly: true, sameSite: 'lax', path: '/', secure: isHttps(request) });
}

/** The live session of the request's cookie, logged in or not; null when there is none. */
export async function browserSession(request: FastifyRequest): Promise<BrowserSession | null> {
  return (await resolve(request))?.session ?? null;
}

/** The request's session, or a new one without a user (set in the reply's cookie): a form needs one for its CSRF token. */
export async function ensureBrowserSession(request: FastifyRequest, reply: FastifyReply): Promise<BrowserSession> {
  const existing = await resolve(request);
  if (existing) return existing.session;
  const { sessions } = request.server.payerSessions;
  const { session, secret } = await sessions.start();
  setCookie(request, reply, secret);
  const fresh = { secret, session: { sessionId: session.id, userId: null, csrfToken: sessions.csrfToken(secret) } };
  resolved.set(request, Promise.resolve(fresh));
  return fresh.session;
}

/** The logged-in payer, or null. */
export async function currentPayer(request: FastifyRequest): Promise<CurrentPayer | null> {
  const found = await resolve(request);
  if (!found?.session.userId) return null;
  const user = await request.server.payerSessions.users.get(found.session.userId);
  return user && { id: user.id, username: user.username, name: user.name, csrfToken: found.session.csrfToken };
}

/** Whether `given` (the form's `csrf_token`) belongs to the request's session. */
export async function checkCsrf(request: FastifyRequest, given: unknown): Promise<boolean> {
  const found = await resolve(request);
  return !!found && request.server.payerSessions.sessions.checkCsrf(found.secret, given);
}

/** Logs `userId` in: the old session ends, a new one (new secret, new CSRF token) begins. */
export async function startPayerSession(request: FastifyRequest, reply: FastifyReply, userId: string): Promise<BrowserSession> {
  const { sessions } = request.server.payerSessions;
  const { session, secret } = await sessions.login(cookieSecret(request), userId);
  setCookie(request, reply, secret);
  const fresh = { secret, session: { sessionId: session.id, userId, csrfToken: sessions.csrfToken(secret) } };
  resolved.set(request, Promise.resolve(fresh));
  return fresh.session;
}

export async function endPayerSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const secret = cookieSecret(request);
  if (secret) await request.server.payerSessions.sessions.end(secret);
  reply.clearCookie(cookieName(request), { httpOnly: true, sameSite: 'lax', path: '/', secure: isHttps(request) });
  resolved.set(request, Promise.resolve(null));
}

const RETURN_BASE = 'http://paygrid.invalid';

/**
 * A same-origin path to come back to after login, or `fallback`: anything that could lead off-site
 * (`//evil.example`, `/\evil.example`, `https://…`, control characters) is dropped, not followed.
 */
export function safeReturnTo(value: unknown, fallback = LOGIN_PATH): string {
  if (typeof value !== 'string' || value.length > 8192 || !value.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(value)) return fallback;
  if (value.startsWith('//')) return fallback;
  let url: URL;
  try {
    url = new URL(value, RETURN_BASE);
  } catch {
    return fallback;
  }
  // Dot segments normalize `/..//evil.example` to `//evil.example`: check what is returned, not what came.
  const path = `${url.pathname}${url.search}`;
  if (url.origin !== RETURN_BASE || path.startsWith('//')) return fallback;
  return path;
}

export function loginUrl(returnTo: string): string {
  return `${LOGIN_PATH}?${new URLSearchParams({ return_to: safeReturnTo(returnTo) })}`;
}

/** Sends the browser to the login page, which brings it back to this page (GET) once logged in. */
export function redirectToLogin(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendRedirect(reply, loginUrl(request.method === 'GET' ? request.url : LOGIN_PATH));
}
