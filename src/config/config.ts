import { parseConfiguredRates, type ConfiguredRate } from '../providers/exchange-rates/rate';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl?: string;
  /** Keeps several deployments (or test runs) on one Redis apart. */
  redisPrefix: string;
  logLevel: string;
  /** Creates the demo clients and accounts on first start. */
  demoData: boolean;
  /**
   * The public base URL (`https://pay.example.com`): the OAuth issuer identifier and the base of
   * the endpoints in its metadata. Unset: the address the server listens on.
   */
  publicUrl?: string;
  /** Behind a TLS-terminating proxy: believe its X-Forwarded-* headers (https, client address). */
  trustProxy: boolean;
  /** How often each instance looks for due scheduled jobs. */
  schedulerPollMs: number;
  /**
   * How long a provider call's try (a bank, an identity provider, a peer transfer) is presumed alive
   * (PROVIDER_CALL_LEASE_SECONDS): past it, the scheduler sends it again with the same key. A try
   * waits at most half of it for its answer.
   */
  providerCallLeaseSeconds: number;
  /** Width of the first webhook retry window; each next window doubles (see src/jobs/backoff.ts). */
  webhookRetryBaseMs: number;
  /** Attempts per webhook delivery, the first included, before it is dead-lettered. */
  webhookMaxAttempts: number;
  /** Days after which a bank payment initiation with no final status expires (PAYMENT_EXPIRE_DAYS). */
  paymentExpireDays: number;
  /** Minutes an approved order holds the payer's funds before it lapses, uncaptured (ORDER_AUTHORIZATION_MINUTES). */
  orderAuthorizationMinutes: number;
  /** Minutes an authorized account payment holds the buyer's funds before it lapses, unexecuted (ACCOUNT_PAYMENT_AUTHORIZATION_MINUTES). */
  accountPaymentAuthorizationMinutes: number;
  /** How often lapsed authorizations are looked for and released (AUTHORIZATION_SWEEP_SECONDS). */
  authorizationSweepSeconds: number;
  /** Days a player's KYC data is kept after their last identification, then purged (KYC_RETENTION_DAYS). */
  kycRetentionDays: number;
  /** Minutes a 1-Click session may take before the player reaches the payment step (DEPOSIT_SESSION_MINUTES). */
  depositSessionMinutes: number;
  /** Password checks per username within the login window before further attempts get 429 (LOGIN_MAX_ATTEMPTS). */
  loginMaxAttempts: number;
  /** The login throttle's window, from the first attempt counted (LOGIN_WINDOW_MINUTES). */
  loginWindowMinutes: number;
  /** Password hashes one instance computes at once, 128 MiB each (PASSWORD_HASH_CONCURRENCY). */
  passwordHashConcurrency: number;
  /** Hashes that may wait for a slot; beyond them a login gets 503 (PASSWORD_HASH_QUEUE). */
  passwordHashQueue: number;
  /**
   * Webhooks and other outbound requests may go to loopback addresses (OUTBOUND_ALLOW_LOOPBACK), for
   * receivers on the developer's machine; off by default, and no other private range is ever allowed.
   */
  outboundAllowLoopback: boolean;
  /** Time for an outbound request to open its connection, the name's lookup included (OUTBOUND_CONNECT_TIMEOUT_MS). */
  outboundConnectTimeoutMs: number;
  /** Time for an outbound request from its start to the last byte of the answer (OUTBOUND_TIMEOUT_MS). */
  outboundTimeoutMs: number;
  /** Longest answer to an outbound request read, in KiB; longer ones are cut off and fail (OUTBOUND_MAX_RESPONSE_KIB). */
  outboundMaxResponseKib: number;
  /** How long a resolved access token is believed without the database (TOKEN_CACHE_MS); revocation evicts it at once. */
  tokenCacheMs: number;
  /** Time to receive a whole request, body included (REQUEST_TIMEOUT_MS): a slow body is cut off. */
  requestTimeoutMs: number;
  /** Time to receive a request's headers (HEADERS_TIMEOUT_MS). */
  headersTimeoutMs: number;
  /** Longest lifetime of an Open Payments incoming payment, also its default (OP_INCOMING_PAYMENT_MAX_EXPIRY_DAYS). */
  opIncomingPaymentMaxExpiryDays: number;
  /** Largest `metadata` of an incoming or outgoing payment, as JSON bytes (OP_METADATA_MAX_BYTES). */
  opMetadataMaxBytes: number;
  /** How long a quote holds (OP_QUOTE_LIFETIME_SECONDS), capped by its incoming payment's expiry. */
  opQuoteLifetimeSeconds: number;
  /** Fixed part of the sending fee, in minor units of the sender's asset (OP_FEE_FIXED). */
  opFeeFixed: bigint;
  /** Proportional part of the sending fee, in basis points of the receive amount (OP_FEE_BASIS_POINTS). */
  opFeeBasisPoints: number;
  /** Open Payments: largest distance between a request signature's `created` and now (OP_SIGNATURE_WINDOW_SECONDS). */
  opSignatureWindowSeconds: number;
  /** Open Payments: how long a client's fetched wallet address and keys are believed (OP_CLIENT_KEY_CACHE_SECONDS). */
  opClientKeyCacheSeconds: number;
  /** Open Payments: time to fetch a client's wallet address or jwks.json (OP_CLIENT_FETCH_TIMEOUT_MS). */
  opClientFetchTimeoutMs: number;
  /** Sandbox exchange-rate provider: `FROM:TO=RATE` pairs, comma-separated (EXCHANGE_RATES), e.g. `EUR:USD=1.0843`. */
  exchangeRates: ConfiguredRate[];
  /** Oldest rate a quote may use (EXCHANGE_RATE_MAX_AGE_SECONDS); an older one is refused as stale. */
  exchangeRateMaxAgeSeconds: number;
  /** Peering: the public name of this instance's wallet address, `/.well-known/pay` (PEER_INSTANCE_NAME). */
  peerInstanceName: string;
  /** Peering: the asset the instance wallet address shows (PEER_INSTANCE_ASSET). */
  peerInstanceAsset: string;
  /** GNAP: how long the account holder has to approve an interactive grant (GNAP_INTERACTION_SECONDS). */
  gnapInteractionSeconds: number;
  /** GNAP: lifetime of an access token (GNAP_ACCESS_TOKEN_SECONDS). */
  gnapAccessTokenSeconds: number;
  /** GNAP: the `wait` a client must leave between continuation requests (GNAP_CONTINUE_WAIT_SECONDS). */
  gnapContinueWaitSeconds: number;
  /** Pending migrations run at start (MIGRATE_ON_START); off: `npm run migrate` runs them and readiness waits for it. */
  migrateOnStart: boolean;
  /** GraphQL introspection (GRAPHQL_INTROSPECTION): on, except with NODE_ENV=production unless asked for. */
  introspection: boolean;
  /** The GraphQL explorer page on GET /graphql (GRAPHQL_EXPLORER): like introspection. */
  explorer: boolean;
  /** Bearer token that /metrics asks for (METRICS_TOKEN); unset: /metrics is not served on the main port. */
  metricsToken?: string;
  /** A separate port for /metrics alone (METRICS_PORT), on METRICS_HOST; unset: none. */
  metricsPort?: number;
  metricsHost: string;
  /** Whether the retention sweep runs (RETENTION). */
  retention: boolean;
  /** Days finished jobs, webhook attempts of finished deliveries and login attempts are kept (RETENTION_DAYS). */
  retentionDays: number;
  /** Days idempotency records are kept, their replay window (IDEMPOTENCY_RETENTION_DAYS). */
  idempotencyRetentionDays: number;
  /** How often the cleanup runs (RETENTION_INTERVAL_MINUTES). */
  retentionIntervalMinutes: number;
}

