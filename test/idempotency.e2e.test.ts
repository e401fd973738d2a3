import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { balance, createPayment, ledgerReport, openAccount, PAYMENT_FIELDS, step } from './support/flows';
import { startServer, usingPostgres, type TestClient, type TestServer } from './support/server';

/**
 * Idempotency keys over the public API: `requestId` on createAccountPayment (scoped to the client),
 * `idempotencyKey` on addPaymentTransaction, the payment steps and fundAccount. The same key with the
 * same input returns the first result (and the object as it is now); with another input it is refused
 * with IDEMPOTENCY_KEY_REUSED; concurrent duplicates have exactly one effect.
 */

const CREATE = `mutation($input: CreateAccountPaymentInput!) { createAccountPayment(input: $input) { ${PAYMENT_FIELDS} } }`;
const ADD = `mutation($input: AddPaymentTransactionInput!) { addPaymentTransaction(input: $input) { ${PAYMENT_FIELDS} } }`;
const FUND = `mutation($input: FundAccountInput!) { fundAccount(input: $input) { account { id balance { posted { value } } } userErrors { code field message } } }`;

function db(): string {
  return usingPostgres ? 'postgresql' : 'sqlite';
}

async function fundWithKey(server: TestServer, operator: TestClient, accountId: string, amount: string, idempotencyKey: string) {
  const data = await server.ok(operator.token, FUND, { input: { accountId, amount, idempotencyKey } });
  return data.fundAccount;
}

async function readPayment(server: TestServer, client: TestClient, id: string) {
  const data = await server.ok(
    client.token,
    `query($id: ID!) { payment(id: $id) { id state flowState requestId reference amount { value } lastSequence
       transactions { id state amount { value } } events { sequence type } } }`,
    { id },
  );
  return data.payment;
}

async function paymentsOf(server: TestServer, client: TestClient, accountId: string) {
  const data = await server.ok(
    client.token,
    `query($id: ID!) { account(id: $id) { payments(first: 100) { nodes { id requestId } pageInfo { hasNextPage } } } }`,
    { id: accountId },
  );
  assert.equal(data.account.payments.pageInfo.hasNextPage, false);
  return data.account.payments.nodes as Array<{ id: string; requestId: string }>;
}

/** Sends the same request `n` times at once; fails on any top-level error (a duplicate must never crash). */
async function storm(server: TestServer, token: string, query: string, variables: Record<string, unknown>, n: number, label: string) {
  const started = performance.now();
  const responses = await Promise.all(Array.from({ length: n }, () => server.gql(token, query, variables)));
  console.log(`# ${db()} ${label}: ${(performance.now() - started).toFixed(0)} ms`);
  const failed = responses.filter((r) => r.status !== 200 || r.errors?.length || !r.data);
  assert.equal(failed.length, 0, `${label}: ${failed.length} of ${n} failed at the top level, e.g. ${JSON.stringify(failed.slice(0, 2))}`);
  return responses.map((r) => r.data);
}

