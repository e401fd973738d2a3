import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { percentile } from './graphql-load';

/**
 * The fan-out bench's subscribers, in a child process of the bench so that their CPU (N WebSockets
 * parsing every event) is not taken from the server being measured. Each of N graphql-ws clients
 * opens its own connection and subscribes to one account's payment events; for every delivery it
 * notes the delay from the event's commit (its `occurredAt`, stamped in the transaction that
 * committed it) to arrival, and checks that each payment's events come once and in sequence.
 *
 * Messages: child → { connected } once every client's connection was acknowledged; parent →
 * { warmUp: payment } after a first payment, child → { ready: subscribers that got all of it };
 * parent → { expect: { [paymentId]: lastSequence } } once the load is over, child → { report }.
 */
export interface FanOutReport {
  subscribers: number;
  deliveries: number;
  p50: number;
  p99: number;
  max: number;
  /** Events delivered again (a sequence already seen), out of order, or never delivered. */
  duplicates: number;
  outOfOrder: number;
  missing: number;
}

const QUERY = `subscription($accountId: ID!) { accountPaymentUpdated(accountId: $accountId) { paymentId sequence occurredAt } }`;

interface Subscriber {
  client: Client;
  /** Last sequence seen per payment. */
  seen: Map<string, number>;
}

async function main(): Promise<void> {
  const url = process.env.BENCH_SUB_URL!;
  const token = process.env.BENCH_SUB_TOKEN!;
  const accountId = process.env.BENCH_SUB_ACCOUNT!;
  const count = Number(process.env.BENCH_SUB_COUNT);
  let warmUp = '';
  let connected = 0;
  const latencies: number[] = [];
  let duplicates = 0;
  let outOfOrder = 0;
  let measuring = false;
  let expected: Record<string, number> | null = null;
  let onProgress = () => {};

  const subscribers: Subscriber[] = [];
  for (let i = 0; i < count; i++) {
    const client = createClient({
      url: url.replace(/^http/, 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      on: { connected: () => void (++connected === count && process.send!({ connected })) },
    });
    const subscriber: Subscriber = { client, seen: new Map() };
    subscribers.push(subscriber);
    client.subscribe<{ accountPaymentUpdated: { paymentId: string; sequence: number; occurredAt: string } }>(
      { query: QUERY, variables: { accountId } },
      {
        next: ({ data }) => {
          const event = data!.accountPaymentUpdated;
          const arrived = Date.now();
          const last = subscriber.seen.get(event.paymentId) ?? 0;
          if (event.sequence <= last) duplicates++;
          else {
            if (event.sequence !== last + 1) outOfOrder++;
            subscriber.seen.set(event.paymentId, event.sequence);
          }
          if (measuring && event.paymentId !== warmUp) latencies.push(arrived - Date.parse(event.occurredAt));
          onProgress();
        },
        error: (error) => console.error('subscriber failed', error),
        complete: () => {},
      },
    );
  }

  const everyoneHas = (want: Record<string, number>) => {
    const wanted = Object.entries(want);
    return () => subscribers.every((s) => wanted.every(([id, sequence]) => (s.seen.get(id) ?? 0) >= sequence));
  };
  // The check runs on every delivery until it holds, and then no more: left in place, it would cost
  // the subscribers' process a pass over every subscriber per delivery, and its delay the figures.
  const until = (done: () => boolean, ms: number) =>
    new Promise<void>((resolve) => {
      const finish = () => {
        onProgress = () => {};
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      onProgress = () => void (done() && finish());
      onProgress();
    });

  process.on('message', async (message: { warmUp?: { paymentId: string; lastSequence: number }; expect?: Record<string, number> }) => {
    if (message.warmUp) {
      const want = { [message.warmUp.paymentId]: message.warmUp.lastSequence };
      warmUp = message.warmUp.paymentId;
      await until(everyoneHas(want), 20_000);
      measuring = true;
      duplicates = 0;
      outOfOrder = 0;
      process.send!({ ready: subscribers.filter((s) => (s.seen.get(warmUp) ?? 0) >= message.warmUp!.lastSequence).length });
    }
    if (message.expect) {
      expected = message.expect;
      await until(everyoneHas(expected), 15_000);
      let missing = 0;
      for (const s of subscribers) {
        for (const [id, sequence] of Object.entries(expected)) missing += sequence - Math.min(sequence, s.seen.get(id) ?? 0);
      }
      const report: FanOutReport = {
        subscribers: count,
        deliveries: latencies.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
        duplicates,
        outOfOrder,
        missing,
      };
      process.send!({ report });
      await Promise.all(subscribers.map((s) => s.client.dispose()));
      process.exit(0);
    }
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
