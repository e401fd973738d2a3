import assert from 'node:assert/strict';
import { OperatorBooks, verifySignature } from '../../src/demo/one-click-operator';
import { MERCHANT_SCOPES } from '../../src/oauth/scopes';
import { openAccount, ledgerReport } from './flows';
import type { TestClient, TestServer } from './server';
import { WebhookReceiver, type Answer } from './webhook-receiver';

export type Script = (notification: string, body: Record<string, unknown>, attempt: number) => Answer | number | undefined;

/**
 * The operator's backend in tests: the demo operator's books (idempotent on txId) behind a
 * WebhookReceiver, every notification's signature checked, and a script that may answer otherwise
 * (refuse, fail, stay silent) before the books do.
 */
export class TestOperator {
  readonly books = new OperatorBooks();
  script: Script = () => undefined;
  /** Per notification and txId: how many times it came. */
  readonly attempts = new Map<string, number>();
  badSignatures = 0;

  private constructor(
    readonly receiver: WebhookReceiver,
    private readonly secret: () => string,
  ) {}

  static async start(secret: () => string): Promise<TestOperator> {
    let operator: TestOperator;
    const receiver = await WebhookReceiver.start(async (request) => {
      const notification = /^\/api\/(signin|authorize|transfer|cancel)$/.exec(request.path)?.[1];
      // The redirect URI answers 200, as the seed asks of it.
      if (!notification) return 200;
      if (!verifySignature(operator.secret(), request.body, request.headers, false)) {
        operator.badSignatures++;
        return 401;
      }
      const body = JSON.parse(request.body) as Record<string, unknown>;
      const key = `${notification}:${String(body.txId)}`;
      const attempt = (operator.attempts.get(key) ?? 0) + 1;
      operator.attempts.set(key, attempt);
      const scripted = operator.script(notification, body, attempt);
      if (scripted !== undefined) return scripted;
      return { status: 200, json: operator.books.handle(notification, body) };
    });
    operator = new TestOperator(receiver, secret);
    return operator;
  }

  get callback(): string {
    return this.receiver.url('/callback');
  }

  /** The notifications received, in order: `signin`, `authorize`… (with repeats). */
  received(): string[] {
    return this.receiver.requests.filter((r) => r.path.startsWith('/api/')).map((r) => r.path.slice(5));
  }

  bodies(notification: string): Array<Record<string, unknown>> {
    return this.receiver.requests.filter((r) => r.path === `/api/${notification}`).map((r) => JSON.parse(r.body));
  }

  /** `signin 3 sent, 4 tries (1 retry)`…: what the closing note lists. */
  summary(): string {
    const parts: string[] = [];
    for (const notification of ['signin', 'authorize', 'transfer', 'cancel']) {
      const counts = [...this.attempts].filter(([key]) => key.startsWith(`${notification}:`)).map(([, n]) => n);
      const tries = counts.reduce((a, b) => a + b, 0);
      parts.push(`${notification} ${counts.length} sent, ${tries} tries (${tries - counts.length} retries)`);
    }
    return parts.join('; ');
  }

  close(): Promise<void> {
    return this.receiver.close();
  }
}

export interface OneClickSetup {
  client: TestClient;
  accountId: string;
  operator: TestOperator;
}

/** A merchant client configured as a 1-Click operator: redirect URI at its backend, an EUR account, the notification endpoint. */
export async function oneClickOperator(server: TestServer, name = 'Casino'): Promise<OneClickSetup> {
  let secret = '';
  const operator = await TestOperator.start(() => secret);
  const client = await server.client(MERCHANT_SCOPES, name, { redirectUris: [operator.callback] });
  secret = client.webhookSecret;
  const accountId = await openAccount(server, client, 'EUR', `${name} till`);
  const data = await server.ok(client.token, `mutation($input: OneClickOperatorInput!) { setOneClickOperator(input: $input) { operator { baseUrl pathPrefix } userErrors { code field } } }`, {
    input: { baseUrl: operator.receiver.base, pathPrefix: '/api' },
  });
  assert.deepEqual(data.setOneClickOperator.userErrors, []);
  return { client, accountId, operator };
}

export function authorizeUrl(server: TestServer, setup: OneClickSetup, params: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: setup.client.id,
    redirect_uri: setup.operator.callback,
    identity_provider: 'sandbox-bankid',
    amount: '100.50',
    currency: 'EUR',
    state: 'st-1',
    ...params,
  });
  return `${server.url}/oauth/authorize?${query}`;
}

