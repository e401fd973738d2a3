import 'reflect-metadata';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fund, ledgerReport, openAccount } from '../support/flows';
import { createTestDatabase, startServer, usingPostgres, usingRedis, type TestClient, type TestServer } from '../support/server';
import { closedLoop, emptyLatencies, gql, openLoop, payOverGraphql, percentile, summary, STEPS, type Endpoint, type StepLatencies } from './graphql-load';
import { openReference } from './reference';
import { StatementCounter } from './statement-counter';
import type { FanOutReport } from './subscribers';

/**
 * `npm run bench`: Paygrid's figures in one run, printed, never asserted (see README, Performance).
 * The server runs in this process (or, with BENCH_WORKERS, as a cluster of worker processes);
 * the HTTP load comes from this process too, the fan-out's subscribers from a child process.
 * SQLite by default; PostgreSQL with DATABASE_URL; subscriptions over Redis with REDIS_URL.
 */
const env = process.env;
const quick = env.BENCH_QUICK === '1';
const knob = (name: string, full: number, fast: number) => Number(env[`BENCH_${name}`] ?? (quick ? fast : full));

const settings = {
  payments: knob('PAYMENTS', 1000, 150),
  referencePayments: knob('REFERENCE_PAYMENTS', 2000, 300),
  concurrency: knob('CONCURRENCY', 16, 16),
  accounts: knob('ACCOUNTS', 200, 200),
  counted: knob('COUNTED', 20, 5),
  hotPayments: knob('HOT_PAYMENTS', 500, 100),
  reads: knob('READS', 200, 50),
  entries: knob('ENTRIES', 100_000, 100_000),
  subscribers: knob('SUBSCRIBERS', 1000, 200),
  rate: knob('RATE', 2, 2),
  fanOutSeconds: knob('FANOUT_SECONDS', 20, 5),
  halfRateSeconds: knob('HALF_RATE_SECONDS', 20, 5),
  workers: env.BENCH_WORKERS === 'auto' ? cpus().length : knob('WORKERS', 0, 0),
};

const AMOUNT = '1.23';
const FUNDS = '1000000.00';
const run = randomBytes(3).toString('hex');
const key = (what: string, n: number) => `b${run}-${what}-${n}`;

