import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateJwk } from '@interledger/http-signature-utils';
import { createAuthenticatedClient, isFinalizedGrant, isPendingGrant } from '@interledger/open-payments';
import { DEMO_MERCHANT, DEMO_PAYER } from './demo-data';

/**
 * The Open Payments walk-through of the README, run against `npm start` (PAYGRID_URL, default
 * http://127.0.0.1:4000): the demo merchant's wallet address plays the client wallet with the
 * official client. It registers a fresh key through GraphQL, creates an incoming payment on its own
 * wallet address, quotes paying it from the demo payer's wallet, gets the payer's consent with plain
 * form posts (as the demo payer), pays, reads the spent amounts, rotates and revokes a token,
 * cancels the grant, and revokes its key. Every response is printed.
 */

const BASE = (process.env.PAYGRID_URL ?? 'http://127.0.0.1:4000').replace(/\/+$/, '');
const EUR = (value: string) => ({ value, assetCode: 'EUR', assetScale: 2 });

function show(step: string, value: unknown): void {
  console.log(`\n== ${step}\n${JSON.stringify(value, null, 2)}`);
}

async function graphql(token: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await response.json()) as { data?: any; errors?: unknown };
  if (json.errors) throw new Error(`GraphQL: ${JSON.stringify(json.errors)}`);
  return json.data;
}

/** The payer's browser, by form posts: a cookie jar, redirects followed by hand. */
class Browser {
  private readonly cookies = new Map<string, string>();

  async request(url: string, form?: Record<string, string>): Promise<{ status: number; location: string | null; text: string }> {
    const response = await fetch(new URL(url, BASE), {
      method: form ? 'POST' : 'GET',
      body: form ? new URLSearchParams(form) : undefined,
      redirect: 'manual',
      headers: { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1));
    }
    const location = response.headers.get('location');
    return { status: response.status, location: location && new URL(location, url.startsWith('http') ? url : BASE).toString(), text: await response.text() };
  }

