import type { FastifyInstance } from 'fastify';
import type { MikroORM } from '@mikro-orm/core';
import { pendingMigrations } from '../persistence/orm';

export interface ReadinessParts {
  orm: MikroORM;
  /** Present when REDIS_URL is set. */
  redis?: { ping(): Promise<void> };
  scheduler: { readonly running: boolean };
}

/** A check that does not answer within this time fails: a stopped database must not hang the probe. */
const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

type Check = { status: 'ok' } | { status: 'failing'; reason: string };

async function check(work: () => Promise<string | null>): Promise<Check> {
  try {
    const problem = await withTimeout(work());
    return problem ? { status: 'failing', reason: problem } : { status: 'ok' };
  } catch (error) {
    // The reason names the failure's kind, never a driver's message (it may hold a host or SQL).
    const name = (error as Error)?.message?.startsWith('no answer within') ? (error as Error).message : 'unreachable';
    return { status: 'failing', reason: name };
  }
}

/**
 * /health/live: the process answers. /health/ready: it can serve, i.e. the database answers and is
 * migrated, Redis answers when configured and the scheduler polls; otherwise 503 naming what fails.
 * /health stays as the liveness answer it always was.
 */
export function registerHealthRoutes(http: FastifyInstance, parts: ReadinessParts): void {
  const live = async () => ({ status: 'ok' });
  http.get('/health', live);
  http.get('/health/live', live);
  http.get('/health/ready', async (_request, reply) => {
    const checks: Record<string, Check> = {};
    checks.database = await check(async () => {
      await parts.orm.em.getConnection().execute('select 1');
      return null;
    });
    checks.migrations =
      checks.database.status === 'ok'
        ? await check(async () => {
            const pending = await pendingMigrations(parts.orm);
            return pending.length ? `${pending.length} pending: run npm run migrate` : null;
          })
        : { status: 'failing', reason: 'database unreachable' };
    if (parts.redis) {
      const redis = parts.redis;
      checks.redis = await check(async () => {
        await redis.ping();
        return null;
      });
    }
    checks.scheduler = parts.scheduler.running ? { status: 'ok' } : { status: 'failing', reason: 'not running' };
    const failing = Object.entries(checks).filter(([, c]) => c.status !== 'ok').map(([name]) => name);
    return reply
      .status(failing.length ? 503 : 200)
      .header('cache-control', 'no-store')
      .send({ status: failing.length ? 'failing' : 'ok', ...(failing.length ? { failing } : {}), checks });
  });
}
