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
  /** Where clients and browsers reach Paygrid, for links in resources and callbacks (PUBLIC_URL). */
  publicUrl?: string;
  /** How often each instance looks for due scheduled jobs. */
  schedulerPollMs: number;
  /** Width of the first webhook retry window; each next window doubles (see src/jobs/backoff.ts). */
  webhookRetryBaseMs: number;
  /** Attempts per webhook delivery, the first included, before it is dead-lettered. */
  webhookMaxAttempts: number;
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
    publicUrl: env.PUBLIC_URL || undefined,
    schedulerPollMs: positiveInteger(env, 'SCHEDULER_POLL_MS', 1000),
    webhookRetryBaseMs: positiveInteger(env, 'WEBHOOK_RETRY_BASE_MS', 60_000),
    webhookMaxAttempts: positiveInteger(env, 'WEBHOOK_MAX_ATTEMPTS', 18),
  };
}
