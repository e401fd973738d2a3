import { createHash, generateKeyPairSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticatedClient, type AuthenticatedClient } from '@interledger/open-payments';
import { generateJwk, type JWK } from '@interledger/http-signature-utils';

/**
 * An Open Payments client as another wallet runs it: a loopback wallet address server
 * (`GET /client`, `GET /client/jwks.json`) publishing an Ed25519 key, and the official client
 * (@interledger/open-payments) signing with it, validating every response against the bundled specs.
 */
export interface OpenPaymentsTestClient {
  /** The client's wallet address URL (its identity in grant requests). */
  walletAddressUrl: string;
  keyId: string;
  privateKey: KeyObject;
  jwk: JWK;
  client: AuthenticatedClient;
  /** Publishes other keys instead (e.g. none, to test a key missing from the JWKS). */
  setPublishedKeys(keys: JWK[]): void;
  close(): Promise<void>;
}

export interface ClientOptions {
  /** Shown on consent pages; the AS refuses interactive grants without it. */
  publicName?: string | null;
  keyId?: string;
}

export async function startOpenPaymentsClient(options: ClientOptions = {}): Promise<OpenPaymentsTestClient> {
  const keyId = options.keyId ?? `key-${Math.random().toString(36).slice(2, 10)}`;
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = generateJwk({ privateKey, keyId });
  let published: JWK[] = [jwk];
  let base = '';
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/client') {
      const doc: Record<string, unknown> = { id: `${base}/client`, assetCode: 'EUR', assetScale: 2, authServer: `${base}/auth`, resourceServer: `${base}/rs` };
      if (options.publicName !== null) doc.publicName = options.publicName ?? 'Test Wallet App';
      return send(200, doc);
    }
    if (req.url === '/client/jwks.json') return send(200, { keys: published });
    send(404, { error: { code: 'not_found', description: 'no' } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const walletAddressUrl = `${base}/client`;
  const client = await createAuthenticatedClient({ walletAddressUrl, privateKey, keyId, validateResponses: true });
  return {
    walletAddressUrl,
    keyId,
    privateKey,
    jwk,
    client,
    setPublishedKeys: (keys) => {
      published = keys;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Checks the interaction finish hash as a client must (the official client does not): SHA-256 over
 * clientNonce, the AS's interact.finish nonce, interact_ref and the grant endpoint URL as POSTed,
 * joined by "\n". Paygrid emits base64url without padding; standard base64 (Rafiki's) is accepted too.
 */
export function verifyFinishHash(hash: string, clientNonce: string, asNonce: string, interactRef: string, authServerUrl: string): boolean {
  const digest = createHash('sha256').update(`${clientNonce}\n${asNonce}\n${interactRef}\n${authServerUrl}`).digest();
  for (const encoding of ['base64url', 'base64'] as const) {
    const expected = Buffer.from(digest.toString(encoding));
    const given = Buffer.from(hash);
    if (expected.length === given.length && timingSafeEqual(expected, given)) return true;
  }
  return false;
}
