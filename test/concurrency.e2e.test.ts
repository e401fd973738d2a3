import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { balance, createPayment, ledgerReport, openAccount, PAYMENT_FIELDS, step } from './support/flows';
import { startServer, subscribe, usingPostgres, type TestClient, type TestServer } from './support/server';

/**
 * Many requests in flight at once against the real server over HTTP: spends on one account must
 * never overdraw it or lose an update, steps racing on one payment must produce exactly one outcome,
 * and the ledger must balance afterwards. Runs on SQLite, and on PostgreSQL with DATABASE_URL.
 */

const STEP_INPUT: Record<string, string> = {
  addPaymentTransaction: 'AddPaymentTransactionInput',
  cancelPaymentTransaction: 'CancelPaymentTransactionInput',
  authorizePayment: 'PaymentStepInput',
  executePayment: 'PaymentStepInput',
  cancelPayment: 'PaymentStepInput',
};

/** One mutation over HTTP; top-level errors are returned, not thrown, so that a storm can count them. */
async function send(server: TestServer, client: TestClient, mutation: string, input: Record<string, unknown>) {
  const keyed = { idempotencyKey: `${mutation}-${randomUUID()}`, ...input };
  const response = await server.gql(client.token, `mutation($input: ${STEP_INPUT[mutation]}!) { ${mutation}(input: $input) { ${PAYMENT_FIELDS} } }`, { input: keyed });
  return { status: response.status, errors: response.errors, payload: response.data?.[mutation] };
}

async function fundOnce(server: TestServer, operator: TestClient, accountId: string, amount: string, idempotencyKey: string) {
  const response = await server.gql(
    operator.token,
    `mutation($input: FundAccountInput!) { fundAccount(input: $input) { account { id } userErrors { code field message } } }`,
    { input: { accountId, amount, idempotencyKey } },
  );
  return { status: response.status, errors: response.errors, payload: response.data?.fundAccount };
}

function assertNoTopLevelErrors(results: Array<{ status: number; errors?: unknown[] }>, what: string): void {
  const failed = results.filter((r) => r.status !== 200 || r.errors?.length);
  assert.equal(failed.length, 0, `${what}: ${failed.length} requests failed at the top level, e.g. ${JSON.stringify(failed.slice(0, 3))}`);
}

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await run();
  console.log(`# ${usingPostgres ? 'postgresql' : 'sqlite'} ${label}: ${(performance.now() - start).toFixed(0)} ms`);
  return result;
}

async function readPayment(server: TestServer, client: TestClient, id: string) {
  const data = await server.ok(
    client.token,
    `query($id: ID!) { payment(id: $id) { id state flowState amount { value } lastSequence transactions { id state amount { value } } events { sequence type state } } }`,
    { id },
  );
  return data.payment;
}

async function balanceVersion(server: TestServer, client: TestClient, id: string): Promise<number> {
  const data = await server.ok(client.token, `query($id: ID!) { account(id: $id) { balanceVersion } }`, { id });
  return data.account.balanceVersion;
}