  /** The fields of the form posting to a path starting with `prefix`. */
  static form(html: string, prefix: string): { action: string; fields: Record<string, string> } {
    for (const match of html.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)) {
      const action = match[1].replace(/&amp;/g, '&');
      if (!action.startsWith(prefix)) continue;
      const fields: Record<string, string> = {};
      for (const input of match[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[input[1]] = input[2].replace(/&amp;/g, '&');
      return { action, fields };
    }
    throw new Error(`no form to ${prefix} on the page`);
  }
}

/** Opens the interaction, logs in as the demo payer, approves; returns the finish URL the AS redirects to. */
async function approveAsDemoPayer(redirect: string): Promise<URL> {
  const browser = new Browser();
  let page = await browser.request(redirect);
  for (let hops = 0; page.location && hops < 5; hops++) {
    const at = page.location;
    page = await browser.request(at);
    if (page.status === 200 && page.text.includes('action="/login')) {
      const login = Browser.form(page.text, '/login');
      const done = await browser.request(login.action, { ...login.fields, username: DEMO_PAYER.username, password: DEMO_PAYER.password });
      page = await browser.request(done.location!);
    }
  }
  const consent = Browser.form(page.text, '/gnap/');
  const answer = await browser.request(consent.action, { ...consent.fields, decision: 'approve' });
  if (!answer.location) throw new Error(`the consent page answered ${answer.status}`);
  return new URL(answer.location);
}

async function main(): Promise<void> {
  const tokenResponse = await fetch(`${BASE}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${DEMO_MERCHANT.id}:${DEMO_MERCHANT.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  const merchantToken = ((await tokenResponse.json()) as { access_token: string }).access_token;
  const clientWallet = `${BASE}/wallet/demo-merchant`;
  const payerWallet = `${BASE}/wallet/demo-payer`;

  // 1. The client's key, registered on the demo merchant's wallet address through GraphQL.
  const { privateKey } = generateKeyPairSync('ed25519');
  const keyId = `walkthrough-${Date.now()}`;
  const walletAddresses = await graphql(merchantToken, `{ walletAddresses(first: 100) { nodes { id url } } }`);
  const walletAddressId = walletAddresses.walletAddresses.nodes.find((n: { url: string }) => n.url === clientWallet).id;
  const added = await graphql(merchantToken, `mutation($input: AddWalletAddressKeyInput!) { addWalletAddressKey(input: $input) { key { kid } userErrors { code field } } }`, {
    input: { walletAddressId, jwk: generateJwk({ privateKey, keyId }) },
  });
  show('addWalletAddressKey (GraphQL)', added.addWalletAddressKey);
  const client = await createAuthenticatedClient({ walletAddressUrl: clientWallet, privateKey, keyId, validateResponses: true });

  // 2. Both wallet addresses.
  const receiverWallet = await client.walletAddress.get({ url: clientWallet });
  show('walletAddress.get demo-merchant', receiverWallet);
  const senderWallet = await client.walletAddress.get({ url: payerWallet });
  show('walletAddress.get demo-payer', senderWallet);

  // 3. An incoming payment on the merchant's wallet address, under a non-interactive grant.
  const incomingGrant = await client.grant.request({ url: receiverWallet.authServer }, { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read', 'list', 'complete'] }] } });
  show('grant.request incoming-payment', incomingGrant);
  if (!isFinalizedGrant(incomingGrant)) throw new Error('expected a non-interactive grant');
  const incomingToken = incomingGrant.access_token!.value;
  const incoming = await client.incomingPayment.create(
    { url: receiverWallet.resourceServer, accessToken: incomingToken },
    { walletAddress: clientWallet, incomingAmount: EUR('500'), metadata: { description: 'Walk-through invoice' } },
  );
  show('incomingPayment.create', incoming);
  show('incomingPayment.get', await client.incomingPayment.get({ url: incoming.id, accessToken: incomingToken }));
  show('incomingPayment.getPublic', await client.incomingPayment.getPublic({ url: incoming.id }));
  show('incomingPayment.list', await client.incomingPayment.list({ url: receiverWallet.resourceServer, walletAddress: clientWallet, accessToken: incomingToken }, { first: 3 } as never));

  // 4. A quote from the payer's wallet address.
  const quoteGrant = await client.grant.request({ url: senderWallet.authServer }, { access_token: { access: [{ type: 'quote', actions: ['create', 'read'] }] } });
  show('grant.request quote', quoteGrant);
  if (!isFinalizedGrant(quoteGrant)) throw new Error('expected a non-interactive grant');
  const quote = await client.quote.create({ url: senderWallet.resourceServer, accessToken: quoteGrant.access_token!.value }, { walletAddress: payerWallet, receiver: incoming.id, method: 'ilp' });
  show('quote.create', quote);
  show('quote.get', await client.quote.get({ url: quote.id, accessToken: quoteGrant.access_token!.value }));

  // 5. The payer's consent for an outgoing payment, by form posts as the demo payer.
  const nonce = randomBytes(16).toString('base64url');
  const pending = await client.grant.request(
    { url: senderWallet.authServer },
    {
      access_token: { access: [{ type: 'outgoing-payment', actions: ['create', 'read', 'list'], identifier: payerWallet, limits: { debitAmount: EUR('2000') } }] },
      interact: { start: ['redirect'], finish: { method: 'redirect', uri: 'http://127.0.0.1:8080/return', nonce } },
    },
  );
  show('grant.request outgoing-payment (interactive)', pending);
  if (!isPendingGrant(pending)) throw new Error('expected an interactive grant');
  const finish = await approveAsDemoPayer(pending.interact.redirect);
  show('consent approved: the browser is sent to', finish.toString());
  const interactRef = finish.searchParams.get('interact_ref')!;
  const expected = createHash('sha256').update(`${nonce}\n${pending.interact.finish}\n${interactRef}\n${senderWallet.authServer}`).digest('base64url');
  show('finish hash verified', { hash: finish.searchParams.get('hash'), expected, ok: finish.searchParams.get('hash') === expected });
  if (finish.searchParams.get('hash') !== expected) throw new Error('the finish hash does not verify');
  await sleep((pending.continue.wait ?? 0) * 1000);
  const outgoingGrant = await client.grant.continue({ url: pending.continue.uri, accessToken: pending.continue.access_token.value }, { interact_ref: interactRef });
  show('grant.continue', outgoingGrant);
  if (!isFinalizedGrant(outgoingGrant)) throw new Error('expected an access token');
  const outgoingToken = outgoingGrant.access_token!.value;

  // 6. The payment, its reads, and what the grant spent.
  const payment = await client.outgoingPayment.create({ url: senderWallet.resourceServer, accessToken: outgoingToken }, { walletAddress: payerWallet, quoteId: quote.id });
  show('outgoingPayment.create', payment);
  show('outgoingPayment.get', await client.outgoingPayment.get({ url: payment.id, accessToken: outgoingToken }));
  show('outgoingPayment.list', await client.outgoingPayment.list({ url: senderWallet.resourceServer, walletAddress: payerWallet, accessToken: outgoingToken }, { first: 3 } as never));
  show('outgoingPayment.getGrantSpentAmounts', await client.outgoingPayment.getGrantSpentAmounts({ url: senderWallet.resourceServer, accessToken: outgoingToken }));
  show('incomingPayment.get (paid)', await client.incomingPayment.get({ url: incoming.id, accessToken: incomingToken }));

  // 7. Token and grant management, then the key is revoked.
  const rotated = await client.token.rotate({ url: incomingGrant.access_token!.manage, accessToken: incomingToken });
  show('token.rotate', rotated);
  await client.token.revoke({ url: rotated.access_token.manage, accessToken: rotated.access_token.value });
  show('token.revoke', '204');
  await client.grant.cancel({ url: outgoingGrant.continue.uri, accessToken: outgoingGrant.continue.access_token.value });
  show('grant.cancel', '204');
  const revoked = await graphql(merchantToken, `mutation($input: RevokeWalletAddressKeyInput!) { revokeWalletAddressKey(input: $input) { key { kid revokedAt } userErrors { code } } }`, {
    input: { walletAddressId, kid: keyId },
  });
  show('revokeWalletAddressKey (GraphQL)', revoked.revokeWalletAddressKey);
}

main().catch((error) => {
  console.error('walk-through failed:', error?.status ?? '', error?.code ?? '', error?.description ?? error);
  process.exit(1);
});