/** Reads settings one by one, collecting one message per bad value instead of stopping at the first. */
class Settings {
  readonly errors: string[] = [];
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  nonNegativeInteger(name: string, fallback: number): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) return this.fail(`${name} must be a non-negative integer, not "${raw}"`, fallback);
    return value;
  }

  positiveInteger(name: string, fallback: number): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) return this.fail(`${name} must be a positive integer, not "${raw}"`, fallback);
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    return this.fail(`${name} must be "true" or "false", not "${raw}"`, fallback);
  }

  port(name: string, fallback: number | undefined, allowZero = true): number | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value > 65535 || (!allowZero && value === 0)) return this.fail(`${name} must be a port number, not "${raw}"`, fallback);
    return value;
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (!(values as readonly string[]).includes(raw)) return this.fail(`${name} must be one of ${values.join(', ')}, not "${raw}"`, fallback);
    return raw as T;
  }

  check<T>(name: string, parse: (raw: string) => T): T | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    try {
      return parse(raw);
    } catch (error) {
      return this.fail(`${name}: ${(error as Error).message}`, undefined);
    }
  }

  fail<T>(message: string, fallback: T): T {
    this.errors.push(message);
    return fallback;
  }
}

/** Every bad setting at once, one line each, so that a start fails with all of them named. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Paygrid cannot start, ${problems.length === 1 ? 'a setting is' : 'settings are'} wrong:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const DEFAULT_DATABASE_URL = 'sqlite:./data/paygrid.sqlite';

/**
 * A PostgreSQL URL or an explicit SQLite form (`sqlite:<file>`, `sqlite://<file>`, `sqlite::memory:`);
 * anything else (a typo, a MySQL URL) is refused rather than taken for a file name.
 */
