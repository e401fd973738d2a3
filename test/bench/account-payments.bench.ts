import { performance } from 'node:perf_hooks';
import { createPayment, fund, ledgerReport, openAccount, step } from '../support/flows';
import { startServer, type TestServer } from '../support/server';

/**
 * `npm run bench`: complete account payments (create → add transaction → authorize → execute) over
 * HTTP against an in-process server, on SQLite or on DATABASE_URL. Prints throughput, latency per
 * step and memory; asserts nothing about speed (figures, not tests).
 * Knobs: BENCH_PAYMENTS (default 400), BENCH_CONCURRENCY (default 16), BENCH_BUYERS (default 8).
 */
async function main(): Promise<void> {
  const payments = Number(process.env.BENCH_PAYMENTS ?? 400);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
  const buyerCount = Number(process.env.BENCH_BUYERS ?? 8);
  const server: TestServer = await startServer();
  try {
    const merchant = await server.client();
    const operator = await server.operator();
    const seller = await openAccount(server, merchant);
    const buyers: string[] = [];
    for (let i = 0; i < buyerCount; i++) {
      const id = await openAccount(server, merchant);
      await fund(server, operator, id, '1000000.00');
      buyers.push(id);
    }
    const latencies: Record<string, number[]> = { create: [], add: [], authorize: [], execute: [] };
    const timed = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
      const start = performance.now();
      const result = await run();
      latencies[name].push(performance.now() - start);
      return result;
    };
    let next = 0;
    const worker = async () => {
      while (next < payments) {
        const n = next++;
        const accountId = buyers[n % buyers.length];
        const created = await timed('create', () => createPayment(server, merchant, { accountId, sellerId: seller, requestId: `bench-${n}` }));
        const paymentId = created.payment.id;
        await timed('add', () => step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '1.23', idempotencyKey: `bench-${n}` }));
        const authorized = await timed('authorize', () => step(server, merchant, 'authorizePayment', { paymentId, idempotencyKey: `bench-authorize-${n}` }));
        if (authorized.userErrors.length) throw new Error(JSON.stringify(authorized.userErrors));
        await timed('execute', () => step(server, merchant, 'executePayment', { paymentId, idempotencyKey: `bench-execute-${n}` }));
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    const report = await ledgerReport(server, operator);
    const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))];
    console.log(`database: ${server.database.url.startsWith('postgres') ? 'postgresql' : 'sqlite'}, payments: ${payments}, concurrency: ${concurrency}, buyers: ${buyerCount}`);
    console.log(`completed payments/s: ${(payments / seconds).toFixed(1)} (${(payments * 4 / seconds).toFixed(1)} mutations/s, ${seconds.toFixed(2)} s)`);
    for (const [name, values] of Object.entries(latencies)) {
      console.log(`${name.padEnd(9)} p50 ${pct(values, 50).toFixed(1)} ms  p95 ${pct(values, 95).toFixed(1)} ms  p99 ${pct(values, 99).toFixed(1)} ms`);
    }
    const memory = process.memoryUsage();
    console.log(`memory: rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB`);
    console.log(`ledger: ${report.map((r) => `${r.assetCode} sum ${r.postedSum}, drifting accounts ${r.driftingAccounts}`).join('; ')}`);
  } finally {
    await server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
