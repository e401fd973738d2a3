import { createHash } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { createHeaders, getKeyId, validateSignature, validateSignatureHeaders, type RequestLike } from '@interledger/http-signature-utils';
import type { KeyLike } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../../persistence/database';
import type { Scheduler } from '../../jobs/scheduler';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { targetUri } from '../http/open-payments-scope';
import type { Ed25519Jwk } from '../wallet-addresses/wallet-address.entity';
import { SeenSignature } from './seen-signature.entity';

/** A request as the signature covers it: method, target URI, lower-cased headers, raw body. */
export interface SignedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export function signedRequestOf(request: FastifyRequest): SignedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
    else if (Array.isArray(value)) headers[name.toLowerCase()] = value.join(', ');
  }
  return { method: request.method, url: targetUri(request), headers, body: request.rawBody };
}

/** The kid of a request's signature, or null when it has none: whose keys to fetch before verifying. */
export function signatureKeyId(request: SignedRequest): string | null {
  const input = request.headers['signature-input'];
  return (input && getKeyId(input)) || null;
}

const SWEEP_JOB = 'open-payments.sweep-seen-signatures';
/** Sweeps run once per bucket of this width, each after the expiries it covers. */
const SWEEP_BUCKET_MS = 5 * 60_000;

export interface SignatureOptions {
  /** Largest distance, either way, between the signature's `created` and now (OP_SIGNATURE_WINDOW_SECONDS). */
  windowSeconds: number;
}

const refuse = (why: string) => new PaygridError(ErrorCode.SIGNATURE_INVALID, null, `The request signature is not valid: ${why}.`);

/**
 * RFC 9421 verification as Open Payments uses it (ed25519, label sig1), through
 * @interledger/http-signature-utils, plus what that library leaves out: a `created` within the
 * window, a body always covered by content-digest, the key chosen by its keyid, and each signature
 * of a request that may change something (any method but GET and HEAD) accepted once (kept in the
 * database until it would be stale anyway, so every instance refuses a replay).
 */
export class SignatureVerifier {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly options: SignatureOptions,
  ) {
    scheduler.register<{ before: string }>(SWEEP_JOB, async ({ before }) => {
      await this.sweep(new Date(before));
    });
  }

  /**
   * Checks the signature against the candidate keys; returns the key that signed. Throws
   * SIGNATURE_INVALID. `idempotent`: the request is safe to repeat by its own id (a peer transfer),
   * so a replay is answered as the first delivery rather than refused.
   */
  async verify(request: SignedRequest, keys: readonly Ed25519Jwk[], options: { idempotent?: boolean } = {}): Promise<Ed25519Jwk> {
    const like: RequestLike = { method: request.method, url: request.url, headers: request.headers, body: request.body };
    if (!request.headers['signature'] || !request.headers['signature-input']) throw refuse('the request is not signed (Signature and Signature-Input)');
    if (!validateSignatureHeaders(like)) {
      throw refuse('Signature-Input must cover @method, @target-uri, authorization when present, and a body through a matching content-digest');
    }
    const input = request.headers['signature-input'];
    const components = input.match(/^sig1=\(([^)]*)\)/)?.[1].split(' ').map((c) => c.replace(/"/g, '')) ?? [];
    if (request.body && !components.includes('content-digest')) throw refuse('a request with a body must cover content-digest');
    const created = Number(input.match(/;created=(\d+)/)?.[1]);
    if (!Number.isSafeInteger(created)) throw refuse('Signature-Input has no created time');
    const now = this.clock.now().getTime();
    if (Math.abs(now - created * 1000) > this.options.windowSeconds * 1000) throw refuse(`created is more than ${this.options.windowSeconds} seconds from now`);
    const keyId = getKeyId(input);
    const key = keyId ? keys.find((k) => k.kid === keyId) : undefined;
    if (!key) throw refuse('the keyid is not a key of the client');
    let valid: boolean;
    try {
      valid = await validateSignature(key, like);
    } catch {
      valid = false;
    }
    if (!valid) throw refuse('the signature does not verify with the client key');
    // Reads are not remembered: the official client signs an identical GET in the same second
    // identically (no nonce, whole seconds), and polling twice changes nothing. Every other method
    // is accepted once.
    if (request.method !== 'GET' && request.method !== 'HEAD' && !options.idempotent) await this.remember(`${keyId}\n${request.headers['signature']}`, new Date(created * 1000 + this.options.windowSeconds * 1000));
    return key;
  }

  /** Records a signature as used; a second use is a replay. */
  private async remember(signature: string, expiresAt: Date): Promise<void> {
    const hash = createHash('sha256').update(signature).digest('hex');
    const bucketEnd = Math.ceil(expiresAt.getTime() / SWEEP_BUCKET_MS) * SWEEP_BUCKET_MS;
    try {
      await this.db.transaction(async (tx) => {
        await tx.em.insert(SeenSignature, { hash, expiresAt });
        await this.scheduler.schedule(tx, { kind: SWEEP_JOB, key: String(bucketEnd), runAt: new Date(bucketEnd), payload: { before: new Date(bucketEnd).toISOString() } });
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw refuse('this signature was already used (replay)');
      throw error;
    }
  }

  async sweep(before: Date): Promise<number> {
    return this.db.reader().nativeDelete(SeenSignature, { expiresAt: { $lte: before } });
  }
}

/**
 * Signs a request as Paygrid acting as an Open Payments client: Content-Digest, Content-Length and
 * Content-Type for a body, Signature and Signature-Input covering @method, @target-uri,
 * authorization and the content headers (what the official client sends). Returns the headers to add.
 */
export async function signRequest(
  request: { method: string; url: string; headers?: Record<string, string>; body?: string },
  key: { privateKey: KeyLike; keyId: string },
): Promise<Record<string, string>> {
  const headers: Record<string, string> = { ...(request.headers ?? {}) };
  if (request.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const signed = await createHeaders({ request: { method: request.method, url: request.url, headers, body: request.body }, privateKey: key.privateKey, keyId: key.keyId });
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed)) if (typeof value === 'string') out[name.toLowerCase()] = value;
  return out;
}
