import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { balance, createPayment, fund, ledgerReport, openAccount, step } from './support/flows';
import { createTestDatabase, startServer, type TestClient, type TestServer } from './support/server';
import { StatementCounter, listing } from './support/statement-counter';
import { WebhookReceiver } from './support/webhook-receiver';

const PAYMENTS = 60;
const TRANSACTIONS_PER_PAYMENT = 2;
/** Statements one request may cost whatever its page size: token, account, page, and one per loader. */
const MAX_STATEMENTS = 10;

const PAGE_QUERY = `query($id: ID!, $first: Int!) {
  account(id: $id) {
    payments(first: $first) {
      nodes {
        id
        payerAccount { id balance { available { value } } }
        beneficiaryAccount { id }
        transactions { id state }
        events { sequence }
      }
    }
  }
}`;


describe('reads that do not multiply', () => {
  let server: TestServer;
  let merchant: TestClient;
  let buyer: string;
  let seller: string;
  const counter = new StatementCounter();

  before(async () => {
    server = await startServer({
      // Jobs run only when a test calls runDue: a background retry would change what is measured.
      // Tokens stay resolved for the whole file, so that every measured request is a warm one.
      config: { schedulerPollMs: 3_600_000, tokenCacheMs: 3_600_000 },
      onQuery: counter.onQuery,
    });
    merchant = await server.client();
    const operator = await server.operator();
    buyer = await openAccount(server, merchant, 'EUR', 'buyer');
    seller = await openAccount(server, merchant, 'EUR', 'seller');
    await fund(server, operator, buyer, '1000.00');
    for (let i = 0; i < PAYMENTS; i++) {
      const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: `count-${i}` });
      for (let t = 0; t < TRANSACTIONS_PER_PAYMENT; t++) {
        const added = await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '1.00', idempotencyKey: `count-${i}-${t}` });
        assert.deepEqual(added.userErrors, []);
      }
    }
    // Let the publication of the last commits finish, so that only the measured request is counted.
    await counter.quiet();
  });
  after(() => server.close());

  /** The SQL statements issued while serving one request for a page of `first` payments. */
  async function statementsFor(first: number): Promise<{ sql: string[]; nodes: any[] }> {
    const { result: data, sql } = await counter.count(() => server.ok(merchant.token, PAGE_QUERY, { id: buyer, first }));
    return { sql, nodes: data.account.payments.nodes };
  }

  it('costs the same number of statements for a page of 10 and a page of 50', async (t) => {
    const small = await statementsFor(10);
    const large = await statementsFor(50);

    for (const [first, { nodes }] of [[10, small], [50, large]] as const) {
      assert.equal(nodes.length, first);
      for (const node of nodes) {
        assert.equal(node.payerAccount.id, buyer);
        assert.equal(node.payerAccount.balance.available.value, '100000');
        assert.equal(node.beneficiaryAccount.id, seller);
        assert.equal(node.transactions.length, TRANSACTIONS_PER_PAYMENT);
        assert.ok(node.transactions.every((tx: any) => tx.state === 'PENDING'));
        assert.deepEqual(node.events.map((e: any) => e.sequence), [1, 2, 3]);
      }
    }
    assert.deepEqual(large.nodes.slice(0, 10).map((n: any) => n.id), small.nodes.map((n: any) => n.id));

    t.diagnostic(`statements: first 10 → ${small.sql.length}, first 50 → ${large.sql.length}`);
    assert.equal(large.sql.length, small.sql.length, `first 10:\n${listing(small.sql)}\nfirst 50:\n${listing(large.sql)}`);
    assert.ok(small.sql.length <= MAX_STATEMENTS, `${small.sql.length} statements for one page:\n${listing(small.sql)}`);
  });

  it('costs the same for the payments of 3 accounts and of 30 (Account.payments is batched)', async (t) => {
    for (let i = 0; i < 28; i++) {
      const account = await openAccount(server, merchant, 'EUR', `many-${i}`);
      await createPayment(server, merchant, { accountId: account, sellerId: seller, requestId: `many-${i}` });
    }
    await counter.quiet();
    const query = `query($first: Int!) { accounts(first: $first) { nodes { id payments(first: 5) { nodes { id payerAccountId beneficiaryAccountId } } } } }`;
    const measure = async (first: number) => {
      const { result: data, sql } = await counter.count(() => server.ok(merchant.token, query, { first }));
      return { sql, nodes: data.accounts.nodes };
    };
    const small = await measure(3);
    const large = await measure(30);
    t.diagnostic(`statements: 3 accounts → ${small.sql.length}, 30 accounts → ${large.sql.length}`);
    assert.equal(large.sql.length, small.sql.length, large.sql.join('\n'));
    assert.ok(small.sql.length <= MAX_STATEMENTS);
    assert.equal(large.nodes.length, 30);
    for (const account of large.nodes) {
      assert.ok(account.payments.nodes.length >= 1 && account.payments.nodes.length <= 5, account.id);
      assert.ok(account.payments.nodes.every((p: any) => p.payerAccountId === account.id || p.beneficiaryAccountId === account.id));
    }
  });

  it('costs the same for 5 and 30 webhook deliveries with their attempts', async (t) => {
    const receiver = await WebhookReceiver.start(() => 500);
    try {
      const { db, webhooks, scheduler } = server.app.services;
      for (let i = 0; i < 30; i++) {
        await db.transaction((tx) => webhooks.enqueue(tx, { clientId: merchant.id, url: receiver.url(), eventType: 'X', body: { i }, scheme: 'standard' }));
      }
      await scheduler.runDue();
      await counter.quiet();
      const query = `query($first: Int!) { webhookDeliveries(first: $first) { nodes { id state attempts { number status } } } }`;
      const measure = async (first: number) => {
        const { result: data, sql } = await counter.count(() => server.ok(merchant.token, query, { first }));
        return { sql, nodes: data.webhookDeliveries.nodes };
      };
      const small = await measure(5);
      const large = await measure(30);
      assert.equal(large.nodes.length, 30);
      assert.ok(large.nodes.every((n: any) => n.state === 'PENDING' && n.attempts.length === 1 && n.attempts[0].status === 500));
      t.diagnostic(`statements: first 5 → ${small.sql.length}, first 30 → ${large.sql.length}`);
      assert.equal(large.sql.length, small.sql.length, large.sql.join('\n'));
      assert.ok(small.sql.length <= MAX_STATEMENTS);
    } finally {
      await receiver.close();
    }
  });
});

