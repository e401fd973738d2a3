import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Client as WsClient } from 'graphql-ws';
import { createPayment, fund, openAccount, step } from './support/flows';
import { startServer, type TestClient, type TestServer } from './support/server';
import { open, type Sub, within } from './support/watch';

/** How long a test waits to be reasonably sure that something does *not* arrive. */
const QUIET_MS = 500;

const PAYMENT_EVENT = `id paymentId sequence type state flowState amount { value assetCode } data occurredAt`;
const BALANCE_EVENT = `accountId sequence occurredAt balance { posted { value } reserved { value } available { value } }`;

const watchPayment = (ws: WsClient, paymentId: string) =>
  open(ws, 'paymentUpdated', `subscription($id: ID!) { paymentUpdated(paymentId: $id) { ${PAYMENT_EVENT} } }`, { id: paymentId });
const watchAccountPayments = (ws: WsClient, accountId: string) =>
  open(ws, 'accountPaymentUpdated', `subscription($id: ID!) { accountPaymentUpdated(accountId: $id) { ${PAYMENT_EVENT} } }`, { id: accountId });
const watchBalance = (ws: WsClient, accountId: string) =>
  open(ws, 'accountBalanceUpdated', `subscription($id: ID!) { accountBalanceUpdated(accountId: $id) { ${BALANCE_EVENT} } }`, { id: accountId });

/**
 * graphql-ws does not acknowledge a subscribe, and the server attaches to the pub/sub (a Redis
 * SUBSCRIBE) asynchronously, so a change made right after `subscribe()` may be missed. A test makes
 * a real change (the probe) until every sub has received something, then waits for the last probe's
 * own event: from then on nothing is missed. Returns how many probes it took.
 */
async function goLive(subs: Sub[], probe: (attempt: number) => Promise<(event: any) => boolean>, attempts = 20, waitMs = 250): Promise<number> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const marker = await probe(attempt);
    const live = await within(waitMs, subs, (s) => s.events().length > 0 || s.c.errors.length > 0);
    for (const s of subs) assert.deepEqual(s.c.errors, [], 'a subscription failed while going live');
    if (live) {
      for (const s of subs) await s.c.waitFor(() => s.events().some(marker), 5000);
      return attempt;
    }
  }
  throw new Error(`subscriptions not live after ${attempts} probes`);
}

/** Codes of what a subscription failed with: GraphQL error codes, or `close:<code>` for a closed socket. */
function errorCodes(sub: Sub): string[] {
  return sub.c.errors.flatMap((error: any) =>
    Array.isArray(error) ? error.map((e) => String(e.extensions?.code)) : [error && typeof error.code === 'number' ? `close:${error.code}` : String(error)],
  );
}

function assertConsecutive(sequences: number[], from: number, what: string): void {
  assert.deepEqual(sequences, sequences.map((_, i) => from + i), `${what}: sequences must increase by exactly 1 from ${from}`);
}

async function readPayment(server: TestServer, client: TestClient, id: string, afterSequence: number | null = null) {
  const data = await server.ok(
    client.token,
    `query($id: ID!, $after: Int) { payment(id: $id) { lastSequence state events(afterSequence: $after) { ${PAYMENT_EVENT} } } }`,
    { id, after: afterSequence },
  );
  return data.payment as { lastSequence: number; state: string; events: any[] };
}

async function readBalance(server: TestServer, client: TestClient, accountId: string) {
  const data = await server.ok(
    client.token,
    `query($id: ID!) { account(id: $id) { balanceVersion balance { posted { value } reserved { value } available { value } } } }`,
    { id: accountId },
  );
  const a = data.account;
  return { version: a.balanceVersion as number, posted: a.balance.posted.value as string, reserved: a.balance.reserved.value as string, available: a.balance.available.value as string };
}

const values = (e: any) => ({ posted: e.balance.posted.value, reserved: e.balance.reserved.value, available: e.balance.available.value });