export type Stop =
  /** A page with a form the person must answer (the identity provider's). */
  | { kind: 'page'; url: string; html: string }
  /** The waiting page: the operator has not answered yet. */
  | { kind: 'waiting'; url: string }
  /** The browser arrived at the operator's redirect URI (not fetched). */
  | { kind: 'callback'; url: URL };

/** Follows redirects and meta refreshes as a browser would, until a form, a wait or the operator's redirect URI. */
export async function walk(start: string, callback: string): Promise<Stop> {
  let url = start;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(callback)) return { kind: 'callback', url: new URL(url) };
    const response = await fetch(url, { redirect: 'manual' });
    if (response.status >= 300 && response.status < 400) {
      url = new URL(response.headers.get('location')!, url).toString();
      continue;
    }
    const html = await response.text();
    assert.equal(response.status, 200, `${url}: ${response.status} ${html.slice(0, 300)}`);
    const refresh = /<meta http-equiv="refresh" content="(\d+);url=([^"]+)">/.exec(html);
    if (refresh) {
      const target = new URL(refresh[2].replace(/&amp;/g, '&'), url).toString();
      if (refresh[1] !== '0') return { kind: 'waiting', url: target };
      url = target;
      continue;
    }
    return { kind: 'page', url, html };
  }
  throw new Error('too many hops');
}

/** Submits the page's form with these fields, then walks on. */
export async function submit(page: Stop, fields: Record<string, string>, callback: string): Promise<Stop> {
  assert.equal(page.kind, 'page');
  const { url, html } = page as Extract<Stop, { kind: 'page' }>;
  const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
  assert.ok(action, `no form on ${url}`);
  const response = await fetch(new URL(action, url), { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
  assert.ok(response.status === 303, `form answered ${response.status}`);
  return walk(new URL(response.headers.get('location')!, url).toString(), callback);
}

/** authorize (JSON, as iframe=true) → identity provider → approve as `identity` → pay from `account` or cancel. */
export async function runDeposit(
  server: TestServer,
  setup: OneClickSetup,
  options: { identity?: string; decision?: 'approve' | 'deny'; pay?: 'pay' | 'cancel'; account?: string; params?: Record<string, string> } = {},
): Promise<{ paymentId: string; statusUrl: string; stop: Stop; afterIdentity: Stop }> {
  const response = await fetch(authorizeUrl(server, setup, options.params));
  const json = (await response.json()) as any;
  assert.equal(response.status, 200, JSON.stringify(json));
  assert.equal(json.success, true);
  assert.equal(json.redirectOutput.container, 'iframe');
  const page = await walk(json.redirectOutput.url, setup.operator.callback);
  const afterIdentity = await submit(page, { identity: options.identity ?? 'astrid', decision: options.decision ?? 'approve' }, setup.operator.callback);
  let stop = afterIdentity;
  if (stop.kind === 'page' && options.pay !== undefined) {
    stop = await submit(stop, { account: options.account ?? 'swedbank', decision: options.pay }, setup.operator.callback);
  }
  return { paymentId: json.txId, statusUrl: json.links.statusUrl, stop, afterIdentity };
}

export function basic(client: TestClient): string {
  return `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
}

/** The token request as the 1-Click API's example sends it: parameters in the query, HTTP Basic. */
export async function exchange(server: TestServer, client: TestClient, code: string, redirectUri: string) {
  const query = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri });
  const response = await fetch(`${server.url}/oauth/token?${query}`, { method: 'POST', headers: { authorization: basic(client) } });
  return { status: response.status, json: (await response.json()) as any };
}

export const DEPOSIT_QUERY = `query($id: ID!) { deposit(id: $id) { id state unifiedState amount { formatted assetCode } userId kycProfileId error errorDescription errCode errMsg pspRefId maskedAccount
  notifications { notification state tries lastError success errCode } } }`;

export async function deposit(server: TestServer, client: TestClient, id: string) {
  return (await server.ok(client.token, DEPOSIT_QUERY, { id })).deposit;
}

export async function assertLedgerBalanced(server: TestServer): Promise<void> {
  const operator = await server.operator();
  for (const asset of await ledgerReport(server, operator)) {
    assert.equal(asset.postedSum, '0', `${asset.assetCode} does not sum to zero`);
    assert.equal(asset.driftingAccounts, 0);
  }
}
