import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** A GraphQL endpoint and the bearer token a merchant backend sends to it. */
export interface Endpoint {
  url: string;
  token: string;
}

/**
 * The load generator runs in the bench's process, beside the in-process server: node:http over
 * kept-alive connections costs it a fraction of what fetch does, so the figures are the server's.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export async function gql<T = any>(endpoint: Endpoint, query: string, variables?: Record<string, unknown>): Promise<T> {
  const body = JSON.stringify({ query, variables });
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(
      `${endpoint.url}/graphql`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${endpoint.token}` } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  const json = JSON.parse(text) as { data?: T; errors?: unknown[] };
  if (json.errors?.length || !json.data) throw new Error(`GraphQL errors: ${JSON.stringify(json.errors)}`);
  return json.data;
}

/** The README's four mutations, asking for what a merchant backend reads back. */
const PAYLOAD = `payment { id state lastSequence } userErrors { code field message }`;
const CREATE = `mutation($input: CreateAccountPaymentInput!) { createAccountPayment(input: $input) { ${PAYLOAD} } }`;
const ADD = `mutation($input: AddPaymentTransactionInput!) { addPaymentTransaction(input: $input) { ${PAYLOAD} } }`;
const AUTHORIZE = `mutation($input: PaymentStepInput!) { authorizePayment(input: $input) { ${PAYLOAD} } }`;
const EXECUTE = `mutation($input: PaymentStepInput!) { executePayment(input: $input) { ${PAYLOAD} } }`;

export type Step = 'create' | 'add' | 'authorize' | 'execute';
export const STEPS: Step[] = ['create', 'add', 'authorize', 'execute'];

export type StepLatencies = Record<Step, number[]>;

export function emptyLatencies(): StepLatencies {
  return { create: [], add: [], authorize: [], execute: [] };
}

/** Runs `step` and records its latency; `hook` runs between steps (the statement counter waits for quiet there). */
export interface PaymentOptions {
  latencies?: StepLatencies;
  between?: () => Promise<void>;
}

/**
 * One complete account payment over GraphQL. Every step carries a unique idempotency key, so the
 * bench works whether the payment-step mutations take it as optional or as required.
 */
export async function payOverGraphql(
  endpoint: Endpoint,
  payment: { key: string; buyer: string; seller: string; amount: string },
  options: PaymentOptions = {},
): Promise<{ paymentId: string; lastSequence: number }> {
  const timed = async (step: Step, query: string, input: Record<string, unknown>, field: string) => {
    const start = performance.now();
    const data = await gql(endpoint, query, { input });
    options.latencies?.[step].push(performance.now() - start);
    const result = data[field];
    if (result.userErrors.length) throw new Error(`${field}: ${JSON.stringify(result.userErrors)}`);
    await options.between?.();
    return result.payment as { id: string; state: string; lastSequence: number };
  };
  const created = await timed('create', CREATE, { accountId: payment.buyer, sellerId: payment.seller, currency: 'EUR', requestId: payment.key }, 'createAccountPayment');
  const paymentId = created.id;
  await timed('add', ADD, { paymentId, amount: payment.amount, idempotencyKey: `${payment.key}-add` }, 'addPaymentTransaction');
  await timed('authorize', AUTHORIZE, { paymentId, idempotencyKey: `${payment.key}-authorize` }, 'authorizePayment');
  const executed = await timed('execute', EXECUTE, { paymentId, idempotencyKey: `${payment.key}-execute` }, 'executePayment');
  if (executed.state !== 'COMPLETED') throw new Error(`payment ${paymentId} ended ${executed.state}`);
  return { paymentId, lastSequence: executed.lastSequence };
}

/** `count` jobs with `concurrency` of them in flight at once (a closed loop); returns jobs per second. */
export async function closedLoop(count: number, concurrency: number, job: (n: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < count) await job(next++);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return count / ((performance.now() - started) / 1000);
}

/**
 * Starts a job every 1/rate seconds whatever the previous ones are doing (an open loop, as
 * independent clients arrive), for `seconds`; waits for the last to finish.
 */
export async function openLoop(rate: number, seconds: number, job: (n: number) => Promise<unknown>): Promise<void> {
  const started = performance.now();
  const total = Math.max(1, Math.round(rate * seconds));
  const running: Promise<unknown>[] = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    running.push(job(n));
  }
  await Promise.all(running);
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((sorted.length * p) / 100) - 1)];
}

export function summary(values: number[]): string {
  return `p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms (n=${values.length})`;
}