function line(label: string, value: string): void {
  console.log(`${label.padEnd(44)} ${value}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

/** One worker per core on one port (src/main.ts, WORKERS), sharing the bench's database and Redis. */
async function startCluster(databaseUrl: string, redisPrefix: string, workers: number): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, '../../src/main.js')], {
    env: { ...env, WORKERS: String(workers), PORT: String(port), DATABASE_URL: databaseUrl, REDIS_PREFIX: redisPrefix, DEMO_DATA: 'false', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      if (tries > 300) throw new Error('the cluster did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function main(): Promise<void> {
  const counter = new StatementCounter();
  const redisPrefix = `paygrid-bench-${run}`;
  const database = await createTestDatabase();
  const server: TestServer = await startServer({
    database,
    redisPrefix,
    // Jobs never poll on their own here: their statements belong to no payment.
    config: { schedulerPollMs: 3_600_000 },
    onQuery: (sql) => counter.onQuery(sql),
  });
  counter.attach(server.app.services.db.orm);
  const cluster = settings.workers ? await startCluster(database.url, redisPrefix, settings.workers) : null;
  const kind = usingPostgres ? 'postgresql' : 'sqlite';
  try {
    console.log(`Paygrid bench${quick ? ' (quick)' : ''}: ${kind}, pub/sub ${usingRedis ? 'redis' : 'in-process'}, ${cpus().length} cores, ` +
      `${cluster ? `${settings.workers} worker processes` : 'one process'}, node ${process.version}`);
    console.log(`settings: ${JSON.stringify(settings)}`);

    const merchant = await server.client();
    const operator = await server.operator();
    const endpoint: Endpoint = { url: cluster?.url ?? server.url, token: merchant.token };
    const buyers: string[] = [];
    const sellers: string[] = [];
    for (let i = 0; i < settings.accounts; i++) {
      buyers.push(await openAccount(server, merchant, 'EUR', `buyer ${i}`));
      sellers.push(await openAccount(server, merchant, 'EUR', `seller ${i}`));
      await fund(server, operator, buyers[i], FUNDS);
    }

    // 1. Statements and commits per complete payment, counted one payment at a time.
    await counter.quiet();
    counter.start();
    for (let n = 0; n < settings.counted; n++) {
      // Against the in-process server even with BENCH_WORKERS: its statements are the ones counted.
      await payOverGraphql({ url: server.url, token: merchant.token },
        { key: key('counted', n), buyer: buyers[n % buyers.length], seller: sellers[n % sellers.length], amount: AMOUNT },
        { between: () => counter.quiet() });
    }
    const counted = counter.stop();
    console.log('\n# SQL per complete payment (create → add transaction → authorize → execute), counted');
    line('Paygrid statements per payment', (counted.statements / settings.counted).toFixed(1));
    line('Paygrid commits per payment', `${(counted.commits / settings.counted).toFixed(1)} (${(counted.transactions / settings.counted).toFixed(1)} transactions + ${(counted.autocommits / settings.counted).toFixed(1)} writes outside one)`);

    // 2. Throughput: 200 buyers paying 200 sellers, against the minimal-SQL reference.
    console.log(`\n# Throughput: ${settings.accounts} buyers paying ${settings.accounts} sellers, concurrency ${settings.concurrency}`);
    const latencies = emptyLatencies();
    const marksAloneBefore = server.app.outbox.marks.alone;
    counter.start();
    const throughput = await closedLoop(settings.payments, settings.concurrency, (n) =>
      payOverGraphql(endpoint, { key: key('tp', n), buyer: buyers[n % buyers.length], seller: sellers[n % sellers.length], amount: AMOUNT }, { latencies }),
    );
    await counter.quiet();
    const loaded = counter.stop();
    line('Paygrid payments/s over GraphQL', `${throughput.toFixed(1)} (${settings.payments} payments)`);
    if (!cluster) {
      line('  under this load: statements per payment', (loaded.statements / settings.payments).toFixed(1));
      // The outbox's marks ride in business transactions; only those it made alone are commits of their own.
      const marksAlone = server.app.outbox.marks.alone - marksAloneBefore;
      line('  under this load: commits per payment', `${((loaded.transactions + marksAlone) / settings.payments).toFixed(2)} (${(loaded.transactions / settings.payments).toFixed(2)} transactions + ${(marksAlone / settings.payments).toFixed(2)} outbox marks alone)`);
    }
    for (const step of STEPS) line(`  ${step}`, summary(latencies[step]));

    const referenceDb = await createTestDatabase();
    const reference = await openReference(referenceDb.url, 10);
    try {
      const accounts = await reference.setup(settings.accounts, settings.accounts, 100_000_000n);
      const referenceRate = await closedLoop(settings.referencePayments, kind === 'sqlite' ? 1 : settings.concurrency, (n) =>
        reference.pay(key('ref', n), accounts.buyers[n % settings.accounts], accounts.sellers[n % settings.accounts], 123n),
      );
      const check = await reference.check();
      line(`reference payments/s (minimal SQL, ${kind === 'sqlite' ? 'better-sqlite3' : 'pg'})`, `${referenceRate.toFixed(1)} (${settings.referencePayments} payments)`);
      line('reference statements / commits per payment',
        `${(reference.counts.statements / settings.referencePayments).toFixed(1)} / ${(reference.counts.commits / settings.referencePayments).toFixed(1)} (begin and commit not counted as statements)`);
      line('reference books', `sum ${check.postedSum}, drifting accounts ${check.drifting}`);
      line('ratio Paygrid / reference', (throughput / referenceRate).toFixed(3));
    } finally {
      await reference.close();
      await referenceDb.drop();
    }

    // 3. One hot account: every payment from the same buyer.
    const hot = await closedLoop(settings.hotPayments, settings.concurrency, (n) =>
      payOverGraphql(endpoint, { key: key('hot', n), buyer: buyers[0], seller: sellers[n % sellers.length], amount: AMOUNT }),
    );
    console.log('\n# Hot account');
    line('payments/s, one buyer', `${hot.toFixed(1)} (${settings.hotPayments} payments)`);
    line(`hot-account ratio (one buyer / ${settings.accounts} buyers)`, (hot / throughput).toFixed(2));

    // 4. Reads: a page of 100 against a page of 10; a balance over 10^5 entries against 10.
    const reads = async (query: string, variables: Record<string, unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < settings.reads; i++) {
        const start = performance.now();
        await gql(endpoint, query, variables);
        times.push(performance.now() - start);
      }
      return times;
    };
    console.log(`\n# Reads (sequential, ${settings.reads} each)`);
    const ACCOUNTS = `query($first: Int!) { accounts(first: $first) { nodes { id name balance { available { value } } } } }`;
    const PAYMENTS = `query($id: ID!, $first: Int!) { account(id: $id) { payments(first: $first) { nodes { id state amount { value } transactions { id state } } } } }`;
    for (const [label, query, variables] of [
      ['accounts(first: N)', ACCOUNTS, {}],
      ['account.payments(first: N)', PAYMENTS, { id: buyers[0] }],
    ] as const) {
      const small = await reads(query, { ...variables, first: 10 });
      const large = await reads(query, { ...variables, first: 100 });
      line(`${label}, N=10`, summary(small));
      line(`${label}, N=100`, `${summary(large)}; p50 ratio 100/10 ${(percentile(large, 50) / percentile(small, 50)).toFixed(2)}`);
    }
    const BALANCE = `query($id: ID!) { account(id: $id) { balance { posted { value } reserved { value } available { value } } } }`;
    const few = await openAccount(server, merchant, 'EUR', 'ten entries');
    for (let i = 0; i < 10; i++) await fund(server, operator, few, '1.00');
    const many = await openAccount(server, merchant, 'EUR', 'many entries');
    await fund(server, operator, many, '1.00');
    await addEntries(server, many, settings.entries);
    const fewTimes = await reads(BALANCE, { id: few });
    const manyTimes = await reads(BALANCE, { id: many });
    line('balance, 10 entries', summary(fewTimes));
    line(`balance, ${settings.entries} entries`, `${summary(manyTimes)}; p50 ratio ${(percentile(manyTimes, 50) / percentile(fewTimes, 50)).toFixed(2)}`);

    // 5. authorizePayment at half the sustainable rate (the closed-loop throughput above), arriving at a fixed rate.
    const halfRate = throughput / 2;
    const half = emptyLatencies();
    await openLoop(halfRate, settings.halfRateSeconds, (n) =>
      payOverGraphql(endpoint, { key: key('half', n), buyer: buyers[n % buyers.length], seller: sellers[n % sellers.length], amount: AMOUNT }, { latencies: half }),
    );
    console.log(`\n# Half the sustainable rate: ${halfRate.toFixed(1)} payments/s for ${settings.halfRateSeconds} s, fixed arrival rate`);
    line('authorizePayment', summary(half.authorize));
    line('all four mutations', summary(STEPS.flatMap((s) => half[s])));

    // 6. Subscription fan-out: N subscribers on one account, R payments/s paying it.
    await fanOut(server, endpoint, merchant, buyers, settings);

    const books = await ledgerReport(server, operator);
    console.log(`\nPaygrid books: ${books.map((r) => `${r.assetCode} sum ${r.postedSum}, drifting accounts ${r.driftingAccounts}`).join('; ')}`);
    const memory = process.memoryUsage();
    console.log(`memory: rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await cluster?.stop();
    await server.close();
    await database.drop();
  }
}

/** Entries that cancel out (+1, -1, …) so the balance does not change, written straight into the ledger's table. */
async function addEntries(server: TestServer, accountId: string, count: number): Promise<void> {
  const { db } = server.app.services;
  const em = db.reader();
  const now = em.getPlatform().processDateProperty(new Date());
  const numbers = usingPostgres
    ? `select g as n from generate_series(1, ${count}) g`
    : `with recursive g(n) as (select 1 union all select n + 1 from g where n < ${count}) select n from g`;
  await em.getConnection().execute(
    `insert into ledger_entry (transfer_id, account_id, asset_code, amount, created_at)
     select 'trf_bench_' || n, ?, 'EUR', case when n % 2 = 0 then 1 else -1 end, ? from (${numbers}) numbers`,
    [accountId, now],
  );
}

async function fanOut(server: TestServer, endpoint: Endpoint, merchant: TestClient, buyers: string[], s: typeof settings): Promise<void> {
  const seller = await openAccount(server, merchant, 'EUR', 'watched seller');
  const pay = (label: string, latencies?: StepLatencies) => (n: number) =>
    payOverGraphql(endpoint, { key: key(label, n), buyer: buyers[n % buyers.length], seller, amount: AMOUNT }, { latencies });

  console.log(`\n# Subscription fan-out: ${s.subscribers} subscribers on one account, ${s.rate} payments/s for ${s.fanOutSeconds} s (subscribers in a child process)`);
  const without = emptyLatencies();
  await openLoop(s.rate, s.fanOutSeconds, pay('quiet', without));
  line('mutations without subscribers', summary(STEPS.flatMap((step) => without[step])));

  const child: ChildProcess = fork(join(__dirname, 'subscribers.js'), {
    env: { ...env, BENCH_SUB_URL: endpoint.url, BENCH_SUB_TOKEN: merchant.token, BENCH_SUB_ACCOUNT: seller, BENCH_SUB_COUNT: String(s.subscribers) },
  });
  const messages: any[] = [];
  const waiters: Array<() => void> = [];
  child.on('message', (m) => {
    messages.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  const next = async <K extends string>(field: K): Promise<any> => {
    for (;;) {
      const found = messages.find((m) => field in m);
      if (found) {
        messages.splice(messages.indexOf(found), 1);
        return found[field];
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  try {
    await next('connected');
    // The subscribe messages follow the acknowledgements: give the server a moment to register them.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const warmUp = await pay('warm')(0);
    child.send({ warmUp });
    const ready: number = await next('ready');
    line('subscribers that got the warm-up payment', `${ready} of ${s.subscribers}`);

    const withSubs = emptyLatencies();
    const finals: Record<string, number> = {};
    await openLoop(s.rate, s.fanOutSeconds, async (n) => {
      const done = await pay('fan', withSubs)(n);
      finals[done.paymentId] = done.lastSequence;
    });
    child.send({ expect: finals });
    const report: FanOutReport = await next('report');
    const events = Object.values(finals).reduce((a, b) => a + b, 0);
    line('deliveries', `${report.deliveries} of ${events * s.subscribers} expected (${((events * s.subscribers) / s.fanOutSeconds).toFixed(0)}/s)`);
    line('commit-to-client (occurredAt → arrival)', `p50 ${report.p50} ms, p99 ${report.p99} ms, max ${report.max} ms`);
    line('completeness', `not arrived 15 s after the last payment ${report.missing}, duplicates ${report.duplicates}, out of order ${report.outOfOrder}`);
    const p99With = percentile(STEPS.flatMap((step) => withSubs[step]), 99);
    const p99Without = percentile(STEPS.flatMap((step) => without[step]), 99);
    line('mutations with subscribers', `${summary(STEPS.flatMap((step) => withSubs[step]))}; p99 ×${(p99With / p99Without).toFixed(2)}`);
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