describe('idempotency keys over GraphQL', () => {
  let server: TestServer;
  let merchant: TestClient;
  let operator: TestClient;
  let buyer: string;
  let seller: string;

  before(async () => {
    server = await startServer();
    merchant = await server.client();
    operator = await server.operator();
    buyer = await openAccount(server, merchant, 'EUR', 'buyer');
    seller = await openAccount(server, merchant, 'EUR', 'seller');
    await fundWithKey(server, operator, buyer, '100.00', `initial-${buyer}`);
  });
  after(() => server.close());

  it('same requestId and same input: the same payment, as it is now', async () => {
    const input = { accountId: buyer, sellerId: seller, requestId: 'same-1', reference: 'order 1' };
    const first = await createPayment(server, merchant, input);
    assert.deepEqual(first.userErrors, []);
    assert.equal(first.payment.amount.value, '0');
    const paymentId = first.payment.id;

    const repeat = await createPayment(server, merchant, input);
    assert.deepEqual(repeat.userErrors, []);
    assert.equal(repeat.payment.id, paymentId);

    const added = await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '12.34', idempotencyKey: 'same-1-t1' });
    assert.deepEqual(added.userErrors, []);
    const later = await createPayment(server, merchant, input);
    assert.deepEqual(later.userErrors, []);
    assert.equal(later.payment.id, paymentId);
    assert.equal(later.payment.amount.value, '1234');
    assert.equal(later.payment.amount.formatted, '12.34');
    assert.equal(later.payment.state, 'PENDING');

    // A repeat records nothing: the history is the creation and the transaction only.
    const read = await readPayment(server, merchant, paymentId);
    assert.deepEqual(read.events.map((e: any) => e.type), ['payment.created', 'payment.transaction_added']);
    assert.equal(later.payment.lastSequence, 2);

    // And it still replays once the payment moved on.
    await step(server, merchant, 'authorizePayment', { paymentId });
    const afterAuthorize = await createPayment(server, merchant, input);
    assert.equal(afterAuthorize.payment.id, paymentId);
    assert.equal(afterAuthorize.payment.state, 'ACCEPTED');
    assert.equal(afterAuthorize.payment.lastSequence, 3);
  });

  it('same requestId with a different input: IDEMPOTENCY_KEY_REUSED on requestId, nothing written', async () => {
    const other = await openAccount(server, merchant, 'EUR', 'other seller');
    const input = { accountId: buyer, sellerId: seller, requestId: 'reuse-1', reference: 'first' };
    const first = await createPayment(server, merchant, input);
    assert.deepEqual(first.userErrors, []);
    const before = (await paymentsOf(server, merchant, buyer)).length;

    const variants: Array<[string, Record<string, unknown>]> = [
      ['sellerId', { sellerId: other }],
      ['reference', { reference: 'second' }],
      ['no reference', { reference: null }],
    ];
    for (const [what, override] of variants) {
      const result = await createPayment(server, merchant, { ...input, ...override } as any);
      assert.equal(result.payment, null, what);
      assert.deepEqual(result.userErrors.map((e: any) => [e.code, e.field]), [['IDEMPOTENCY_KEY_REUSED', ['requestId']]], what);
    }
    assert.equal((await paymentsOf(server, merchant, buyer)).length, before);
    const read = await readPayment(server, merchant, first.payment.id);
    assert.equal(read.reference, 'first');
    assert.equal(read.lastSequence, 1);
    // The original request still replays after the refusals.
    assert.equal((await createPayment(server, merchant, input)).payment.id, first.payment.id);
  });

  it('20 identical createAccountPayment requests at once create exactly one payment', async () => {
    const payer = await openAccount(server, merchant, 'EUR', 'burst payer');
    const results = await storm(
      server,
      merchant.token,
      CREATE,
      { input: { accountId: payer, sellerId: seller, requestId: 'burst-1', currency: 'EUR', reference: 'burst' } },
      20,
      '20 identical createAccountPayment',
    );
    for (const r of results) assert.deepEqual(r.createAccountPayment.userErrors, []);
    const ids = new Set(results.map((r) => r.createAccountPayment.payment.id));
    assert.equal(ids.size, 1, `ids: ${[...ids].join(', ')}`);
    const [id] = [...ids];
    const listed = await paymentsOf(server, merchant, payer);
    assert.deepEqual(listed, [{ id, requestId: 'burst-1' }]);
    const read = await readPayment(server, merchant, id);
    assert.deepEqual(read.events.map((e: any) => e.type), ['payment.created']);
  });

  it('requestId is scoped to the client: another client may use the same one for its own payment', async () => {
    const input = { accountId: buyer, sellerId: seller, requestId: 'shared-id' };
    const mine = await createPayment(server, merchant, input);
    assert.deepEqual(mine.userErrors, []);

    const rival = await server.client(undefined, 'Rival merchant');
    const rivalBuyer = await openAccount(server, rival, 'EUR', 'rival buyer');
    const rivalSeller = await openAccount(server, rival, 'EUR', 'rival seller');
    const theirs = await createPayment(server, rival, { accountId: rivalBuyer, sellerId: rivalSeller, requestId: 'shared-id' });
    assert.deepEqual(theirs.userErrors, []);
    assert.notEqual(theirs.payment.id, mine.payment.id);
    assert.equal(theirs.payment.requestId, 'shared-id');

    // Neither replay leaks the other's payment, and neither can read the other's.
    assert.equal((await createPayment(server, merchant, input)).payment.id, mine.payment.id);
    assert.equal((await createPayment(server, rival, { accountId: rivalBuyer, sellerId: rivalSeller, requestId: 'shared-id' })).payment.id, theirs.payment.id);
    assert.equal((await server.ok(rival.token, `query($id: ID!) { payment(id: $id) { id } }`, { id: mine.payment.id })).payment, null);
    assert.equal((await server.ok(merchant.token, `query($id: ID!) { payment(id: $id) { id } }`, { id: theirs.payment.id })).payment, null);

    // The rival reusing the id for a payment from the merchant's account is refused as not found, not as a replay.
    const sneaky = await createPayment(server, rival, { accountId: buyer, sellerId: rivalSeller, requestId: 'shared-id-2' });
    assert.deepEqual(sneaky.userErrors.map((e: any) => [e.code, e.field]), [['NOT_FOUND', ['accountId']]]);
  });

  it('idempotencyKey on addPaymentTransaction: a repeat returns the same transaction and adds once', async () => {
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'tx-key' });
    const input = { paymentId: payment.id, amount: '7.50', idempotencyKey: 'tx-key-1', reference: 'line 1' };
    const first = await step(server, merchant, 'addPaymentTransaction', input);
    assert.deepEqual(first.userErrors, []);
    assert.equal(first.payment.amount.value, '750');
    const repeat = await step(server, merchant, 'addPaymentTransaction', input);
    assert.deepEqual(repeat.userErrors, []);
    assert.equal(repeat.transaction.id, first.transaction.id);
    assert.equal(repeat.payment.amount.value, '750');

    const otherAmount = await step(server, merchant, 'addPaymentTransaction', { ...input, amount: '8.00' });
    assert.equal(otherAmount.payment, null);
    assert.equal(otherAmount.transaction, null);
    assert.deepEqual(otherAmount.userErrors.map((e: any) => [e.code, e.field]), [['IDEMPOTENCY_KEY_REUSED', ['idempotencyKey']]]);
    const otherReference = await step(server, merchant, 'addPaymentTransaction', { ...input, reference: 'line 2' });
    assert.deepEqual(otherReference.userErrors.map((e: any) => [e.code, e.field]), [['IDEMPOTENCY_KEY_REUSED', ['idempotencyKey']]]);

    // The key is the client's: using it for another payment or another operation is a reuse too.
    const { payment: second } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'tx-key-other' });
    const elsewhere = await step(server, merchant, 'addPaymentTransaction', { ...input, paymentId: second.id });
    assert.deepEqual(elsewhere.userErrors.map((e: any) => [e.code, e.field]), [['IDEMPOTENCY_KEY_REUSED', ['idempotencyKey']]]);
    const asStep = await step(server, merchant, 'authorizePayment', { paymentId: payment.id, idempotencyKey: 'tx-key-1' });
    assert.deepEqual(asStep.userErrors.map((e: any) => [e.code, e.field]), [['IDEMPOTENCY_KEY_REUSED', ['idempotencyKey']]]);

    const read = await readPayment(server, merchant, payment.id);
    assert.equal(read.amount.value, '750');
    assert.deepEqual(read.transactions.map((t: any) => t.id), [first.transaction.id]);
    assert.equal(read.state, 'PENDING');
    assert.deepEqual(read.events.map((e: any) => e.type), ['payment.created', 'payment.transaction_added']);
  });

  it('20 identical addPaymentTransaction requests at once add one transaction', async () => {
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'tx-burst' });
    const results = await storm(
      server,
      merchant.token,
      ADD,
      { input: { paymentId: payment.id, amount: '3.33', idempotencyKey: 'tx-burst-1' } },
      20,
      '20 identical addPaymentTransaction',
    );
    for (const r of results) assert.deepEqual(r.addPaymentTransaction.userErrors, []);
    const txIds = new Set(results.map((r) => r.addPaymentTransaction.transaction.id));
    assert.equal(txIds.size, 1);
    const read = await readPayment(server, merchant, payment.id);
    assert.equal(read.amount.value, '333');
    assert.deepEqual(read.transactions.map((t: any) => t.id), [...txIds]);
    assert.deepEqual(read.events.map((e: any) => e.type), ['payment.created', 'payment.transaction_added']);
  });

  it('idempotencyKey on fundAccount: a repeat credits once, even 20 at once; another amount is refused', async () => {
    const account = await openAccount(server, merchant, 'EUR', 'funded');
    const first = await fundWithKey(server, operator, account, '25.00', 'deposit-1');
    assert.deepEqual(first.userErrors, []);
    const repeat = await fundWithKey(server, operator, account, '25.00', 'deposit-1');
    assert.deepEqual(repeat.userErrors, []);
    assert.equal(repeat.account.id, account);
    assert.deepEqual(await balance(server, merchant, account), { posted: '2500', reserved: '0', available: '2500' });

    const other = await fundWithKey(server, operator, account, '26.00', 'deposit-1');
    assert.equal(other.account, null);
    assert.deepEqual(other.userErrors.map((e: any) => [e.code, e.field]), [['IDEMPOTENCY_KEY_REUSED', ['idempotencyKey']]]);

    const results = await storm(server, operator.token, FUND, { input: { accountId: account, amount: '10.00', idempotencyKey: 'deposit-2' } }, 20, '20 identical fundAccount');
    for (const r of results) assert.deepEqual(r.fundAccount.userErrors, []);
    assert.deepEqual(await balance(server, merchant, account), { posted: '3500', reserved: '0', available: '3500' });
    const version = await server.ok(merchant.token, `query($id: ID!) { account(id: $id) { balanceVersion } }`, { id: account });
    assert.equal(version.account.balanceVersion, 2);
    const eur = (await ledgerReport(server, operator)).find((r) => r.assetCode === 'EUR')!;
    assert.equal(eur.postedSum, '0');
    assert.equal(eur.driftingAccounts, 0);
  });

  it('authorizePayment with a key: a repeat after success returns the same result, reserving once', async () => {
    const account = await openAccount(server, merchant, 'EUR', 'authorizer');
    await fundWithKey(server, operator, account, '50.00', `auth-fund-${account}`);
    const { payment } = await createPayment(server, merchant, { accountId: account, sellerId: seller, requestId: 'auth-key' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '20.00', idempotencyKey: 'auth-key-t' });

    const first = await step(server, merchant, 'authorizePayment', { paymentId: payment.id, idempotencyKey: 'auth-1' });
    assert.deepEqual(first.userErrors, []);
    assert.equal(first.payment.state, 'ACCEPTED');
    const repeat = await step(server, merchant, 'authorizePayment', { paymentId: payment.id, idempotencyKey: 'auth-1' });
    assert.deepEqual(repeat.userErrors, []);
    assert.equal(repeat.payment.id, payment.id);
    assert.equal(repeat.payment.state, 'ACCEPTED');
    assert.equal(repeat.payment.lastSequence, first.payment.lastSequence);
    assert.deepEqual(await balance(server, merchant, account), { posted: '5000', reserved: '2000', available: '3000' });

    // Without the key the same step is a new request, and an illegal one now.
    const unkeyed = await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
    assert.deepEqual(unkeyed.userErrors.map((e: any) => e.code), ['ILLEGAL_TRANSITION']);

    // Concurrent duplicates of a keyed execute: one posting.
    const results = await storm(
      server,
      merchant.token,
      `mutation($input: PaymentStepInput!) { executePayment(input: $input) { ${PAYMENT_FIELDS} } }`,
      { input: { paymentId: payment.id, idempotencyKey: 'exec-1' } },
      10,
      '10 identical keyed executePayment',
    );
    for (const r of results) {
      assert.deepEqual(r.executePayment.userErrors, []);
      assert.equal(r.executePayment.payment.state, 'COMPLETED');
    }
    assert.deepEqual(await balance(server, merchant, account), { posted: '3000', reserved: '0', available: '3000' });
    // The authorization's key still replays, showing the payment as it is now.
    const late = await step(server, merchant, 'authorizePayment', { paymentId: payment.id, idempotencyKey: 'auth-1' });
    assert.deepEqual(late.userErrors, []);
    assert.equal(late.payment.state, 'COMPLETED');
    const read = await readPayment(server, merchant, payment.id);
    assert.deepEqual(read.events.map((e: any) => e.type), ['payment.created', 'payment.transaction_added', 'payment.authorized', 'payment.completed']);
  });

  it('10 identical keyed authorizations at once reserve once', async () => {
    const account = await openAccount(server, merchant, 'EUR', 'burst authorizer');
    await fundWithKey(server, operator, account, '10.00', `auth-burst-${account}`);
    const { payment } = await createPayment(server, merchant, { accountId: account, sellerId: seller, requestId: 'auth-burst' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '4.00', idempotencyKey: 'auth-burst-t' });
    const results = await storm(
      server,
      merchant.token,
      `mutation($input: PaymentStepInput!) { authorizePayment(input: $input) { ${PAYMENT_FIELDS} } }`,
      { input: { paymentId: payment.id, idempotencyKey: 'auth-burst-1' } },
      10,
      '10 identical keyed authorizePayment',
    );
    for (const r of results) {
      assert.deepEqual(r.authorizePayment.userErrors, []);
      assert.equal(r.authorizePayment.payment.state, 'ACCEPTED');
    }
    assert.deepEqual(await balance(server, merchant, account), { posted: '1000', reserved: '400', available: '600' });
    const eur = (await ledgerReport(server, operator)).find((r) => r.assetCode === 'EUR')!;
    assert.equal(eur.driftingAccounts, 0);
  });

  it('a declined authorization repeated with the same key returns the same INSUFFICIENT_FUNDS decline', async () => {
    const poor = await openAccount(server, merchant, 'EUR', 'poor');
    await fundWithKey(server, operator, poor, '5.00', `poor-${poor}`);
    const { payment } = await createPayment(server, merchant, { accountId: poor, sellerId: seller, requestId: 'decline-key' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '5.01', idempotencyKey: 'decline-key-t' });

    const first = await step(server, merchant, 'authorizePayment', { paymentId: payment.id, idempotencyKey: 'decline-1' });
    assert.deepEqual(first.userErrors.map((e: any) => [e.code, e.field]), [['INSUFFICIENT_FUNDS', ['paymentId']]]);
    assert.equal(first.payment.state, 'REJECTED');
    assert.equal(first.payment.flowState, 'declined');

    // Funds arriving in between do not change the replay: the decline was final.
    await fundWithKey(server, operator, poor, '100.00', `poor-later-${poor}`);
    const repeat = await step(server, merchant, 'authorizePayment', { paymentId: payment.id, idempotencyKey: 'decline-1' });
    assert.deepEqual(repeat.userErrors, first.userErrors);
    assert.equal(repeat.payment.id, payment.id);
    assert.equal(repeat.payment.state, 'REJECTED');
    assert.equal(repeat.payment.lastSequence, first.payment.lastSequence);

    const fresh = await step(server, merchant, 'authorizePayment', { paymentId: payment.id, idempotencyKey: 'decline-2' });
    assert.deepEqual(fresh.userErrors.map((e: any) => e.code), ['ILLEGAL_TRANSITION']);
    assert.deepEqual(await balance(server, merchant, poor), { posted: '10500', reserved: '0', available: '10500' });
    const read = await readPayment(server, merchant, payment.id);
    assert.deepEqual(read.events.map((e: any) => e.type), ['payment.created', 'payment.transaction_added', 'payment.declined']);
    assert.deepEqual(read.transactions.map((t: any) => t.state), ['DECLINED']);
  });

  it('a request refused for a business reason leaves its key free', async () => {
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'free-key' });
    const empty = await step(server, merchant, 'authorizePayment', { paymentId: payment.id, idempotencyKey: 'free-1' });
    assert.deepEqual(empty.userErrors.map((e: any) => e.code), ['PAYMENT_EMPTY']);
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '1.00', idempotencyKey: 'free-key-t' });
    const retried = await step(server, merchant, 'authorizePayment', { paymentId: payment.id, idempotencyKey: 'free-1' });
    assert.deepEqual(retried.userErrors, []);
    assert.equal(retried.payment.state, 'ACCEPTED');
  });
});