describe('subscriptions over graphql-ws', () => {
  let server: TestServer;
  let operator: TestClient;
  let merchant: TestClient;
  let ws: WsClient;
  let buyer: string;
  let seller: string;

  before(async () => {
    server = await startServer();
    operator = await server.operator();
    merchant = await server.client();
    ws = server.ws(merchant.token);
    buyer = await openAccount(server, merchant, 'EUR', 'buyer');
    seller = await openAccount(server, merchant, 'EUR', 'seller');
    await fund(server, operator, buyer, '1000.00');
  });
  // Let the server finish unsubscribing the stopped streams before it disconnects from Redis: an
  // UNSUBSCRIBE still in flight at that moment rejects unhandled (see src/events/pubsub.ts).
  after(async () => {
    await sleep(200);
    await server.close();
  });

  it('paymentUpdated delivers every committed change in order; events(afterSequence) returns exactly the missed ones', async () => {
    const created = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'sub-flow' });
    assert.deepEqual(created.userErrors, []);
    const paymentId = created.payment.id;
    const seenBeforeSubscribing = created.payment.lastSequence;
    assert.equal(seenBeforeSubscribing, 1);
    // A change the client cannot see: it commits before the client subscribes (as while disconnected).
    const unseen = await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '2.00', idempotencyKey: 'unseen' });
    assert.equal(unseen.payment.lastSequence, 2);

    const sub = watchPayment(ws, paymentId);
    await goLive([sub], async (attempt) => {
      const added = await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '1.00', idempotencyKey: `probe-${attempt}` });
      assert.deepEqual(added.userErrors, []);
      return (e) => e.sequence === added.payment.lastSequence;
    });
    const first = sub.events()[0].sequence;
    assert.ok(first > seenBeforeSubscribing, 'the first event seen is one committed after subscribing');

    // A client that subscribed late catches up from the last sequence it knew.
    const catchUp = (await readPayment(server, merchant, paymentId, seenBeforeSubscribing)).events;
    const missed = catchUp.filter((e) => e.sequence < first);
    assert.deepEqual(missed.map((e) => e.sequence), Array.from({ length: first - seenBeforeSubscribing - 1 }, (_, i) => seenBeforeSubscribing + 1 + i));
    assert.ok(missed.length >= 1 && missed[0].data.transactionId === unseen.transaction.id, 'the change made before subscribing is caught up');
    assert.ok(missed.every((e) => e.type === 'payment.transaction_added'));
    assert.deepEqual(catchUp.filter((e) => e.sequence >= first), sub.events(), 'the stream and the history agree on what followed');
    assert.deepEqual((await readPayment(server, merchant, paymentId, first - 1)).events, sub.events());

    // Changes made back to back, without waiting for the stream in between.
    const received = sub.events().length;
    const add = await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '10.00', idempotencyKey: 'main' });
    const authorized = await step(server, merchant, 'authorizePayment', { paymentId });
    const executed = await step(server, merchant, 'executePayment', { paymentId });
    for (const r of [add, authorized, executed]) assert.deepEqual(r.userErrors, []);
    const last = executed.payment.lastSequence;
    await sub.c.waitFor(() => sub.events().some((e) => e.sequence === last));

    const all = sub.events();
    assertConsecutive(all.map((e) => e.sequence), first, 'paymentUpdated');
    assert.equal(all.at(-1).sequence, last);
    const tail = all.slice(received);
    assert.deepEqual(
      tail.map((e) => [e.type, e.state, e.flowState, e.amount.value]),
      [
        ['payment.transaction_added', 'PENDING', 'pending', add.payment.amount.value],
        ['payment.authorized', 'ACCEPTED', 'authorized', add.payment.amount.value],
        ['payment.completed', 'COMPLETED', 'completed', add.payment.amount.value],
      ],
    );
    assert.equal(tail[0].data.transactionId, add.transaction.id);
    assert.ok(tail.every((e) => e.paymentId === paymentId && e.amount.assetCode === 'EUR'));

    const history = await readPayment(server, merchant, paymentId);
    assert.equal(history.lastSequence, last);
    assertConsecutive(history.events.map((e) => e.sequence), 1, 'history');
    assert.deepEqual(history.events.slice(first - 1), all, 'each pushed event equals its stored record');
    assert.deepEqual(new Set(all.map((e) => e.id)).size, all.length, 'no event delivered twice');
    sub.stop();
  });

  it('accountPaymentUpdated streams the payments of an account, on both sides; accountBalanceUpdated streams its balances', async () => {
    const bystanderFrom = await openAccount(server, merchant, 'EUR', 'bystander-from');
    const bystanderTo = await openAccount(server, merchant, 'EUR', 'bystander-to');
    const ofBuyer = watchAccountPayments(ws, buyer);
    const ofSeller = watchAccountPayments(ws, seller);
    const buyerBalance = watchBalance(ws, buyer);
    const sellerBalance = watchBalance(ws, seller);

    await goLive([ofBuyer, ofSeller], async (attempt) => {
      const probe = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: `ap-probe-${attempt}` });
      return (e) => e.paymentId === probe.payment.id;
    });
    // Funding is a balance change too: the probes of the balance streams are deposits.
    await goLive([buyerBalance], async (attempt) => {
      await fund(server, operator, buyer, '100.00', `bal-probe-buyer-${attempt}`);
      const { version } = await readBalance(server, merchant, buyer);
      return (e) => e.sequence === version;
    });
    await goLive([sellerBalance], async (attempt) => {
      await fund(server, operator, seller, '1.00', `bal-probe-seller-${attempt}`);
      const { version } = await readBalance(server, merchant, seller);
      return (e) => e.sequence === version;
    });
    for (const [sub, account] of [[buyerBalance, buyer], [sellerBalance, seller]] as const) {
      const now = await readBalance(server, merchant, account);
      const lastEvent = sub.events().at(-1);
      assert.equal(lastEvent.accountId, account);
      assert.deepEqual(values(lastEvent), { posted: now.posted, reserved: now.reserved, available: now.available }, 'a deposit is pushed with the balances after it');
    }
    const marks = { ofBuyer: ofBuyer.events().length, ofSeller: ofSeller.events().length, buyerBalance: buyerBalance.events().length, sellerBalance: sellerBalance.events().length };
    const buyerBefore = await readBalance(server, merchant, buyer);
    const sellerBefore = await readBalance(server, merchant, seller);

    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'ap-main' });
    // Another payment of the same client between two other accounts: not the buyer's business.
    const other = await createPayment(server, merchant, { accountId: bystanderFrom, sellerId: bystanderTo, requestId: 'ap-bystander' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: other.payment.id, amount: '1.00', idempotencyKey: 'bystander-1' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '25.00', idempotencyKey: 'ap-1' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '5.00', idempotencyKey: 'ap-2' });
    const authorized = await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
    assert.deepEqual(authorized.userErrors, []);
    await buyerBalance.c.waitFor(() => buyerBalance.events().length > marks.buyerBalance);
    const executed = await step(server, merchant, 'executePayment', { paymentId: payment.id });
    assert.deepEqual(executed.userErrors, []);

    const expected = [
      [1, 'payment.created', 'PENDING'],
      [2, 'payment.transaction_added', 'PENDING'],
      [3, 'payment.transaction_added', 'PENDING'],
      [4, 'payment.authorized', 'ACCEPTED'],
      [5, 'payment.completed', 'COMPLETED'],
    ];
    for (const [sub, mark, side] of [[ofBuyer, marks.ofBuyer, 'payer'], [ofSeller, marks.ofSeller, 'beneficiary']] as const) {
      await sub.c.waitFor(() => sub.events().some((e) => e.paymentId === payment.id && e.sequence === 5));
      const fresh = sub.events().slice(mark);
      assert.deepEqual(fresh.map((e) => [e.sequence, e.type, e.state]), expected, `${side} side`);
      assert.ok(fresh.every((e) => e.paymentId === payment.id), `${side} side: only payments the account takes part in`);
      assert.ok(!sub.events().some((e) => e.paymentId === other.payment.id));
    }

    // Buyer: the authorization reserves, the execution posts and releases.
    await buyerBalance.c.waitFor(() => buyerBalance.events().length >= marks.buyerBalance + 2);
    await sellerBalance.c.waitFor(() => sellerBalance.events().length >= marks.sellerBalance + 1);
    const buyerEvents = buyerBalance.events();
    assertConsecutive(buyerEvents.map((e) => e.sequence), buyerEvents[0].sequence, 'buyer balance');
    const [reserved, posted] = buyerEvents.slice(marks.buyerBalance);
    const before = BigInt(buyerBefore.posted);
    assert.equal(reserved.sequence, buyerBefore.version + 1);
    assert.deepEqual(values(reserved), { posted: String(before), reserved: '3000', available: String(before - 3000n) });
    assert.equal(posted.sequence, buyerBefore.version + 2);
    assert.deepEqual(values(posted), { posted: String(before - 3000n), reserved: '0', available: String(before - 3000n) });
    assert.ok(Date.parse(posted.occurredAt) >= Date.parse(reserved.occurredAt));
    const buyerAfter = await readBalance(server, merchant, buyer);
    assert.equal(buyerAfter.version, posted.sequence, 'the last pushed sequence is the account balanceVersion');

    const sellerEvents = sellerBalance.events();
    assertConsecutive(sellerEvents.map((e) => e.sequence), sellerEvents[0].sequence, 'seller balance');
    const credited = sellerEvents.slice(marks.sellerBalance);
    assert.equal(credited.length, 1);
    assert.equal(credited[0].sequence, sellerBefore.version + 1);
    const sellerPosted = BigInt(sellerBefore.posted) + 3000n;
    assert.deepEqual(values(credited[0]), { posted: String(sellerPosted), reserved: '0', available: String(sellerPosted) });

    await sleep(200);
    assert.equal(buyerBalance.events().length, marks.buyerBalance + 2, 'no extra buyer balance event');
    assert.equal(sellerBalance.events().length, marks.sellerBalance + 1, 'no extra seller balance event');
    for (const s of [ofBuyer, ofSeller, buyerBalance, sellerBalance]) s.stop();
  });

  describe('refusals', () => {
    let paymentId: string;
    let stranger: TestClient;

    before(async () => {
      stranger = await server.client(undefined, 'Stranger');
      const created = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'refusals' });
      paymentId = created.payment.id;
    });

    /** A change on the merchant's payment, seen by the merchant's own live subscriber: the control that events do flow. */
    async function controlEvent(tag: string): Promise<void> {
      const own = watchPayment(ws, paymentId);
      await goLive([own], async (attempt) => {
        const added = await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '0.01', idempotencyKey: `${tag}-${attempt}` });
        assert.deepEqual(added.userErrors, []);
        return (e) => e.sequence === added.payment.lastSequence;
      });
      own.stop();
    }

    for (const [name, token] of [
      ['a bad token', 'pgat_not-a-token'],
      ['no token', null],
    ] as const) {
      it(`rejects a connection with ${name} at connection_init`, async () => {
        const client = server.ws(token);
        let acknowledged = false;
        client.on('connected', () => (acknowledged = true));
        const sub = watchPayment(client, paymentId);
        await sub.c.waitFor((c) => c.errors.length > 0 || c.completed);
        assert.deepEqual(errorCodes(sub), ['close:4403'], 'closed with 4403 Forbidden');
        assert.equal(acknowledged, false, 'no connection_ack');
        await controlEvent(`bad-conn-${token ?? 'none'}`);
        assert.deepEqual(sub.events(), []);
      });
    }

    it("refuses another client's payment and accounts, and sends it nothing", async () => {
      const strangerWs = server.ws(stranger.token);
      const subs = [watchPayment(strangerWs, paymentId), watchAccountPayments(strangerWs, buyer), watchBalance(strangerWs, buyer)];
      for (const s of subs) {
        await s.c.waitFor((c) => c.errors.length > 0);
        assert.deepEqual(errorCodes(s), ['NOT_FOUND']);
      }
      await controlEvent('stranger');
      await fund(server, operator, buyer, '1.00');
      await sleep(QUIET_MS);
      for (const s of subs) assert.deepEqual(s.events(), []);
    });

    it('refuses payment subscriptions to a token without payments:read (FORBIDDEN), and balances without accounts:read', async () => {
      const noPaymentsRead = await server.token(merchant.id, merchant.secret, 'accounts:read accounts:write payments:write');
      const client = server.ws(noPaymentsRead);
      const byPayment = watchPayment(client, paymentId);
      const byAccount = watchAccountPayments(client, buyer);
      for (const s of [byPayment, byAccount]) {
        await s.c.waitFor((c) => c.errors.length > 0);
        assert.deepEqual(errorCodes(s), ['FORBIDDEN']);
      }
      // The same token may watch balances (accounts:read): the refusal is about the scope, not the connection.
      const balances = watchBalance(client, buyer);
      await goLive([balances], async (attempt) => {
        await fund(server, operator, buyer, '1.00', `scope-probe-${attempt}`);
        const { version } = await readBalance(server, merchant, buyer);
        return (e) => e.sequence === version;
      });
      await controlEvent('no-payments-read');
      assert.deepEqual(byPayment.events(), []);
      assert.deepEqual(byAccount.events(), []);
      balances.stop();

      const paymentsReadOnly = await server.token(merchant.id, merchant.secret, 'payments:read');
      const noBalances = watchBalance(server.ws(paymentsReadOnly), buyer);
      await noBalances.c.waitFor((c) => c.errors.length > 0);
      assert.deepEqual(errorCodes(noBalances), ['FORBIDDEN']);
    });

    it("pushes to the owner of the receiving account the payments another client created into it, and nothing else of that client", async () => {
      const clientA = await server.client(undefined, 'Client A');
      const clientB = await server.client(undefined, 'Client B');
      const accountA = await openAccount(server, clientA, 'EUR', 'A');
      const sharedX = await openAccount(server, clientB, 'EUR', 'B shop');
      const otherY = await openAccount(server, clientB, 'EUR', 'B other');
      await fund(server, operator, accountA, '50.00');
      const wsA = server.ws(clientA.token);
      const wsB = server.ws(clientB.token);

      const paymentsOfB = new Set<string>();
      const bOnX = watchAccountPayments(wsB, sharedX);
      await goLive([bOnX], async (attempt) => {
        const probe = await createPayment(server, clientB, { accountId: sharedX, sellerId: otherY, requestId: `b-probe-${attempt}` });
        paymentsOfB.add(probe.payment.id);
        return (e) => e.paymentId === probe.payment.id;
      });
      // A watches its own account: proof that A's events were published (to X's topic as well).
      const aOnOwn = watchAccountPayments(wsA, accountA);
      await goLive([aOnOwn], async (attempt) => {
        const probe = await createPayment(server, clientA, { accountId: accountA, sellerId: sharedX, requestId: `a-probe-${attempt}` });
        return (e) => e.paymentId === probe.payment.id;
      });
      // A may not watch B's account even though its payments pay into it.
      const aOnX = watchAccountPayments(wsA, sharedX);
      await aOnX.c.waitFor((c) => c.errors.length > 0);
      assert.deepEqual(errorCodes(aOnX), ['NOT_FOUND']);

      const { payment } = await createPayment(server, clientA, { accountId: accountA, sellerId: sharedX, requestId: 'a-into-x' });
      await step(server, clientA, 'addPaymentTransaction', { paymentId: payment.id, amount: '10.00', idempotencyKey: 'a-1' });
      await step(server, clientA, 'authorizePayment', { paymentId: payment.id });
      const executed = await step(server, clientA, 'executePayment', { paymentId: payment.id });
      assert.equal(executed.payment.state, 'COMPLETED');
      const control = await createPayment(server, clientB, { accountId: sharedX, sellerId: otherY, requestId: 'b-control' });
      paymentsOfB.add(control.payment.id);

      // A's payment from A's own account to A's own account touches nothing of B.
      const aInternal = await openAccount(server, clientA, 'EUR', 'A other');
      const internal = await createPayment(server, clientA, { accountId: accountA, sellerId: aInternal, requestId: 'a-internal' });

      await aOnOwn.c.waitFor(() => aOnOwn.events().some((e) => e.paymentId === payment.id && e.sequence === 4));
      await aOnOwn.c.waitFor(() => aOnOwn.events().some((e) => e.paymentId === internal.payment.id));
      await bOnX.c.waitFor(() => bOnX.events().some((e) => e.paymentId === control.payment.id));
      await bOnX.c.waitFor(() => bOnX.events().some((e) => e.paymentId === payment.id && e.sequence === 4));
      await sleep(QUIET_MS);
      assert.deepEqual(aOnOwn.events().filter((e) => e.paymentId === payment.id).map((e) => e.sequence), [1, 2, 3, 4]);
      assert.deepEqual(bOnX.events().filter((e) => e.paymentId === payment.id).map((e) => e.sequence), [1, 2, 3, 4], "B receives A's payment into B's account");
      assert.deepEqual(bOnX.events().filter((e) => e.paymentId === internal.payment.id), [], "B receives nothing of A's payments between A's own accounts");
      // Reads agree with the stream: B reads the payment and sees it in its account's payments.
      const read = await server.ok(clientB.token, `query($id: ID!, $acct: ID!) { payment(id: $id) { id } account(id: $acct) { payments(first: 100) { nodes { id } } } }`, { id: payment.id, acct: sharedX });
      assert.equal(read.payment?.id, payment.id);
      assert.ok(read.account.payments.nodes.some((n: any) => n.id === payment.id));
      assert.ok(bOnX.events().some((e) => e.paymentId === control.payment.id), "B's own control event did arrive");
      assert.deepEqual(aOnX.events(), []);
      bOnX.stop();
      aOnOwn.stop();
    });
  });

  describe('events are published only after commit', () => {
    it('a mutation refused with userErrors pushes nothing; a recorded decline is pushed', async () => {
      const poor = await openAccount(server, merchant, 'EUR', 'poor');
      await fund(server, operator, poor, '1.00');
      const { payment } = await createPayment(server, merchant, { accountId: poor, sellerId: seller, requestId: 'after-commit' });
      const paymentId = payment.id;
      const sub = watchPayment(ws, paymentId);
      const poorBalance = watchBalance(ws, poor);
      let firstTransaction = '';
      await goLive([sub], async (attempt) => {
        const added = await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '5.00', idempotencyKey: `ac-probe-${attempt}` });
        firstTransaction ||= added.transaction.id;
        return (e) => e.sequence === added.payment.lastSequence;
      });
      await goLive([poorBalance], async (attempt) => {
        await fund(server, operator, poor, '0.01', `ac-bal-probe-${attempt}`);
        const { version } = await readBalance(server, merchant, poor);
        return (e) => e.sequence === version;
      });
      const { lastSequence } = await readPayment(server, merchant, paymentId);
      const mark = sub.events().length;
      const balanceMark = poorBalance.events().length;
      const balanceBefore = await readBalance(server, merchant, poor);

      const refused: Array<[string, Record<string, unknown>, string]> = [
        ['addPaymentTransaction', { paymentId, amount: '1.001', idempotencyKey: 'ac-precise' }, 'AMOUNT_TOO_PRECISE'],
        ['addPaymentTransaction', { paymentId, amount: '9.99', idempotencyKey: 'ac-probe-1' }, 'IDEMPOTENCY_KEY_REUSED'],
        ['executePayment', { paymentId }, 'ILLEGAL_TRANSITION'],
        ['cancelPaymentTransaction', { paymentId, transactionId: 'txn_nope' }, 'NOT_FOUND'],
      ];
      for (const [mutation, input, code] of refused) {
        const result = await step(server, merchant, mutation, input);
        assert.equal(result.userErrors[0]?.code, code, mutation);
      }
      const badFund = await server.ok(
        operator.token,
        `mutation($input: FundAccountInput!) { fundAccount(input: $input) { userErrors { code } } }`,
        { input: { accountId: poor, amount: '0.001', idempotencyKey: 'ac-bad-fund' } },
      );
      assert.equal(badFund.fundAccount.userErrors[0]?.code, 'AMOUNT_TOO_PRECISE');
      assert.equal((await readPayment(server, merchant, paymentId)).lastSequence, lastSequence, 'refusals recorded nothing');

      // A decline is a business refusal that *is* committed: it is recorded and pushed, with no balance change.
      const declined = await step(server, merchant, 'authorizePayment', { paymentId });
      assert.equal(declined.userErrors[0]?.code, 'INSUFFICIENT_FUNDS');
      await sub.c.waitFor(() => sub.events().length > mark);
      await sleep(QUIET_MS);
      assert.deepEqual(
        sub.events().slice(mark).map((e) => [e.sequence, e.type, e.state, e.data.reason]),
        [[lastSequence + 1, 'payment.declined', 'REJECTED', 'INSUFFICIENT_FUNDS']],
      );
      assert.equal(poorBalance.events().length, balanceMark, 'neither the refused deposit nor the decline changed the balance');
      assert.equal((await readBalance(server, merchant, poor)).version, balanceBefore.version);
      sub.stop();
      poorBalance.stop();
    });

    it('a balance change rolled back with its transaction is never pushed', async () => {
      // Funding an account moves money from the asset's settlement account. Customer ids (acct_0…)
      // sort before acct_settlement_…, so the ledger updates the customer's balance (and records its
      // balance event) first, then fails on the settlement account once the asset's total would pass
      // the int64 limit: the whole transaction, recorded event included, rolls back.
      const rich = await openAccount(server, merchant, 'CHF', 'rich');
      const target = await openAccount(server, merchant, 'CHF', 'target');
      assert.ok(target < 'acct_settlement_CHF', 'the customer account is updated before the settlement account');
      await fund(server, operator, rich, '92233720368547758.07');
      const sub = watchBalance(ws, target);
      // The probes pay the target from the rich account.
      let probeCount = 0;
      const pay = async (requestId: string, amount: string) => {
        const { payment } = await createPayment(server, merchant, { accountId: rich, sellerId: target, requestId, currency: 'CHF' });
        await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount, idempotencyKey: `${requestId}-t` });
        await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
        const done = await step(server, merchant, 'executePayment', { paymentId: payment.id });
        assert.equal(done.payment.state, 'COMPLETED');
      };
      await goLive([sub], async (attempt) => {
        probeCount = attempt;
        await pay(`chf-probe-${attempt}`, '0.01');
        const { version } = await readBalance(server, merchant, target);
        return (e) => e.sequence === version;
      });
      const before = await readBalance(server, merchant, target);
      assert.equal(before.posted, String(probeCount));
      const mark = sub.events().length;

      const refused = await server.ok(
        operator.token,
        `mutation($input: FundAccountInput!) { fundAccount(input: $input) { userErrors { code field } } }`,
        { input: { accountId: target, amount: '0.01', idempotencyKey: 'chf-overflow' } },
      );
      assert.equal(refused.fundAccount.userErrors.length, 1, 'the deposit is refused');
      assert.deepEqual(await readBalance(server, merchant, target), before, 'and rolled back');

      await pay('chf-control', '0.02');
      await sub.c.waitFor(() => sub.events().length > mark);
      await sleep(QUIET_MS);
      const fresh = sub.events().slice(mark);
      assert.deepEqual(
        fresh.map((e) => [e.sequence, e.balance.posted.value]),
        [[before.version + 1, String(probeCount + 2)]],
        'only the committed payment is pushed, not the rolled-back deposit',
      );
      sub.stop();
    });
  });
});
