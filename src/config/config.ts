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
  };
}
