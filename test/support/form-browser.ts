/**
 * The browser side of a redirect flow, with fetch: a cookie jar, redirects not followed (the test
 * looks at each one), and the forms of a page read from its HTML.
 */
export interface PageResponse {
  status: number;
  headers: Headers;
  /** The Location header, resolved against the request URL; null when there is none. */
  location: string | null;
  text: string;
  /** The Set-Cookie headers of this response, as sent. */
  setCookies: string[];
}

export interface Form {
  action: string;
  fields: Record<string, string>;
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#96;': '`' };

export function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#96);/g, (entity) => ENTITIES[entity]);
}

/** The POST forms of a page, with their hidden fields. */
export function formsOf(html: string): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const input of match[2].matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[unescapeHtml(input[1])] = unescapeHtml(input[2]);
    forms.push({ action: unescapeHtml(match[1]), fields });
  }
  return forms;
}

export function formTo(html: string, actionPrefix: string): Form {
  const form = formsOf(html).find((f) => f.action.startsWith(actionPrefix));
  if (!form) throw new Error(`no form posting to ${actionPrefix} in:\n${html}`);
  return form;
}

export class FormBrowser {
  /** name → value, for one origin (the test server). */
  readonly cookies = new Map<string, string>();

  constructor(readonly origin: string) {}

  async get(url: string, headers: Record<string, string> = {}): Promise<PageResponse> {
    return this.request(url, { method: 'GET', headers });
  }

  async post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<PageResponse> {
    return this.request(url, { method: 'POST', body: new URLSearchParams(fields), headers });
  }

  async submit(form: Form, extra: Record<string, string> = {}): Promise<PageResponse> {
    return this.post(form.action, { ...form.fields, ...extra });
  }

  private async request(url: string, init: { method: string; body?: URLSearchParams; headers: Record<string, string> }): Promise<PageResponse> {
    const target = new URL(url, this.origin);
    const sameOrigin = target.origin === this.origin;
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(target, {
      method: init.method,
      body: init.body,
      redirect: 'manual',
      headers: { ...(sameOrigin && cookie ? { cookie } : {}), ...init.headers },
    });
    const setCookies = response.headers.getSetCookie();
    if (sameOrigin) for (const header of setCookies) this.store(header);
    const location = response.headers.get('location');
    return {
      status: response.status,
      headers: response.headers,
      location: location === null ? null : new URL(location, target).toString(),
      text: await response.text(),
      setCookies,
    };
  }

  private store(header: string): void {
    const [pair, ...attributes] = header.split(';').map((part) => part.trim());
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    const expired = attributes.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) <= Date.now()));
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}
