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
}

function nonNegativeInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, not "${raw}"`);
  return value;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not "${raw}"`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL || 'sqlite:./data/paygrid.sqlite',
    redisUrl: env.REDIS_URL || undefined,
    redisPrefix: env.REDIS_PREFIX || 'paygrid',
    logLevel: env.LOG_LEVEL ?? 'info',
    demoData: env.DEMO_DATA !== 'false',
    publicUrl: env.PUBLIC_URL ? publicUrl(env.PUBLIC_URL) : undefined,
    trustProxy: env.TRUST_PROXY === 'true',
    schedulerPollMs: positiveInteger(env, 'SCHEDULER_POLL_MS', 1000),
    webhookRetryBaseMs: positiveInteger(env, 'WEBHOOK_RETRY_BASE_MS', 60_000),
    webhookMaxAttempts: positiveInteger(env, 'WEBHOOK_MAX_ATTEMPTS', 18),
    paymentExpireDays: positiveInteger(env, 'PAYMENT_EXPIRE_DAYS', 7),
    orderAuthorizationMinutes: positiveInteger(env, 'ORDER_AUTHORIZATION_MINUTES', 7 * 24 * 60),
    accountPaymentAuthorizationMinutes: positiveInteger(env, 'ACCOUNT_PAYMENT_AUTHORIZATION_MINUTES', 7 * 24 * 60),
    authorizationSweepSeconds: positiveInteger(env, 'AUTHORIZATION_SWEEP_SECONDS', 60),
    kycRetentionDays: positiveInteger(env, 'KYC_RETENTION_DAYS', 30),
    depositSessionMinutes: positiveInteger(env, 'DEPOSIT_SESSION_MINUTES', 30),
    loginMaxAttempts: positiveInteger(env, 'LOGIN_MAX_ATTEMPTS', 5),
    loginWindowMinutes: positiveInteger(env, 'LOGIN_WINDOW_MINUTES', 15),
    passwordHashConcurrency: positiveInteger(env, 'PASSWORD_HASH_CONCURRENCY', 2),
    passwordHashQueue: positiveInteger(env, 'PASSWORD_HASH_QUEUE', 16),
    outboundAllowLoopback: env.OUTBOUND_ALLOW_LOOPBACK === 'true',
    outboundConnectTimeoutMs: positiveInteger(env, 'OUTBOUND_CONNECT_TIMEOUT_MS', 5_000),
    outboundTimeoutMs: positiveInteger(env, 'OUTBOUND_TIMEOUT_MS', 10_000),
    outboundMaxResponseKib: positiveInteger(env, 'OUTBOUND_MAX_RESPONSE_KIB', 64),
    tokenCacheMs: positiveInteger(env, 'TOKEN_CACHE_MS', 1000),
    requestTimeoutMs: positiveInteger(env, 'REQUEST_TIMEOUT_MS', 30_000),
    headersTimeoutMs: positiveInteger(env, 'HEADERS_TIMEOUT_MS', 10_000),
    opIncomingPaymentMaxExpiryDays: positiveInteger(env, 'OP_INCOMING_PAYMENT_MAX_EXPIRY_DAYS', 30),
    opMetadataMaxBytes: positiveInteger(env, 'OP_METADATA_MAX_BYTES', 2048),
    opQuoteLifetimeSeconds: positiveInteger(env, 'OP_QUOTE_LIFETIME_SECONDS', 300),
    opFeeFixed: BigInt(nonNegativeInteger(env, 'OP_FEE_FIXED', 0)),
    opFeeBasisPoints: nonNegativeInteger(env, 'OP_FEE_BASIS_POINTS', 0),
    opSignatureWindowSeconds: positiveInteger(env, 'OP_SIGNATURE_WINDOW_SECONDS', 300),
    opClientKeyCacheSeconds: positiveInteger(env, 'OP_CLIENT_KEY_CACHE_SECONDS', 30),
    opClientFetchTimeoutMs: positiveInteger(env, 'OP_CLIENT_FETCH_TIMEOUT_MS', 3_000),
    peerInstanceName: env.PEER_INSTANCE_NAME ?? 'Paygrid',
    peerInstanceAsset: env.PEER_INSTANCE_ASSET ?? 'EUR',
    gnapInteractionSeconds: positiveInteger(env, 'GNAP_INTERACTION_SECONDS', 600),
    gnapAccessTokenSeconds: positiveInteger(env, 'GNAP_ACCESS_TOKEN_SECONDS', 600),
    gnapContinueWaitSeconds: positiveInteger(env, 'GNAP_CONTINUE_WAIT_SECONDS', 5),
  };
}

function publicUrl(value: string): string {
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`PUBLIC_URL must be an http(s) URL, not "${value}"`);
  if (url.search || url.hash) throw new Error('PUBLIC_URL must have no query or fragment');
  return url.toString().replace(/\/+$/, '');
}
