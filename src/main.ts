import 'reflect-metadata';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig, type Config } from './config/config';
import { DEMO_MERCHANT, DEMO_OPERATOR, DEMO_PAYER, ensureDemoData } from './demo/demo-data';
import { createApp } from './http/app';
import { databaseKind, openDatabase } from './persistence/orm';

/**
 * Worker processes to run on one port (WORKERS): `auto` is one per core; unset or 1 runs the server
 * in this process. Several need PostgreSQL and Redis, where instances already cooperate (row locks,
 * events over Redis, jobs claimed once); with SQLite or in-process pub/sub they would not.
 */
function workerCount(config: Config, raw = process.env.WORKERS): number {
  const count = raw === 'auto' ? availableParallelism() : raw === undefined || raw === '' ? 1 : Number(raw);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`WORKERS must be "auto" or a positive integer, not "${raw}"`);
  if (count > 1 && (databaseKind(config.databaseUrl) !== 'postgresql' || !config.redisUrl)) {
    throw new Error(
      `WORKERS=${raw} needs PostgreSQL (DATABASE_URL=postgres://…) and Redis (REDIS_URL): with SQLite or in-process pub/sub, ` +
        'worker processes would not share one database writer and would not see each other’s events. Unset WORKERS to run one process.',
    );
  }
  return count;
}

/** The primary of several workers: migrates once, forks the workers, replaces one that dies, stops them all on a signal. */
async function runPrimary(config: Config, workers: number): Promise<void> {
  const { orm } = await openDatabase({ databaseUrl: config.databaseUrl, migrate: config.migrateOnStart });
  await orm.close();
  let stopping = false;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    console.error(`worker ${worker.id} exited (${signal ?? code}); starting another`);
    cluster.fork({ PAYGRID_DEMO_DATA_WORKER: 'false' });
  });
  // Demo data is created by the first worker only, so that two never race to create it.
  for (let i = 0; i < workers; i++) cluster.fork({ PAYGRID_DEMO_DATA_WORKER: String(i === 0) });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    cluster.on('exit', () => {
      if (!Object.keys(cluster.workers ?? {}).length) process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function runServer(config: Config): Promise<void> {
  const app = await createApp(config);
  if (config.outboundAllowLoopback) {
    app.log.warn('OUTBOUND_ALLOW_LOOPBACK=true: webhooks and callbacks may reach services on this machine; for local development only');
  }
  if (cluster.isWorker) {
    // Which worker answered, for operators and the workers test: the number, not the pid.
    app.http.server.prependListener('request', (_request, response) => response.setHeader('x-paygrid-worker', String(cluster.worker!.id)));
  }
  if (config.demoData) {
    app.log.warn(
      'DEMO DATA is on: demo clients with published secrets (the operator one can mint money) exist on this server. ' +
        'It is on by default only on the embedded SQLite database; set DEMO_DATA=false, or DATABASE_URL, for anything but trying Paygrid out.',
    );
  }
  if (config.demoData && process.env.PAYGRID_DEMO_DATA_WORKER !== 'false') {
    const created = await ensureDemoData(app.services);
    if (created) {
      app.log.info(
        `demo data created: merchant ${DEMO_MERCHANT.id}, buyer account ${created.buyerAccountId} (1000.00 EUR), seller account ${created.sellerAccountId}, ` +
          `payer ${DEMO_PAYER.username} (${created.payerId}) with account ${created.payerAccountId} (500.00 EUR); ` +
          `Open Payments wallet addresses ${created.payerWalletAddress} and ${created.merchantWalletAddress}`,
      );
    }
    app.log.info(
      `get a token: curl -s -u ${DEMO_MERCHANT.id}:${DEMO_MERCHANT.secret} -d grant_type=client_credentials ${app.url}/oauth/token` +
        ` (operator: ${DEMO_OPERATOR.id}:${DEMO_OPERATOR.secret})`,
    );
    app.log.info(
      `payer consent: open ${app.url}/oauth/authorize?response_type=code&client_id=${DEMO_MERCHANT.id}` +
        `&redirect_uri=${encodeURIComponent(DEMO_MERCHANT.redirectUri)}&scope=accounts:read&state=demo and log in as ${DEMO_PAYER.username} / ${DEMO_PAYER.password}`,
    );
  }
  app.log.info(`Paygrid GraphQL on ${app.url}/graphql (HTTP and graphql-ws)${cluster.isWorker ? `, worker ${cluster.worker!.id}` : ''}`);
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (cluster.isPrimary) {
    const workers = workerCount(config);
    if (workers > 1) return runPrimary(config, workers);
  }
  await runServer(config);
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