export function checkDatabaseUrl(url: string): string {
  if (/^postgres(ql)?:\/\/[^/]/.test(url)) {
    new URL(url);
    return url;
  }
  if (/^sqlite:(\/\/)?[^/:]|^sqlite:(\/\/)?\/.|^sqlite::memory:$/.test(url)) return url;
  throw new Error(`must be a PostgreSQL URL (postgres://user@host:5432/db) or sqlite:<file>, not "${url.replace(/\/\/[^@/]*@/, '//…@')}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const read = new Settings(env);
  const databaseUrl = read.check('DATABASE_URL', checkDatabaseUrl) ?? (read.raw('DATABASE_URL') ? '' : DEFAULT_DATABASE_URL);
  // Demo data (with its published operator secret) only on the embedded default or when asked for.
  const demoData = read.boolean('DEMO_DATA', read.raw('DATABASE_URL') === undefined);
  const production = env.NODE_ENV === 'production';
  const introspection = read.boolean('GRAPHQL_INTROSPECTION', !production);
  const config: Config = {
    port: read.port('PORT', 4000)!,
    host: read.string('HOST', '127.0.0.1'),
    databaseUrl,
    redisUrl: read.check('REDIS_URL', redisUrl),
    redisPrefix: read.string('REDIS_PREFIX', 'paygrid'),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    demoData,
    publicUrl: read.check('PUBLIC_URL', publicUrl),
    trustProxy: read.boolean('TRUST_PROXY', false),
    schedulerPollMs: read.positiveInteger('SCHEDULER_POLL_MS', 1000),
    providerCallLeaseSeconds: read.positiveInteger('PROVIDER_CALL_LEASE_SECONDS', 60),
    webhookRetryBaseMs: read.positiveInteger('WEBHOOK_RETRY_BASE_MS', 60_000),
    webhookMaxAttempts: read.positiveInteger('WEBHOOK_MAX_ATTEMPTS', 18),
    paymentExpireDays: read.positiveInteger('PAYMENT_EXPIRE_DAYS', 7),
    loginMaxAttempts: read.positiveInteger('LOGIN_MAX_ATTEMPTS', 5),
    loginWindowMinutes: read.positiveInteger('LOGIN_WINDOW_MINUTES', 15),
    passwordHashConcurrency: read.positiveInteger('PASSWORD_HASH_CONCURRENCY', 2),
    passwordHashQueue: read.positiveInteger('PASSWORD_HASH_QUEUE', 16),
    outboundAllowLoopback: read.boolean('OUTBOUND_ALLOW_LOOPBACK', false),
    outboundConnectTimeoutMs: read.positiveInteger('OUTBOUND_CONNECT_TIMEOUT_MS', 5_000),
    outboundTimeoutMs: read.positiveInteger('OUTBOUND_TIMEOUT_MS', 10_000),
    outboundMaxResponseKib: read.positiveInteger('OUTBOUND_MAX_RESPONSE_KIB', 64),
    tokenCacheMs: read.positiveInteger('TOKEN_CACHE_MS', 1000),
    requestTimeoutMs: read.positiveInteger('REQUEST_TIMEOUT_MS', 30_000),
    headersTimeoutMs: read.positiveInteger('HEADERS_TIMEOUT_MS', 10_000),
    migrateOnStart: read.boolean('MIGRATE_ON_START', true),
    introspection,
    explorer: read.boolean('GRAPHQL_EXPLORER', !production),
    metricsToken: read.check('METRICS_TOKEN', metricsToken),
    metricsPort: read.port('METRICS_PORT', undefined, false),
    metricsHost: read.string('METRICS_HOST', '127.0.0.1'),
    retention: read.boolean('RETENTION', true),
    retentionDays: read.positiveInteger('RETENTION_DAYS', 30),
    idempotencyRetentionDays: read.positiveInteger('IDEMPOTENCY_RETENTION_DAYS', 7),
    retentionIntervalMinutes: read.positiveInteger('RETENTION_INTERVAL_MINUTES', 60),
    orderAuthorizationMinutes: read.positiveInteger('ORDER_AUTHORIZATION_MINUTES', 7 * 24 * 60),
    accountPaymentAuthorizationMinutes: read.positiveInteger('ACCOUNT_PAYMENT_AUTHORIZATION_MINUTES', 7 * 24 * 60),
    authorizationSweepSeconds: read.positiveInteger('AUTHORIZATION_SWEEP_SECONDS', 60),
    kycRetentionDays: read.positiveInteger('KYC_RETENTION_DAYS', 30),
    depositSessionMinutes: read.positiveInteger('DEPOSIT_SESSION_MINUTES', 30),
    opIncomingPaymentMaxExpiryDays: read.positiveInteger('OP_INCOMING_PAYMENT_MAX_EXPIRY_DAYS', 30),
    opMetadataMaxBytes: read.positiveInteger('OP_METADATA_MAX_BYTES', 2048),
    opQuoteLifetimeSeconds: read.positiveInteger('OP_QUOTE_LIFETIME_SECONDS', 300),
    opFeeFixed: BigInt(read.nonNegativeInteger('OP_FEE_FIXED', 0)),
    opFeeBasisPoints: read.nonNegativeInteger('OP_FEE_BASIS_POINTS', 0),
    opSignatureWindowSeconds: read.positiveInteger('OP_SIGNATURE_WINDOW_SECONDS', 300),
    opClientKeyCacheSeconds: read.positiveInteger('OP_CLIENT_KEY_CACHE_SECONDS', 30),
    opClientFetchTimeoutMs: read.positiveInteger('OP_CLIENT_FETCH_TIMEOUT_MS', 3_000),
    gnapInteractionSeconds: read.positiveInteger('GNAP_INTERACTION_SECONDS', 600),
    gnapAccessTokenSeconds: read.positiveInteger('GNAP_ACCESS_TOKEN_SECONDS', 600),
    gnapContinueWaitSeconds: read.positiveInteger('GNAP_CONTINUE_WAIT_SECONDS', 5),
    exchangeRates: read.check('EXCHANGE_RATES', parseConfiguredRates) ?? [],
    exchangeRateMaxAgeSeconds: read.positiveInteger('EXCHANGE_RATE_MAX_AGE_SECONDS', 86_400),
    peerInstanceName: read.string('PEER_INSTANCE_NAME', 'Paygrid'),
    peerInstanceAsset: read.string('PEER_INSTANCE_ASSET', 'EUR'),
  };
  if (read.errors.length) throw new ConfigError(read.errors);
  return config;
}

function redisUrl(value: string): string {
  if (!/^rediss?:\/\/./.test(value)) throw new Error(`must be a redis:// or rediss:// URL, not "${value.replace(/\/\/[^@/]*@/, '//…@')}"`);
  return value;
}

/** Long enough not to be guessed: it guards figures about every payment. */
function metricsToken(value: string): string {
  if (value.length < 16) throw new Error('must be at least 16 characters');
  return value;
}

function publicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`must be an http(s) URL, not "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`must be an http(s) URL, not "${value}"`);
  if (url.search || url.hash) throw new Error('must have no query or fragment');
  return url.toString().replace(/\/+$/, '');
}
