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
  };
}

function publicUrl(value: string): string {
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`PUBLIC_URL must be an http(s) URL, not "${value}"`);
  if (url.search || url.hash) throw new Error('PUBLIC_URL must have no query or fragment');
  return url.toString().replace(/\/+$/, '');
}
