import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../src/shared/clock';
import { createPayment, fund, initiationInstruction, openAccount, step } from './support/flows';
import { captureOrder, createOrder, orderWorld, type OrderWorld } from './support/lifecycle';
import { startServer, usingPostgres, type TestServer } from './support/server';
import { StatementCounter, listing } from './support/statement-counter';

const PAYMENTS = `query($first: Int, $after: String, $filter: PaymentFilter) {
  payments(first: $first, after: $after, filter: $filter) {
    nodes { id flow state createdAt capturedAmount { value } payerAccount { id } beneficiaryAccount { id } transactions { id kind } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const ORDERS = `query($first: Int, $filter: OrderFilter) { orders(first: $first, filter: $filter) { nodes { id status captured { value } items { name } } pageInfo { hasNextPage } } }`;
const INITIATIONS = `query($first: Int, $filter: InitiationFilter) { initiations(first: $first, filter: $filter) { nodes { id state instructions { amount { value } } } pageInfo { hasNextPage } } }`;

describe(`merchant lists of payments, orders and initiations (${usingPostgres ? 'postgresql' : 'sqlite'})`, () => {
  const clock = new ManualClock();
  const counter = new StatementCounter();
  let server: TestServer;
  let world: OrderWorld;
  let token: string;
  let buyer: string;
  let seller: string;
  let other: string;
  let midpoint: string;
  const accountPayments: string[] = [];
  const orders: string[] = [];
  const initiations: string[] = [];

  before(async () => {
    server = await startServer({ clock, onQuery: counter.onQuery, config: { schedulerPollMs: 3_600_000, tokenCacheMs: 3_600_000 } });
    world = await orderWorld(server, '1000.00');
    token = world.vendor.token;
    buyer = await openAccount(server, world.vendor, 'EUR', 'buyer');
    seller = await openAccount(server, world.vendor, 'EUR', 'seller');
    other = await openAccount(server, world.vendor, 'EUR', 'other');
    await fund(server, world.operator, buyer, '1000.00');
    for (let i = 0; i < 56; i++) {
      if (i === 28) {
        clock.advance(10 * 60_000);
        midpoint = clock.now().toISOString();
        clock.advance(1000);
      }
      const { payment } = await createPayment(server, world.vendor, { accountId: buyer, sellerId: i % 4 === 0 ? other : seller, requestId: `list-${i}` });
      accountPayments.push(payment.id);
      if (i % 2 === 0) {
        await step(server, world.vendor, 'addPaymentTransaction', { paymentId: payment.id, amount: '1.00' });
        await step(server, world.vendor, 'authorizePayment', { paymentId: payment.id });
        await step(server, world.vendor, 'executePayment', { paymentId: payment.id });
      }
    }
    for (let i = 0; i < 12; i++) {
      const { order } = await createOrder(server, world, '2.00');
      orders.push(order.id);
      if (i % 3 === 0) await captureOrder(server, token, order.id);
    }
    for (let i = 0; i < 12; i++) {
      const data = await server.ok(token, `mutation($input: CreateInitiationInput!) { createInitiation(input: $input) { initiation { id } userErrors { code } } }`, {
        input: {
          clientRedirectUri: 'http://127.0.0.1:9/back',
          instructions: [initiationInstruction()],
          payerIdentity: { kind: 'individual', firstName: 'Germaine', lastName: 'Michu', birthDate: '1963-01-01' },
          idempotencyKey: `list-ini-${i}`,
        },
      });
      initiations.push(data.createInitiation.initiation.id);
    }
  });
  after(() => server.close());

  it('lists payments across flows newest first, page after page, without repeats', async () => {
    const all = [...accountPayments, ...orders, ...initiations];
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: any = await server.ok(token, PAYMENTS, { first: 30, after });
      seen.push(...data.payments.nodes.map((n: any) => n.id));
      if (!data.payments.pageInfo.hasNextPage) break;
      after = data.payments.pageInfo.endCursor;
    }
    assert.equal(seen.length, all.length);
    assert.deepEqual(seen, [...seen].sort().reverse(), 'newest first');
    assert.deepEqual(new Set(seen), new Set(all));

    const stranger = await server.client();
    assert.deepEqual((await server.ok(stranger.token, PAYMENTS, { first: 50 })).payments.nodes, [], 'another client sees none of them');
  });

  it('filters by flow, state, account and creation time', async () => {
    const ids = async (filter: Record<string, unknown>) => (await server.ok(token, PAYMENTS, { first: 100, filter })).payments.nodes.map((n: any) => n.id);
    assert.deepEqual(new Set(await ids({ flow: 'ORDER' })), new Set(orders));
    assert.deepEqual(new Set(await ids({ flow: 'INITIATION', state: 'CREATED' })), new Set(initiations));
    const completed = await ids({ flow: 'ACCOUNT_PAYMENT', state: 'COMPLETED' });
    assert.deepEqual(new Set(completed), new Set(accountPayments.filter((_, i) => i % 2 === 0)));
    assert.deepEqual(new Set(await ids({ accountId: other })), new Set(accountPayments.filter((_, i) => i % 4 === 0)));
    const early = await ids({ flow: 'ACCOUNT_PAYMENT', createdBefore: midpoint });
    const late = await ids({ flow: 'ACCOUNT_PAYMENT', createdAfter: midpoint });
    assert.deepEqual(new Set(early), new Set(accountPayments.slice(0, 28)));
    assert.deepEqual(new Set(late), new Set(accountPayments.slice(28)));
    const wrong = await server.gql(token, PAYMENTS, { first: 5, filter: { createdAfter: midpoint, createdBefore: midpoint } });
    assert.ok(wrong.errors?.length, 'an empty time range is refused');
  });

  it('lists orders and initiations with their details, filtered by their own states', async () => {
    const captured = (await server.ok(token, ORDERS, { first: 50, filter: { status: 'CAPTURED' } })).orders.nodes;
    assert.deepEqual(new Set(captured.map((o: any) => o.id)), new Set(orders.filter((_, i) => i % 3 === 0)));
    assert.ok(captured.every((o: any) => o.captured.value === '200' && o.items[0].name === 'Beans'));
    assert.equal((await server.ok(token, ORDERS, { first: 50 })).orders.nodes.length, orders.length);
    const created = (await server.ok(token, INITIATIONS, { first: 50, filter: { state: 'CREATED' } })).initiations.nodes;
    assert.deepEqual(created.map((i: any) => i.id), [...initiations].reverse());
    assert.equal(created[0].instructions[0].amount.value, '5090');
    assert.deepEqual((await server.ok(token, INITIATIONS, { first: 5, filter: { state: 'DONE' } })).initiations.nodes, []);
  });

  it('costs the same number of SQL statements for a page of 50 as for a page of 5, for each list', async () => {
    const measure = async (query: string, variables: Record<string, unknown>) => {
      await server.ok(token, query, variables);
      const { result, sql } = await counter.count(() => server.ok(token, query, variables));
      return { count: sql.length, sql, result };
    };
    for (const [name, query, filter] of [
      // Account payments: every page of them asks for accounts and transactions (initiations have none).
      ['payments', PAYMENTS, { flow: 'ACCOUNT_PAYMENT' }],
      ['orders', ORDERS, {}],
      ['initiations', INITIATIONS, {}],
    ] as const) {
      const [large, small] = name === 'payments' ? [50, 5] : [10, 2];
      const big = await measure(query, { first: large, filter });
      const little = await measure(query, { first: small, filter });
      assert.equal((big.result as any)[name].nodes.length, large);
      assert.equal(big.count, little.count, `${name}: ${large} rows\n${listing(big.sql)}\n${small} rows\n${listing(little.sql)}`);
      console.log(`# ${name}: ${big.count} statements for a page of ${large} and of ${small}`);
    }
  });
});
