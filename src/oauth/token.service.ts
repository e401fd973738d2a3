import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { RevocationChannel, TokenRevocation } from '../events/pubsub';
import type { Database, Tx } from '../persistence/database';
import { systemClock, type Clock } from '../shared/clock';
import { newId, newSecret, sha256 } from '../shared/ids';
import { AccessToken } from './access-token.entity';
import { Client } from './client.entity';
import { ALL_SCOPES, PAYMENT_BOUND_SCOPES, parseScope } from './scopes';

export const ACCESS_TOKEN_TTL_SECONDS = 3600;

/**
 * OAuth2 errors as RFC 6749 names them: the token endpoint's (§5.2) and the authorization endpoint's
 * (§4.1.2.1, sent back in the redirect). Routes map them to their HTTP status.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}

/** The caller of an API request, as its bearer token says. */
export interface Caller {
  clientId: string;
  /** The payer the client acts for, when the token came from a payer's consent. */
  userId: string | null;
  scopes: ReadonlySet<string>;
  tokenId: string;
  expiresAt: Date;
  /** A payment-scoped token: the one payment it may see and act on; null for any other token. */
  paymentId: string | null;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

export interface NewAccessToken {
  clientId: string;
  userId: string | null;
  scopes: readonly string[];
  ttlSeconds: number;
  familyId: string | null;
  /** Binds the token to one payment (payment-scoped token). */
  paymentId?: string | null;
}

export interface NewClient {
  id?: string;
  name: string;
  scopes: readonly string[];
  secret?: string;
  verified?: boolean;
  redirectUris?: readonly string[];
  isPublic?: boolean;
}

/** RFC 6749 §3.1.2: a redirect URI is absolute and has no fragment. */
function checkRedirectUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new Error(`redirect URI is not an absolute URI: ${uri}`);
  }
  if (url.hash || uri.includes('#')) throw new Error(`redirect URI has a fragment: ${uri}`);
}

export interface TokenServiceOptions {
  /** How long a resolved token is believed without the database (TOKEN_CACHE_MS); revocations evict at once. */
  cacheMs?: number;
  /** Where revocations are announced to every instance, and heard from them. */
  revocations?: RevocationChannel;
  onError?: (error: unknown, what: string) => void;
}

/** Why a watched token stopped working. */
export type TokenEnd = 'expired' | 'revoked';

interface CachedToken {
  caller: Caller;
  /** performance.now() after which the database is asked again. */
  until: number;
}

interface Watch {
  caller: Caller;
  end: (why: TokenEnd) => void;
  timer: NodeJS.Timeout;
}

