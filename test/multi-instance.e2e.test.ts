import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Client as WsClient } from 'graphql-ws';
import { createPayment, fund, openAccount, step } from './support/flows';
import {
  createTestDatabase,
  startServer,
  usingPostgres,
  usingRedis,
  type TestClient,
  type TestDatabase,
  type TestServer,
} from './support/server';
import { open, type Sub } from './support/watch';

const shared = usingPostgres && usingRedis;
const SKIP = !shared && 'needs DATABASE_URL=postgres://… and REDIS_URL: with SQLite and in-process pub/sub, an event published by one instance cannot reach a subscriber of another';

/** The outbox sweeper republishes what nobody claimed after 2 s, every 1 s: wait past both to catch a double publish. */
const SWEEP_WINDOW_MS = 3500;

const PAYMENT_EVENT = `id paymentId sequence type state flowState amount { value }`;

const watchPayment = (ws: WsClient, paymentId: string) =>
  open(ws, 'paymentUpdated', `subscription($id: ID!) { paymentUpdated(paymentId: $id) { ${PAYMENT_EVENT} } }`, { id: paymentId });
const watchBalance = (ws: WsClient, accountId: string) =>
  open(
    ws,
    'accountBalanceUpdated',
    `subscription($id: ID!) { accountBalanceUpdated(accountId: $id) { accountId sequence balance { posted { value } reserved { value } } } }`,
    { id: accountId },
  );

/**
 * A subscribe is not acknowledged and the Redis SUBSCRIBE is asynchronous: make real changes (probes)
 * until every sub has received one, then wait for the last probe's own event.
 */
async function goLive(subs: Sub[], probe: (attempt: number) => Promise<(event: any) => boolean>, attempts = 20, waitMs = 300): Promise<void> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const marker = await probe(attempt);
    let live = true;
    try {
      await Promise.all(subs.map((s) => s.c.waitFor((c) => c.items.length > 0 || c.errors.length > 0, waitMs)));
    } catch {
      live = false;
    }
    for (const s of subs) assert.deepEqual(s.c.errors, [], 'a subscription failed while going live');
    if (live) {
      for (const s of subs) await s.c.waitFor(() => s.events().some(marker), 5000);
      return;
    }
  }
  throw new Error(`subscriptions not live after ${attempts} probes`);
}