describe('concurrency over HTTP', () => {
  let server: TestServer;
  let merchant: TestClient;
  let operator: TestClient;

  before(async () => {
    server = await startServer();
    merchant = await server.client();
    operator = await server.operator();
  });
  after(() => server.close());

  it('100 concurrent authorizations of 1.00 on one buyer funded with 37.00: exactly 37 accepted, 63 declined, never overdrawn', async () => {
    const buyer = await openAccount(server, merchant, 'EUR', 'storm buyer');
    const seller = await openAccount(server, merchant, 'EUR', 'storm seller');

    await fundOnce(server, operator, buyer, '37.00', `storm-fund-${buyer}`);
    assert.deepEqual(await balance(server, merchant, buyer), { posted: '3700', reserved: '0', available: '3700' });

    // Every balance change of the buyer, as committed. The subscription is live once it has seen a probe
    // (a 0.01 reservation voided at once: two balance changes, no net effect).
    const { collector, stop } = subscribe(
      server.ws(merchant.token),
      `subscription($id: ID!) { accountBalanceUpdated(accountId: $id) { sequence balance { posted { value } reserved { value } available { value } } } }`,
      { id: buyer },
    );
    for (let probe = 0; !collector.items.length; probe++) {
      assert.ok(probe < 20, 'the balance subscription never went live');
      const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: `probe-${probe}` });
      await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '0.01', idempotencyKey: `probe-${probe}` });
      await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
      await step(server, merchant, 'cancelPayment', { paymentId: payment.id });
      await collector.waitFor((c) => c.items.length > 0, 250).catch(() => undefined);
    }
    assert.deepEqual(await balance(server, merchant, buyer), { posted: '3700', reserved: '0', available: '3700' });
    const base = await balanceVersion(server, merchant, buyer);

    const ids = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const created = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: `storm-${i}` });
        assert.deepEqual(created.userErrors, []);
        const added = await step(server, merchant, 'addPaymentTransaction', { paymentId: created.payment.id, amount: '1.00', idempotencyKey: `storm-${i}` });
        assert.deepEqual(added.userErrors, []);
        return created.payment.id as string;
      }),
    );
    assert.equal(new Set(ids).size, 100);

    const results = await timed('100 concurrent authorizePayment', () => Promise.all(ids.map((paymentId) => send(server, merchant, 'authorizePayment', { paymentId }))));
    assertNoTopLevelErrors(results, 'authorizePayment');
    const accepted = results.filter((r) => r.payload.userErrors.length === 0);
    const declined = results.filter((r) => r.payload.userErrors.length > 0);
    console.log(`# ${usingPostgres ? 'postgresql' : 'sqlite'} authorized ${accepted.length}, declined ${declined.length}`);
    assert.equal(accepted.length, 37);
    assert.equal(declined.length, 63);
    for (const r of accepted) {
      assert.equal(r.payload.payment.state, 'ACCEPTED');
      assert.equal(r.payload.payment.flowState, 'authorized');
    }
    for (const r of declined) {
      assert.deepEqual(r.payload.userErrors.map((e: any) => [e.code, e.field]), [['INSUFFICIENT_FUNDS', ['paymentId']]]);
      assert.equal(r.payload.payment.state, 'REJECTED');
      assert.equal(r.payload.payment.flowState, 'declined');
    }
    assert.deepEqual(await balance(server, merchant, buyer), { posted: '3700', reserved: '3700', available: '0' });
    assert.deepEqual(await ledgerReport(server, operator), [{ assetCode: 'EUR', accounts: 3, postedSum: '0', driftingAccounts: 0 }]);
    // One balance change per reservation, none for a decline.
    assert.equal(await balanceVersion(server, merchant, buyer), base + 37);

    // What the database says matches what the callers were told, payment by payment.
    const states = await Promise.all(ids.map((id) => readPayment(server, merchant, id)));
    const acceptedIds = new Set(accepted.map((r) => r.payload.payment.id));
    for (const p of states) {
      if (acceptedIds.has(p.id)) {
        assert.equal(p.state, 'ACCEPTED');
        assert.deepEqual(p.transactions.map((t: any) => t.state), ['PENDING']);
        assert.deepEqual(p.events.map((e: any) => e.type), ['payment.created', 'payment.transaction_added', 'payment.authorized']);
      } else {
        assert.equal(p.state, 'REJECTED');
        assert.deepEqual(p.transactions.map((t: any) => t.state), ['DECLINED']);
        assert.deepEqual(p.events.map((e: any) => e.type), ['payment.created', 'payment.transaction_added', 'payment.declined']);
      }
    }

    const executed = await timed('37 concurrent executePayment', () =>
      Promise.all([...acceptedIds].map((paymentId) => send(server, merchant, 'executePayment', { paymentId }))),
    );
    assertNoTopLevelErrors(executed, 'executePayment');
    for (const r of executed) {
      assert.deepEqual(r.payload.userErrors, []);
      assert.equal(r.payload.payment.state, 'COMPLETED');
    }
    assert.deepEqual(await balance(server, merchant, buyer), { posted: '0', reserved: '0', available: '0' });
    assert.deepEqual(await balance(server, merchant, seller), { posted: '3700', reserved: '0', available: '3700' });
    assert.deepEqual(await ledgerReport(server, operator), [{ assetCode: 'EUR', accounts: 3, postedSum: '0', driftingAccounts: 0 }]);
    assert.equal(await balanceVersion(server, merchant, buyer), base + 37 + 37);

    // Every committed balance of the buyer after the probes, in sequence order: no gap, no duplicate,
    // never overdrawn; first the 37 reservations one by one, then the 37 postings.
    // (The outbox delivers at least once: a repeat carries the same sequence and is dropped, as a client would.)
    const distinct = () => {
      const bySequence = new Map<number, any>();
      for (const item of collector.items as any[]) {
        const e = item.accountBalanceUpdated;
        if (e.sequence <= base) continue;
        const seen = bySequence.get(e.sequence);
        if (seen) assert.deepEqual(e, seen, `two different balances under sequence ${e.sequence}`);
        bySequence.set(e.sequence, e);
      }
      return [...bySequence.values()].sort((a, b) => a.sequence - b.sequence);
    };
    await collector.waitFor(() => distinct().length >= 74, 10_000);
    stop();
    const events = distinct();
    assert.deepEqual(events.map((e: any) => e.sequence), Array.from({ length: 74 }, (_, i) => base + i + 1));
    events.forEach((e: any, i: number) => {
      const posted = BigInt(e.balance.posted.value);
      const reserved = BigInt(e.balance.reserved.value);
      assert.ok(posted >= 0n && reserved >= 0n && posted - reserved >= 0n, `balance event ${e.sequence}: ${JSON.stringify(e.balance)}`);
      const n = BigInt(i + 1);
      if (i < 37) assert.deepEqual([posted, reserved], [3700n, n * 100n], `reservation ${i + 1}`);
      else assert.deepEqual([posted, reserved], [3700n - (n - 37n) * 100n, 3700n - (n - 37n) * 100n], `posting ${i - 36}`);
    });
  });

  it('authorize, cancel and execute racing on the same payment end in exactly one terminal outcome', async () => {
    const buyer = await openAccount(server, merchant, 'EUR', 'race buyer');
    const seller = await openAccount(server, merchant, 'EUR', 'race seller');
    await fundOnce(server, operator, buyer, '100.00', `race-fund-${buyer}`);
    const outcomes: Record<string, number> = { COMPLETED: 0, CANCELLED: 0 };
    const rounds = 16;
    let expectedBuyer = 10000n;
    let expectedSeller = 0n;
    const started = performance.now();
    for (let round = 0; round < rounds; round++) {
      const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: `race-${round}` });
      // Two transactions, so that a double posting or a half-voided payment would show in the balances.
      await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '1.50', idempotencyKey: `race-${round}-a` });
      await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '2.25', idempotencyKey: `race-${round}-b` });

      // Vary who is first in the batch, so that on SQLite (which runs them nearly in arrival order) both
      // outcomes happen; every fourth payment is authorized before the race, so authorizations must all lose.
      const variant = round % 4;
      if (variant === 3) {
        const pre = await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
        assert.deepEqual(pre.userErrors, []);
      }
      const orders = [
        ['authorizePayment', 'executePayment', 'cancelPayment'],
        ['authorizePayment', 'cancelPayment', 'executePayment'],
        ['cancelPayment', 'authorizePayment', 'executePayment'],
        ['executePayment', 'authorizePayment', 'cancelPayment'],
      ];
      let kinds = Array.from({ length: 30 }, (_, i) => orders[variant][i % 3]);
      if (round >= 8) kinds = kinds.map((k) => ({ k, r: Math.random() })).sort((a, b) => a.r - b.r).map(({ k }) => k);
      const results = await Promise.all(kinds.map((kind) => send(server, merchant, kind, { paymentId: payment.id }).then((r) => ({ kind, ...r }))));
      assertNoTopLevelErrors(results, `round ${round}`);
      const won = (kind: string) => results.filter((r) => r.kind === kind && r.payload.userErrors.length === 0).length;
      for (const r of results) {
        if (r.payload.userErrors.length) {
          assert.deepEqual(r.payload.userErrors.map((e: any) => [e.code, e.field]), [['ILLEGAL_TRANSITION', ['paymentId']]], `${r.kind} in round ${round}`);
        }
      }
      if (variant === 3) assert.equal(won('authorizePayment'), 0, `round ${round}: re-authorized an authorized payment`);
      const authorized = variant === 3 ? 1 : won('authorizePayment');
      const executed = won('executePayment');
      const cancelled = won('cancelPayment');
      assert.ok(authorized <= 1, `round ${round}: ${authorized} authorizations succeeded`);
      assert.equal(executed + cancelled, 1, `round ${round}: executed ${executed}, cancelled ${cancelled}`);
      if (executed) assert.equal(authorized, 1, `round ${round}: executed without an authorization`);

      const read = await readPayment(server, merchant, payment.id);
      const final = executed ? 'COMPLETED' : 'CANCELLED';
      outcomes[final]++;
      assert.equal(read.state, final);
      if (executed) assert.equal(read.amount.value, '375');
      assert.deepEqual(read.transactions.map((t: any) => t.state), executed ? ['COMPLETED', 'COMPLETED'] : ['REVERTED', 'REVERTED']);
      const expectedEvents = ['payment.created', 'payment.transaction_added', 'payment.transaction_added'];
      if (authorized) expectedEvents.push('payment.authorized');
      expectedEvents.push(executed ? 'payment.completed' : 'payment.cancelled');
      assert.deepEqual(read.events.map((e: any) => e.type), expectedEvents, `round ${round}`);
      assert.deepEqual(read.events.map((e: any) => e.sequence), expectedEvents.map((_, i) => i + 1));

      if (executed) {
        expectedBuyer -= 375n;
        expectedSeller += 375n;
      }
      const after = await balance(server, merchant, buyer);
      assert.deepEqual(after, { posted: String(expectedBuyer), reserved: '0', available: String(expectedBuyer) }, `round ${round}`);
      assert.deepEqual(await balance(server, merchant, seller), { posted: String(expectedSeller), reserved: '0', available: String(expectedSeller) });
      const eur = (await ledgerReport(server, operator)).find((r) => r.assetCode === 'EUR')!;
      assert.equal(eur.postedSum, '0');
      assert.equal(eur.driftingAccounts, 0);
    }
    console.log(
      `# ${usingPostgres ? 'postgresql' : 'sqlite'} ${rounds} races of 30 steps: completed ${outcomes.COMPLETED}, cancelled ${outcomes.CANCELLED}, ${(performance.now() - started).toFixed(0)} ms`,
    );
  });

  it('concurrent transactions added to one payment with distinct keys are all kept (no lost update of the total)', async () => {
    const buyer = await openAccount(server, merchant, 'EUR');
    const seller = await openAccount(server, merchant, 'EUR');
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'many-tx' });
    const amounts = Array.from({ length: 20 }, (_, i) => `${i + 1}.0${i % 10}`);
    const results = await timed('20 concurrent addPaymentTransaction (distinct keys)', () =>
      Promise.all(amounts.map((amount, i) => send(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount, idempotencyKey: `many-${i}` }))),
    );
    assertNoTopLevelErrors(results, 'addPaymentTransaction');
    for (const r of results) assert.deepEqual(r.payload.userErrors, []);
    assert.equal(new Set(results.map((r) => r.payload.transaction.id)).size, 20);
    const total = amounts.reduce((sum, a) => sum + BigInt(a.replace('.', '')), 0n);
    const read = await readPayment(server, merchant, payment.id);
    assert.equal(read.amount.value, String(total));
    assert.equal(read.transactions.length, 20);
    assert.deepEqual(read.events.map((e: any) => e.sequence), Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('concurrent deposits into one account with distinct keys: the balance is their sum, no update lost', async () => {
    // A currency of its own, so the settlement account is also created by the racing deposits.
    const account = await openAccount(server, merchant, 'CHF', 'deposits');
    const amounts = Array.from({ length: 50 }, (_, i) => `${i + 1}.${String(i * 7 % 100).padStart(2, '0')}`);
    const results = await timed('50 concurrent fundAccount', () =>
      Promise.all(amounts.map((amount, i) => fundOnce(server, operator, account, amount, `chf-${account}-${i}`))),
    );
    assertNoTopLevelErrors(results, 'fundAccount');
    for (const r of results) assert.deepEqual(r.payload.userErrors, []);
    const sum = amounts.reduce((total, a) => total + BigInt(a.replace('.', '')), 0n);
    assert.deepEqual(await balance(server, merchant, account), { posted: String(sum), reserved: '0', available: String(sum) });
    assert.equal(await balanceVersion(server, merchant, account), 50);
    const chf = (await ledgerReport(server, operator)).find((r) => r.assetCode === 'CHF');
    assert.deepEqual(chf, { assetCode: 'CHF', accounts: 2, postedSum: '0', driftingAccounts: 0 });
  });

  it('deposits and spends racing on one account: every spend is covered and nothing is lost', async () => {
    const buyer = await openAccount(server, merchant, 'SEK', 'busy');
    const seller = await openAccount(server, merchant, 'SEK');
    await fundOnce(server, operator, buyer, '10.00', `busy-${buyer}-0`);
    const ids = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: `busy-${i}`, currency: 'SEK' });
        await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '1.00', idempotencyKey: `busy-${i}` });
        return payment.id as string;
      }),
    );
    const deposits = Array.from({ length: 20 }, (_, i) => () => fundOnce(server, operator, buyer, '1.00', `busy-${buyer}-${i + 1}`));
    const spends = ids.map((paymentId) => () => send(server, merchant, 'authorizePayment', { paymentId }));
    const mixed = spends.flatMap((spend, i) => (i % 2 === 0 && deposits[i / 2] ? [deposits[i / 2], spend] : [spend]));
    const results = await timed('20 deposits + 40 authorizations interleaved', () => Promise.all(mixed.map((run) => run())));
    assertNoTopLevelErrors(results, 'deposits and spends');
    const authResults = results.filter((r: any) => r.payload.payment !== undefined) as Array<Awaited<ReturnType<typeof send>>>;
    assert.equal(authResults.length, 40);
    const accepted = authResults.filter((r) => r.payload.userErrors.length === 0).length;
    for (const r of authResults) {
      if (r.payload.userErrors.length) assert.equal(r.payload.userErrors[0].code, 'INSUFFICIENT_FUNDS');
    }
    console.log(`# ${usingPostgres ? 'postgresql' : 'sqlite'} interleaved: ${accepted} of 40 authorized against 30.00 deposited`);
    assert.ok(accepted >= 10 && accepted <= 30, `${accepted} authorized`);
    const reserved = BigInt(accepted) * 100n;
    assert.deepEqual(await balance(server, merchant, buyer), { posted: '3000', reserved: String(reserved), available: String(3000n - reserved) });
    assert.equal(await balanceVersion(server, merchant, buyer), 21 + accepted);
    assert.deepEqual((await ledgerReport(server, operator)).find((r) => r.assetCode === 'SEK'), { assetCode: 'SEK', accounts: 3, postedSum: '0', driftingAccounts: 0 });
  });
});
