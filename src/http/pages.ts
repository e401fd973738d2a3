import { reportUnexpected } from './error-boundary';
import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The one layout and escaping helper of Paygrid's HTML pages (login, consent, checkout…). Every
 * dynamic value goes through `html`, which escapes it unless it is itself `Html`: a page cannot
 * forget to escape.
 */
export class Html {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for an HTML element or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value == null || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: `html\`<p>${text}</p>\`` escapes `text`; nested `html` fragments and arrays of them pass as they are. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2330}
main{max-width:28rem;margin:3rem auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
header{font-weight:700;letter-spacing:.02em;color:#3a4ccf;margin-bottom:1rem}
h1{font-size:1.35rem;margin:0 0 1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=password]{width:100%;padding:.6rem;border:1px solid #c5c9d3;border-radius:6px;font:inherit}
button{font:inherit;padding:.6rem 1.2rem;border-radius:6px;border:1px solid #3a4ccf;background:#3a4ccf;color:#fff;cursor:pointer;margin-top:1rem}
button.secondary{background:#fff;color:#3a4ccf}
button.link{border:0;background:none;color:#3a4ccf;padding:0;margin:0;text-decoration:underline}
.actions{display:flex;gap:.75rem}
.error{background:#fdecec;border:1px solid #f1b5b5;color:#8a1c1c;padding:.6rem .8rem;border-radius:6px}
.badge{display:inline-block;padding:.2rem .6rem;border-radius:999px;font-size:.85rem;font-weight:600}
.verified{background:#e5f6ea;color:#1b6b34}
.unverified{background:#fff4e0;color:#8a5300}
.muted{color:#5c6372;font-size:.9rem}
ul.scopes{padding-left:1.2rem}
table{width:100%;border-collapse:collapse;margin:1rem 0}
th,td{text-align:left;padding:.4rem .3rem;border-bottom:1px solid #e4e7ee;vertical-align:top}
th{font-size:.85rem;color:#5c6372;font-weight:600}
th.num,td.num{text-align:right;white-space:nowrap}
`;

/** The stylesheet is inline and allowed by its hash, so the policy needs no 'unsafe-inline'. */
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

export interface PageOptions {
  title: string;
  body: Html;
  status?: number;
  /**
   * Origins a form on the page may lead to, besides this one: a form whose answer is a redirect to
   * a client (the consent page) needs the client's origin, as browsers apply `form-action` to it.
   */
  formTargets?: readonly string[];
}

export function layout(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Paygrid</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<main>
<header>Paygrid</header>
${body}
</main>
</body>
</html>
`.value;
}

/** Whether Paygrid checked who runs a client (the operator's `verified`), as payers see it before they agree. */
export function verificationStatus(verified: boolean): Html {
  return verified
    ? html`<p><span class="badge verified" data-verification="verified">Verified</span> Paygrid checked who runs this application.</p>`
    : html`<p><span class="badge unverified" data-verification="not-verified">Not verified</span> Paygrid has not checked who runs this
application. Approve only if you trust it.</p>`;
}

/** Headers every page and every redirect out of a page carries. */
export function pageHeaders(reply: FastifyReply, formTargets: readonly string[] = []): FastifyReply {
  const formAction = ["'self'", ...formTargets].join(' ');
  return reply
    .header('Content-Security-Policy', `default-src 'none'; style-src ${STYLE_HASH}; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`)
    .header('X-Frame-Options', 'DENY')
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('Cache-Control', 'no-store')
    .header('Pragma', 'no-cache');
}

export function sendPage(reply: FastifyReply, options: PageOptions): FastifyReply {
  return pageHeaders(reply, options.formTargets)
    .status(options.status ?? 200)
    .type('text/html; charset=utf-8')
    .send(layout(options.title, options.body));
}

/** A page that explains why the request stops here; it links nowhere the request named. */
export function sendErrorPage(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
  return sendPage(reply, { status, title, body: html`<h1>${title}</h1><p class="error">${message}</p>` });
}

/**
 * 303 See Other: the browser follows with a GET, so a form's body (a password, a CSRF token) is
 * never re-sent to the target (RFC 9700 §4.12).
 */
export function sendRedirect(reply: FastifyReply, location: string): FastifyReply {
  return pageHeaders(reply).redirect(location, 303);
}

/**
 * Routes that answer with pages: what fails in them (an unreadable form, a bug, the database) is
 * answered with an error page, never with the error's own message.
 */
export function registerPages(app: FastifyInstance, routes: (scope: FastifyInstance) => void): void {
  app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) return sendErrorPage(reply, 400, 'Request refused', 'The request could not be read.');
      const reference = reportUnexpected(request.log, error, 'page');
      return sendErrorPage(reply, 500, 'Something went wrong', `Paygrid could not handle the request. Please try again later (reference ${reference}).`);
    });
    routes(scope);
  });
}