describe('tokens on a warm path', () => {
  it('resolves the token of a repeated request from memory: no token statement after the first', async () => {
    let statements: string[] = [];
    const server = await startServer({ config: { tokenCacheMs: 3_600_000 }, onQuery: (sql) => statements.push(sql) });
    try {
      const merchant = await server.client();
      const tokenStatements = () => statements.filter((sql) => /access_token/.test(sql));
      statements = [];
      await server.ok(merchant.token, '{ viewer { id } }');
      assert.equal(tokenStatements().length, 1, 'the first request looks the token up');
      statements = [];
      for (let i = 0; i < 5; i++) await server.ok(merchant.token, '{ viewer { id } }');
      assert.deepEqual(tokenStatements(), [], 'warm requests look no token up');
      // The cache holds what the database said: an unknown token is still refused.
      assert.equal((await server.gql('pgat_unknown', '{ viewer { id } }')).status, 401);
    } finally {
      await server.close();
    }
  });
});

describe('a restart', () => {
  it('keeps accounts, balances and clients', async () => {
    const database = await createTestDatabase();
    try {
      const first = await startServer({ database });
      let merchant: TestClient;
      let accountId: string;
      try {
        merchant = await first.client();
        const operator = await first.operator();
        accountId = await openAccount(first, merchant, 'EUR', 'survivor');
        await fund(first, operator, accountId, '12.34');
        assert.deepEqual(await balance(first, merchant, accountId), { posted: '1234', reserved: '0', available: '1234' });
      } finally {
        await first.close();
      }

      const second = await startServer({ database });
      try {
        // The client registered before the restart can still get a token: it was stored, not held in memory.
        const token = await second.token(merchant.id, merchant.secret);
        const again: TestClient = { ...merchant, token };
        const read = await second.ok(token, `query($id: ID!) { account(id: $id) { id name assetCode } }`, { id: accountId });
        assert.deepEqual(read.account, { id: accountId, name: 'survivor', assetCode: 'EUR' });
        assert.deepEqual(await balance(second, again, accountId), { posted: '1234', reserved: '0', available: '1234' });
        const operator = await second.operator();
        assert.deepEqual(await ledgerReport(second, operator), [{ assetCode: 'EUR', accounts: 2, postedSum: '0', driftingAccounts: 0 }]);
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
    }
  });
});