/** Tokens one instance keeps resolved; beyond them the oldest is dropped. */
const MAX_CACHED_TOKENS = 10_000;
/** How long a revocation is remembered in memory; after it the database (and token expiry) answer. */
const REVOCATION_MEMORY_MS = 10 * 60_000;
/** Backstop against a lost revocation message: watched tokens are looked up this often, in one statement. */
const SWEEP_MS = 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export class TokenService {
  private readonly cacheMs: number;
  private readonly cache = new Map<string, CachedToken>();
  /** The consent a resolved token descends from (null for client-credentials and payment-scoped tokens). */
  private readonly families = new WeakMap<Caller, string | null>();
  private readonly revokedTokens = new Map<string, number>();
  private readonly revokedFamilies = new Map<string, number>();
  private readonly watches = new Set<Watch>();
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock = systemClock,
    private readonly options: TokenServiceOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 1000;
    options.revocations?.listen((revocation) => this.forget(revocation));
  }

  /**
   * Registers a client; returns the secret in clear once, as only its hash is kept, and the key that
   * signs its webhooks.
   */
  async createClient(input: NewClient): Promise<{ client: Client; secret: string; webhookSecret: string }> {
    const secret = input.secret ?? newSecret('pgs');
    const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const unknown = input.scopes.filter((s) => !ALL_SCOPES.includes(s));
    if (unknown.length) throw new Error(`unknown scopes: ${unknown.join(', ')}`);
    for (const uri of input.redirectUris ?? []) checkRedirectUri(uri);
    const client = await this.db.transaction(async (tx) =>
      tx.em.create(Client, {
        id: input.id ?? newId('cli'),
        name: input.name,
        secretHash: sha256(secret),
        scopes: [...input.scopes],
        verified: input.verified ?? false,
        redirectUris: [...(input.redirectUris ?? [])],
        isPublic: input.isPublic ?? false,
        webhookSecret,
        createdAt: this.clock.now(),
      }),
    );
    return { client, secret, webhookSecret };
  }

  async findClient(id: string): Promise<Client | null> {
    // Only ids that could be ours reach the database (a NUL byte would make the driver fail).
    if (!/^[\x21-\x7e]{1,64}$/.test(id)) return null;
    return this.db.reader().findOne(Client, { id });
  }

  /**
   * Checks a client's credentials in constant time; an unknown client costs the same as a wrong
   * secret. Without a secret (`null`) only a public client passes: it proves nothing but its id,
   * which is why its grants need PKCE.
   */
  async authenticateClient(clientId: string, secret: string | null): Promise<Client> {
    const found = await this.findClient(clientId);
    // A disabled client authenticates as an unknown one would: it gets no new token.
    const client = found?.disabledAt ? null : found;
    if (secret === null) {
      if (!client?.isPublic) throw new OAuthError('invalid_client', 'Client authentication failed.');
      return client;
    }
    const given = Buffer.from(sha256(secret), 'hex');
    const current = timingSafeEqual(Buffer.from(client?.secretHash ?? sha256(`absent:${clientId}`), 'hex'), given);
    // During a rotation's overlap the previous secret works too.
    const overlap = !!client?.previousSecretHash && !!client.previousSecretUntil && client.previousSecretUntil.getTime() > this.clock.now().getTime();
    const previous = timingSafeEqual(Buffer.from(overlap ? client!.previousSecretHash! : sha256(`absent:${clientId}`), 'hex'), given) && overlap;
    if (!(current || previous) || !client) throw new OAuthError('invalid_client', 'Client authentication failed.');
    return client;
  }

  /** RFC 6749 §4.4: a client acting for itself. No refresh token is issued. */
  async clientCredentials(client: Client, requestedScope: string | undefined): Promise<IssuedToken> {
    if (client.isPublic) throw new OAuthError('unauthorized_client', 'A public client cannot use client credentials.');
    const scopes = requestedScope?.trim() ? parseScope(requestedScope) : client.scopes;
    const bound = scopes.filter((s) => (PAYMENT_BOUND_SCOPES as readonly string[]).includes(s));
    if (bound.length) throw new OAuthError('invalid_scope', `${bound.join(' ')} is only granted bound to one payment (payment-scoped token).`);
    const refused = scopes.filter((s) => !client.scopes.includes(s));
    if (refused.length) throw new OAuthError('invalid_scope', `The client may not ask for: ${refused.join(' ')}.`);
    const accessToken = await this.db.transaction(async (tx) =>
      this.issueAccessToken(tx, { clientId: client.id, userId: null, scopes, ttlSeconds: ACCESS_TOKEN_TTL_SECONDS, familyId: null }),
    );
    return { accessToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS, scope: scopes.join(' ') };
  }

  /** Writes a new access token in `tx`; returns it in clear, the one time it exists so. */
  issueAccessToken(tx: Tx, token: NewAccessToken): string {
    const accessToken = newSecret('pgat');
    const now = this.clock.now();
    tx.em.create(AccessToken, {
      id: newId('tok'),
      tokenHash: sha256(accessToken),
      clientId: token.clientId,
      userId: token.userId,
      familyId: token.familyId,
      paymentId: token.paymentId ?? null,
      scopes: [...token.scopes],
      expiresAt: new Date(now.getTime() + token.ttlSeconds * 1000),
      revokedAt: null,
      createdAt: now,
    });
    return accessToken;
  }

  /**
   * Resolves a bearer token to its caller, or null when it is unknown, expired or revoked. A token
   * resolved in the last `cacheMs` is answered from memory; expiry and revocation are checked in
   * memory on every call.
   */
  async authenticate(bearer: string): Promise<Caller | null> {
    if (!bearer || bearer.length > 200) return null;
    const tokenHash = sha256(bearer);
    const cached = this.cache.get(tokenHash);
    if (cached && cached.until > performance.now()) return this.usable(cached.caller) ? cached.caller : null;
    const token = await this.db.reader().findOne(AccessToken, { tokenHash });
    if (!token || token.revokedAt || token.expiresAt.getTime() <= this.clock.now().getTime()) {
      this.cache.delete(tokenHash);
      return null;
    }
    const caller: Caller = { clientId: token.clientId, userId: token.userId, scopes: new Set(token.scopes), tokenId: token.id, expiresAt: token.expiresAt, paymentId: token.paymentId };
    this.families.set(caller, token.familyId);
    // A revocation heard while the row was read must not be undone by caching what was read.
    if (!this.usable(caller)) return null;
    this.cache.delete(tokenHash);
    this.cache.set(tokenHash, { caller, until: performance.now() + this.cacheMs });
    if (this.cache.size > MAX_CACHED_TOKENS) this.cache.delete(this.cache.keys().next().value!);
    return caller;
  }

  /** Whether a caller's token is still good, for long-lived subscriptions: answered from memory. */
  stillValid(caller: Caller): boolean {
    return this.usable(caller);
  }

  private usable(caller: Caller): boolean {
    if (caller.expiresAt.getTime() <= this.clock.now().getTime()) return false;
    if (this.revokedTokens.has(caller.tokenId)) return false;
    const familyId = this.families.get(caller);
    return !(familyId && this.revokedFamilies.has(familyId));
  }

  /**
   * After a commit that revoked tokens: this instance forgets them at once, and every other one
   * when the message reaches it (the sweep is the backstop for a lost message).
   */
  async announceRevocation(revocation: TokenRevocation): Promise<void> {
    if (!revocation.tokenIds.length && !revocation.familyIds.length) return;
    this.forget(revocation);
    try {
      await this.options.revocations?.publish(revocation);
    } catch (error) {
      this.options.onError?.(error, 'publishing a token revocation');
    }
  }

  private forget(revocation: TokenRevocation): void {
    const now = performance.now();
    for (const id of revocation.tokenIds) this.revokedTokens.set(id, now);
    for (const id of revocation.familyIds) this.revokedFamilies.set(id, now);
    for (const [hash, entry] of this.cache) if (!this.usable(entry.caller)) this.cache.delete(hash);
    for (const watch of this.watches) if (!this.usable(watch.caller)) this.endWatch(watch, 'revoked');
  }

  /**
   * Calls `end` once, when the caller's token expires (a timer at its expiry) or is revoked (a
   * revocation message or the sweep); returns the function that stops watching.
   */
  watch(caller: Caller, end: (why: TokenEnd) => void): () => void {
    const left = Math.min(MAX_TIMER_MS, Math.max(0, caller.expiresAt.getTime() - this.clock.now().getTime()));
    const watch: Watch = { caller, end, timer: setTimeout(() => this.sweepExpired(), left + 1) };
    watch.timer.unref();
    this.watches.add(watch);
    return () => {
      clearTimeout(watch.timer);
      this.watches.delete(watch);
    };
  }

  private endWatch(watch: Watch, why: TokenEnd): void {
    if (!this.watches.delete(watch)) return;
    clearTimeout(watch.timer);
    watch.end(why);
  }

  private sweepExpired(): void {
    const now = this.clock.now().getTime();
    for (const watch of this.watches) if (watch.caller.expiresAt.getTime() <= now) this.endWatch(watch, 'expired');
  }

  /** Starts the once-a-second backstop: the watched tokens' revocations, in one statement. */
  start(): void {
    this.sweeper ??= setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const watch of this.watches) clearTimeout(watch.timer);
    this.watches.clear();
  }

  private async sweep(): Promise<void> {
    this.sweepExpired();
    const forgetBefore = performance.now() - REVOCATION_MEMORY_MS;
    for (const revoked of [this.revokedTokens, this.revokedFamilies]) {
      for (const [id, at] of revoked) if (at < forgetBefore) revoked.delete(id);
    }
    const tokenIds = [...new Set([...this.watches].map((w) => w.caller.tokenId))];
    if (!tokenIds.length || this.sweeping) return;
    this.sweeping = true;
    try {
      const revoked = await this.db.reader().find(AccessToken, { id: { $in: tokenIds }, revokedAt: { $ne: null } }, { fields: ['id'] });
      if (revoked.length) this.forget({ tokenIds: revoked.map((t) => t.id), familyIds: [] });
    } catch (error) {
      this.options.onError?.(error, 'checking watched tokens');
    } finally {
      this.sweeping = false;
    }
  }
}