describe('two instances sharing one database and one Redis', () => {
  let database: TestDatabase | undefined;
  let a: TestServer | undefined;
  let b: TestServer | undefined;

  before(async () => {
    if (!shared) return;
    database = await createTestDatabase();
    const redisPrefix = `paygrid-multi-${randomBytes(4).toString('hex')}`;
    // One after the other: each start runs the pending migrations.
    a = await startServer({ database, redisPrefix });
    b = await startServer({ database, redisPrefix });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('a subscriber on instance A receives, exactly once and in order, what is changed on instance B; tokens work on both', { skip: SKIP }, async () => {
    const A = a!;
    const B = b!;
    assert.notEqual(A.url, B.url, 'two listening instances');

    // Clients and tokens issued by A are honoured by B, and the other way round.
    const merchant = await A.client();
    const operator = await A.operator();
    const tokenFromB = await B.token(merchant.id, merchant.secret);
    /** The same client holding the token B issued. */
    const merchantViaB: TestClient = { ...merchant, token: tokenFromB };
    const buyer = await openAccount(B, merchant, 'EUR', 'buyer');
    const seller = await openAccount(A, merchantViaB, 'EUR', 'seller');
    await fund(B, operator, buyer, '100.00');
    const seen = await A.ok(merchant.token, `query($id: ID!) { account(id: $id) { id balance { posted { value } } } }`, { id: buyer });
    assert.deepEqual(seen.account, { id: buyer, balance: { posted: { value: '10000' } } }, 'A reads what B wrote');

    const created = await createPayment(B, merchant, { accountId: buyer, sellerId: seller, requestId: 'multi-1' });
    assert.deepEqual(created.userErrors, []);
    const paymentId = created.payment.id;

    // Subscribers on A (token issued by A and by B) and, as a control, on B.
    const onA = watchPayment(A.ws(merchant.token), paymentId);
    const onAWithTokenOfB = watchPayment(A.ws(tokenFromB), paymentId);
    const onB = watchPayment(B.ws(merchant.token), paymentId);
    const balanceOnA = watchBalance(A.ws(merchant.token), buyer);
    await goLive([onA, onAWithTokenOfB, onB], async (attempt) => {
      const added = await step(B, merchant, 'addPaymentTransaction', { paymentId, amount: '1.00', idempotencyKey: `multi-probe-${attempt}` });
      assert.deepEqual(added.userErrors, []);
      return (e) => e.sequence === added.payment.lastSequence;
    });
    await goLive([balanceOnA], async (attempt) => {
      await fund(B, operator, buyer, '1.00', `multi-bal-probe-${attempt}`);
      const read = await B.ok(merchant.token, `query($id: ID!) { account(id: $id) { balanceVersion } }`, { id: buyer });
      return (e) => e.sequence === read.account.balanceVersion;
    });
    const balanceMark = balanceOnA.events().length;

    // Every step on B, back to back.
    const add = await step(B, merchant, 'addPaymentTransaction', { paymentId, amount: '20.00', idempotencyKey: 'multi-main' });
    const authorized = await step(B, merchant, 'authorizePayment', { paymentId });
    const executed = await step(B, merchantViaB, 'executePayment', { paymentId });
    for (const r of [add, authorized, executed]) assert.deepEqual(r.userErrors, []);
    const last = executed.payment.lastSequence;

    for (const sub of [onA, onAWithTokenOfB, onB]) await sub.c.waitFor(() => sub.events().some((e) => e.sequence === last));
    await balanceOnA.c.waitFor(() => balanceOnA.events().length >= balanceMark + 2);
    // Long enough for both instances' outbox sweepers to have republished anything claimed twice.
    await sleep(SWEEP_WINDOW_MS);

    const history = await A.ok(merchant.token, `query($id: ID!) { payment(id: $id) { events { ${PAYMENT_EVENT} } } }`, { id: paymentId });
    const stored = history.payment.events as any[];
    assert.deepEqual(stored.map((e) => e.sequence), stored.map((_, i) => i + 1));
    for (const [name, sub] of [['A', onA], ['A, token of B', onAWithTokenOfB], ['B', onB]] as const) {
      const got = sub.events();
      const first = got[0].sequence;
      assert.deepEqual(got.map((e) => e.sequence), got.map((_, i) => first + i), `${name}: in order, each once`);
      assert.deepEqual(got, stored.slice(first - 1), `${name}: what was pushed is what was stored`);
      assert.deepEqual(
        got.slice(-3).map((e) => [e.type, e.state]),
        [['payment.transaction_added', 'PENDING'], ['payment.authorized', 'ACCEPTED'], ['payment.completed', 'COMPLETED']],
      );
    }

    const balances = balanceOnA.events();
    assert.deepEqual(balances.map((e) => e.sequence), balances.map((_, i) => balances[0].sequence + i), 'balance events in order, each once');
    const [reserved, posted] = balances.slice(balanceMark);
    assert.equal(balances.length, balanceMark + 2);
    assert.equal(reserved.balance.reserved.value, add.payment.amount.value);
    assert.equal(posted.balance.reserved.value, '0');
    assert.equal(BigInt(reserved.balance.posted.value) - BigInt(posted.balance.posted.value), BigInt(add.payment.amount.value));

    // Stop the streams and let the servers unsubscribe before they disconnect from Redis: an
    // UNSUBSCRIBE still in flight at close rejects unhandled (see src/events/pubsub.ts).
    for (const sub of [onA, onAWithTokenOfB, onB, balanceOnA]) sub.stop();
    await sleep(300);
  });
});
