/**
 * A small operator backend for the 1-Click flow (`npm run demo:one-click-operator`): it answers
 * Paygrid's signed signin, authorize, transfer and cancel notifications, keeps its players'
 * balances, and exchanges the one-time code of the redirect for a token. Each notification is
 * idempotent on its txId, as PaymentIQ's reference operator is: a repeated authorize returns the same
 * authCode, a repeated transfer books nothing twice.
 *
 *   CLIENT_ID=demo-merchant CLIENT_SECRET=demo-merchant-secret WEBHOOK_SECRET=whsec_… npm run demo:one-click-operator
 *
 * It listens on 127.0.0.1:8080 (PORT), the demo merchant's registered redirect URI being
 * http://127.0.0.1:8080/callback, and talks to Paygrid at PAYGRID_URL (http://127.0.0.1:4000).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';

type Body = Record<string, unknown>;

interface Player {
  userId: string;
  personid: string;
  /** Minor units would need the currency's scale; the demo keeps the decimal strings it is sent. */
  balance: number;
  currency: string | null;
}

interface OperatorTx {
  txId: string;
  userId: string;
  amount: string;
  authCode: string;
  state: 'PENDING' | 'APPROVED' | 'CANCELED';
  merchantTxId: string;
}

/** The operator's own books: players by national id, transactions by Paygrid's txId. */
export class OperatorBooks {
  readonly players = new Map<string, Player>();
  readonly transactions = new Map<string, OperatorTx>();
  /** Players the operator refuses at signin (e.g. self-excluded), by national id. */
  readonly blocked = new Set<string>();

  handle(notification: string, body: Body): Body {
    switch (notification) {
      case 'signin':
        return this.signin(body);
      case 'authorize':
        return this.authorize(body);
      case 'transfer':
        return this.transfer(body);
      case 'cancel':
        return this.cancel(body);
      default:
        return { success: false, errCode: '404', errMsg: `unknown notification ${notification}` };
    }
  }

  private signin(body: Body): Body {
    const personid = String(body.personid ?? '');
    if (this.blocked.has(personid)) return { success: false, errCode: '210003', errMsg: 'Invalid user' };
    let player = this.players.get(personid);
    if (!player) {
      player = { userId: `player-${this.players.size + 1}`, personid, balance: 0, currency: null };
      this.players.set(personid, player);
    }
    return { userId: player.userId, success: true, sessionId: `sess-${player.userId}`, balance: player.balance.toFixed(2), balanceCy: player.currency ?? 'EUR' };
  }

  private authorize(body: Body): Body {
    const txId = String(body.txId);
    const known = this.transactions.get(txId);
    if (known) return { userId: known.userId, success: true, authCode: known.authCode, merchantTxId: known.merchantTxId };
    const tx: OperatorTx = { txId, userId: String(body.userId), amount: String(body.txAmount), authCode: randomUUID(), state: 'PENDING', merchantTxId: `m-${this.transactions.size + 1}` };
    this.transactions.set(txId, tx);
    return { userId: tx.userId, success: true, authCode: tx.authCode, merchantTxId: tx.merchantTxId };
  }

  /** Always accepted, even without an authorize (PaymentIQ: the provider already moved the money). */
  private transfer(body: Body): Body {
    const txId = String(body.txId);
    let tx = this.transactions.get(txId);
    if (!tx) {
      tx = { txId, userId: String(body.userId), amount: String(body.txAmount), authCode: String(body.authCode ?? ''), state: 'PENDING', merchantTxId: `m-${this.transactions.size + 1}` };
      this.transactions.set(txId, tx);
    }
    if (tx.state !== 'APPROVED') {
      tx.state = 'APPROVED';
      const player = [...this.players.values()].find((p) => p.userId === tx!.userId);
      if (player) {
        player.balance += Number(body.txAmount);
        player.currency = String(body.txAmountCy);
      }
    }
    return { userId: tx.userId, success: true, txId, merchantTxId: tx.merchantTxId };
  }

  private cancel(body: Body): Body {
    const tx = this.transactions.get(String(body.txId));
    if (tx?.state === 'APPROVED') return { userId: tx.userId, success: false, errCode: '409', errMsg: 'already transferred' };
    if (tx) tx.state = 'CANCELED';
    return { userId: String(body.userId ?? tx?.userId ?? ''), success: true };
  }
}

/**
 * Checks the Standard Webhooks signature Paygrid puts on every notification (the client's webhook
 * secret). `freshOnly` also refuses a timestamp more than five minutes from now, against replays;
 * a test whose clock was moved ahead checks the signature alone.
 */
export function verifySignature(secret: string, raw: string, headers: IncomingMessage['headers'], freshOnly = true): boolean {
  const id = String(headers['webhook-id']);
  const timestamp = String(headers['webhook-timestamp']);
  const signature = String(headers['webhook-signature']);
  try {
    if (freshOnly) {
      new Webhook(secret).verify(raw, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature });
      return true;
    }
    const expected = new Webhook(secret).sign(id, new Date(Number(timestamp) * 1000), raw);
    return signature.split(' ').includes(expected);
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const paygrid = process.env.PAYGRID_URL ?? 'http://127.0.0.1:4000';
  const { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret, WEBHOOK_SECRET: secret } = process.env;
  if (!clientId || !clientSecret || !secret) throw new Error('Set CLIENT_ID, CLIENT_SECRET and WEBHOOK_SECRET (see the README).');
  const port = Number(process.env.PORT ?? 8080);
  const books = new OperatorBooks();
  const send = (response: ServerResponse, status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body, null, 2));

  createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', async () => {
      const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
      const raw = Buffer.concat(chunks).toString('utf8');
      const notification = /^\/api\/(signin|authorize|transfer|cancel)$/.exec(url.pathname)?.[1];
      if (request.method === 'POST' && notification) {
        if (!verifySignature(secret, raw, request.headers)) return send(response, 401, { success: false, errMsg: 'bad signature' });
        const answer = books.handle(notification, JSON.parse(raw) as Body);
        console.log(`${notification} ${String((JSON.parse(raw) as Body).txId ?? (JSON.parse(raw) as Body).txRefId)} → ${JSON.stringify(answer)}`);
        return send(response, 200, answer);
      }
      if (request.method === 'GET' && url.pathname === '/callback') {
        const code = url.searchParams.get('code');
        if (!code) return send(response, 200, { error: Object.fromEntries(url.searchParams) });
        const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
        const redirectUri = `http://127.0.0.1:${port}/callback`;
        const token = await fetch(`${paygrid}/oauth/token?${new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri })}`, {
          method: 'POST',
          headers: { authorization: basic },
        }).then((r) => r.json() as Promise<Body>);
        const checked = await fetch(`${paygrid}/oauth/check_token?token=${encodeURIComponent(String(token.access_token))}`, { headers: { authorization: basic } }).then((r) => r.json());
        return send(response, 200, { token, checked, players: [...books.players.values()] });
      }
      send(response, 404, { error: 'not found' });
    });
  }).listen(port, '127.0.0.1', () => console.log(`operator backend on http://127.0.0.1:${port} (notifications under /api, redirect URI /callback)`));
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
