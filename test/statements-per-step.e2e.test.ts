import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPayment, fund, openAccount, step } from './support/flows';
import { startServer, type TestClient, type TestServer } from './support/server';
import { StatementCounter, listing } from './support/statement-counter';

/**
 * What each step of an account payment costs in SQL statements, transaction control included
 * (begin, commit), on the warm path (the caller's token already seen). A rise is a regression: the
 * figures are the statements the work needs (issue 7), pinned per step.
 */
const EXPECTED: Record<string, number> = {
  createAccountPayment: 3,
  addPaymentTransaction: 5,
  authorizePayment: 7,
  executePayment: 8,
  repeatedExecutePayment: 4,
};


describe('statements per payment step', () => {
  let server: TestServer;
  let merchant: TestClient;
  let buyer: string;
  let seller: string;
  const counter = new StatementCounter();

  before(async () => {
    server = await startServer({
      // No background job, and the token believed for the whole test: the warm path, deterministic.
      config: { schedulerPollMs: 3_600_000, tokenCacheMs: 3_600_000 },
      onQuery: counter.onQuery,
    });
    merchant = await server.client();
    const operator = await server.operator();
    buyer = await openAccount(server, merchant, 'EUR', 'buyer');
    seller = await openAccount(server, merchant, 'EUR', 'seller');
    await fund(server, operator, buyer, '100.00');
    // Warm: one payment end to end, so that token and metadata caches are what a busy server has.
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'warm' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '1.00' });
    await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
    await step(server, merchant, 'executePayment', { paymentId: payment.id });
  });
  after(() => server.close());


  it('costs each step only the statements its work needs', async (t) => {
    const figures: Record<string, number> = {};
    const listings: string[] = [];
    const measure = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
      const { result, sql } = await counter.count(run);
      figures[name] = sql.length;
      listings.push(`${name}: ${sql.length}\n${listing(sql)}`);
      return result;
    };
    const created = await measure('createAccountPayment', () => createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'counted' }));
    assert.deepEqual(created.userErrors, []);
    const paymentId = created.payment.id;
    const added = await measure('addPaymentTransaction', () => step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '2.50' }));
    assert.equal(added.payment.amount.value, '250');
    assert.equal(added.transaction.state, 'PENDING');
    const authorized = await measure('authorizePayment', () => step(server, merchant, 'authorizePayment', { paymentId }));
    assert.equal(authorized.payment.flowState, 'authorized');
    const executed = await measure('executePayment', () => step(server, merchant, 'executePayment', { paymentId, idempotencyKey: 'execute-counted' }));
    assert.equal(executed.payment.state, 'COMPLETED');
    const repeated = await measure('repeatedExecutePayment', () => step(server, merchant, 'executePayment', { paymentId, idempotencyKey: 'execute-counted' }));
    assert.deepEqual(repeated, executed);

    t.diagnostic(`statements per step: ${JSON.stringify(figures)}`);
    assert.deepEqual(figures, EXPECTED, listings.join('\n'));
  });
});
