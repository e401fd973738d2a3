import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { Scope } from '../src/oauth/scopes';
import { ManualClock } from '../src/shared/clock';
import type { EnqueueWebhook } from '../src/webhooks/webhook.service';
import { createTestDatabase, startServer, type TestClient, type TestServer } from './support/server';
import { WebhookReceiver } from './support/webhook-receiver';

const DAY = 86_400_000;

const DELIVERY = `id paymentId eventType url body signatureScheme state attemptCount nextAttemptAt lastStatus lastError createdAt deliveredAt
  attempts { number attemptedAt status error durationMs resend }`;

const ORDER = { id: '64b7f0c2a1e4d93b2c8f1a07', external_id: 'order-1001', status: 'approved', items: [{ name: 'Déjà vu', amount: { value: '50.90', currency_code: 'USD' }, count: 1 }] };

/** Enqueues through the service, in a transaction of its own, as a flow would in its own. */
async function enqueue(server: TestServer, client: TestClient, input: Partial<EnqueueWebhook> & { url: string }): Promise<string> {
  const { db, webhooks } = server.app.services;
  const delivery = await db.transaction((tx) =>
    webhooks.enqueue(tx, { clientId: client.id, eventType: 'PAYMENT_STATE_UPDATED', paymentId: 'pay_TEST', body: ORDER, scheme: 'iumicash', ...input }),
  );
  return delivery.id;
}

/** Tests move the clock by days, past any token's expiry: a client gets a token when it needs one. */
function fresh(server: TestServer, client: TestClient): Promise<string> {
  return server.token(client.id, client.secret);
}

async function delivery(server: TestServer, client: TestClient, id: string) {
  const data = await server.ok(await fresh(server, client), `query($id: ID!) { webhookDelivery(id: $id) { ${DELIVERY} } }`, { id });
  return data.webhookDelivery;
}

/**
 * Runs due attempts, moving the manual clock to each next one, until the delivery is no longer
 * pending; returns it as the API shows it.
 */
async function settle(server: TestServer, clock: ManualClock, client: TestClient, id: string, maxRounds = 40) {
  for (let round = 0; round < maxRounds; round++) {
    await server.app.services.scheduler.runDue();
    const row = (await server.app.services.webhooks.get({ kind: 'merchant', clientId: client.id, scopes: new Set() }, id))!;
    if (row.state !== 'pending') return delivery(server, client, id);
    if (row.nextAttemptAt! > clock.now()) clock.set(row.nextAttemptAt!);
  }
  throw new Error(`delivery ${id} still pending after ${maxRounds} rounds`);
}

async function resend(server: TestServer, client: TestClient, deliveryId: string) {
  const data = await server.ok(await fresh(server, client),
    `mutation($input: ResendWebhookDeliveryInput!) { resendWebhookDelivery(input: $input) { delivery { id state attemptCount nextAttemptAt } userErrors { code field message } } }`,
    { input: { deliveryId } },
  );
  return data.resendWebhookDelivery;
}

describe('webhook deliveries', () => {
  // Starts at the real time: `standardwebhooks` checks signature timestamps against the real clock
  // (5 min of tolerance), so the tests that verify them come first, before the clock moves by days.
  const clock = new ManualClock(new Date());
  let server: TestServer;
  let merchant: TestClient;

  before(async () => {
    server = await startServer({ clock });
    merchant = await server.client();
  });
  after(() => server.close());

  it('signs the Powens way: BI-Signature over method, path, date and body', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const id = await enqueue(server, merchant, { url: receiver.url('/webhooks/powens?source=paygrid'), scheme: 'powens', paymentId: 'pay_POWENS', body: { id: 42, state: 'done' } });
      const settled = await settle(server, clock, merchant, id);
      assert.equal(settled.state, 'DELIVERED');
      assert.equal(settled.signatureScheme, 'POWENS');
      const [request] = receiver.requests;
      const date = request.headers['bi-signature-date'];
      assert.match(date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(Date.parse(date), Math.floor(Date.parse(settled.attempts[0].attemptedAt) / 1000) * 1000);
      const expected = createHmac('sha256', merchant.webhookSecret).update(`POST./webhooks/powens.${date}.${request.body}`).digest('base64');
      assert.equal(request.headers['bi-signature'], expected);
      assert.deepEqual(new Webhook(merchant.webhookSecret).verify(request.body, request.headers), { id: 42, state: 'done' });
      assert.equal(request.headers['iumicash-signature'], undefined);
    } finally {
      await receiver.close();
    }
  });

  it('fails twice, then is delivered exactly once, with 3 attempts recorded, signed and queryable', async (t) => {
    const receiver = await WebhookReceiver.start((_, index) => (index < 2 ? 500 : 200));
    try {
      const id = await enqueue(server, merchant, { url: receiver.url('/callbacks/iumicash') });
      assert.match(id, /^whd_[0-9A-Z]{26}$/);
      const settled = await settle(server, clock, merchant, id);

      // Nothing more is sent, however long we wait.
      clock.advance(4 * DAY);
      await server.app.services.scheduler.runDue();
      assert.equal(receiver.requests.length, 3);
      assert.deepEqual(receiver.requests.map((r) => r.status), [500, 500, 200]);

      assert.equal(settled.state, 'DELIVERED');
      assert.equal(settled.attemptCount, 3);
      assert.equal(settled.lastStatus, 200);
      assert.equal(settled.lastError, null);
      assert.equal(settled.nextAttemptAt, null);
      assert.equal(settled.signatureScheme, 'IUMICASH');
      assert.equal(settled.paymentId, 'pay_TEST');
      assert.equal(settled.body, JSON.stringify(ORDER));
      assert.deepEqual(settled.attempts.map((a: any) => [a.number, a.status, a.error, a.resend]), [
        [1, 500, null, false],
        [2, 500, null, false],
        [3, 200, null, false],
      ]);
      assert.equal(settled.deliveredAt, settled.attempts[2].attemptedAt);
      for (const a of settled.attempts) assert.ok(Number.isInteger(a.durationMs) && a.durationMs >= 0 && a.durationMs < 10_000);

      // Retries fall in their windows (60 s base): the second within the first minute, the third in minutes 1 to 3.
      const created = Date.parse(settled.createdAt);
      const at = settled.attempts.map((a: any) => Date.parse(a.attemptedAt) - created);
      assert.equal(at[0], 0);
      assert.ok(at[1] > 0 && at[1] <= 60_000, `second attempt after ${at[1]} ms`);
      assert.ok(at[2] >= 60_000 && at[2] < 180_000, `third attempt after ${at[2]} ms`);
      t.diagnostic(`attempts at +0 s, +${at[1] / 1000} s, +${at[2] / 1000} s`);

      for (const [i, request] of receiver.requests.entries()) {
        assert.equal(request.method, 'POST');
        assert.equal(request.path, '/callbacks/iumicash');
        assert.equal(request.headers['content-type'], 'application/json');
        assert.equal(request.body, settled.body, 'every attempt sends the stored bytes');
        assert.equal(request.headers['webhook-id'], id);
        assert.equal(request.headers['webhook-timestamp'], String(Math.floor(Date.parse(settled.attempts[i].attemptedAt) / 1000)));
        assert.deepEqual(new Webhook(merchant.webhookSecret).verify(request.body, request.headers), ORDER);
        const expected = createHmac('sha256', merchant.webhookSecret).update(Buffer.from(request.body, 'utf8')).digest('hex');
        assert.equal(request.headers['iumicash-signature'], expected);
        assert.equal(request.headers['bi-signature'], undefined);
      }
      // Signed with another client's key, the same request does not verify.
      const other = await server.client(undefined, 'Other merchant');
      assert.throws(() => new Webhook(other.webhookSecret).verify(receiver.requests[2].body, receiver.requests[2].headers));

      const listed = await server.ok(await fresh(server, merchant),
        `{ all: webhookDeliveries(paymentId: "pay_TEST") { nodes { id state attempts { number } } pageInfo { hasNextPage } }
           delivered: webhookDeliveries(state: DELIVERED) { nodes { id } }
           dead: webhookDeliveries(state: DEAD) { nodes { id } }
           elsewhere: webhookDeliveries(paymentId: "pay_OTHER") { nodes { id } } }`,
      );
      assert.deepEqual(listed.all.nodes, [{ id, state: 'DELIVERED', attempts: [{ number: 1 }, { number: 2 }, { number: 3 }] }]);
      assert.ok(listed.delivered.nodes.some((n: any) => n.id === id));
      assert.deepEqual(listed.dead.nodes, []);
      assert.deepEqual(listed.elsewhere.nodes, []);
    } finally {
      await receiver.close();
    }
  });

  it('writes nothing when the enqueuing transaction rolls back', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const { db, webhooks, scheduler } = server.app.services;
      let id = '';
      await assert.rejects(
        db.transaction(async (tx) => {
          id = (await webhooks.enqueue(tx, { clientId: merchant.id, url: receiver.url(), eventType: 'X', body: {}, scheme: 'standard' })).id;
          throw new Error('the change failed');
        }),
        /the change failed/,
      );
      await scheduler.runDue();
      assert.equal(receiver.requests.length, 0);
      assert.equal(await webhooks.get({ kind: 'merchant', clientId: merchant.id, scopes: new Set() }, id), null);
    } finally {
      await receiver.close();
    }
  });

  it('refuses a URL that is not http or https', async () => {
    for (const url of ['ftp://merchant.example/hook', 'not a url', '/relative']) {
      await assert.rejects(enqueue(server, merchant, { url }), (error: any) => error.code === 'INVALID_INPUT' && error.field?.[0] === 'url');
    }
  });

  it('dead-letters after 18 failed attempts over about three days; a resend delivers it once the endpoint recovers', async (t) => {
    let failing = true;
    const receiver = await WebhookReceiver.start(() => (failing ? 503 : 200));
    try {
      const id = await enqueue(server, merchant, { url: receiver.url(), scheme: 'standard' });
      const dead = await settle(server, clock, merchant, id);
      assert.equal(dead.state, 'DEAD');
      assert.equal(dead.attemptCount, 18);
      assert.equal(dead.lastStatus, 503);
      assert.equal(dead.nextAttemptAt, null);
      assert.equal(dead.deliveredAt, null);
      assert.deepEqual(dead.attempts.map((a: any) => a.number), Array.from({ length: 18 }, (_, i) => i + 1));
      assert.ok(dead.attempts.every((a: any) => a.status === 503));
      const span = Date.parse(dead.attempts[17].attemptedAt) - Date.parse(dead.createdAt);
      assert.ok(span > 2.6 * DAY && span < 3.1 * DAY, `last attempt after ${span / DAY} days`);
      t.diagnostic(`18 attempts, the last ${(span / DAY).toFixed(2)} days after the first`);
      assert.equal(receiver.requests.length, 18);
      assert.ok(receiver.requests.every((r) => r.headers['webhook-id'] === id && r.body === dead.body));

      clock.advance(7 * DAY);
      await server.app.services.scheduler.runDue();
      assert.equal(receiver.requests.length, 18, 'a dead delivery is not retried');

      failing = false;
      const resent = await resend(server, merchant, id);
      assert.deepEqual(resent.userErrors, []);
      assert.equal(resent.delivery.state, 'PENDING');
      assert.equal(resent.delivery.nextAttemptAt, clock.now().toISOString());
      const again = await resend(server, merchant, id);
      assert.deepEqual(again.userErrors.map((e: any) => [e.code, e.field]), [['ILLEGAL_TRANSITION', ['deliveryId']]]);
      assert.equal(again.delivery, null);

      const delivered = await settle(server, clock, merchant, id);
      assert.equal(delivered.state, 'DELIVERED');
      assert.equal(delivered.attemptCount, 19);
      assert.deepEqual(delivered.attempts.slice(17).map((a: any) => [a.number, a.status, a.resend]), [
        [18, 503, false],
        [19, 200, true],
      ]);
      assert.equal(receiver.requests.length, 19);
      assert.equal(receiver.requests[18].body, dead.body);
      assert.equal(receiver.requests[18].headers['webhook-id'], id, 'a resend keeps the id, so the receiver can drop it if it had it');

      // A delivered one can be sent again too; a resend that fails is not retried.
      failing = true;
      assert.deepEqual((await resend(server, merchant, id)).userErrors, []);
      const failed = await settle(server, clock, merchant, id);
      assert.equal(failed.state, 'DEAD');
      assert.equal(failed.attemptCount, 20);
      assert.equal(failed.deliveredAt, delivered.deliveredAt, 'the last success is kept');
      clock.advance(7 * DAY);
      await server.app.services.scheduler.runDue();
      assert.equal(receiver.requests.length, 20);
    } finally {
      await receiver.close();
    }
  });

  it('shows a delivery to its client only, and lets no other client resend it', async () => {
    const receiver = await WebhookReceiver.start(() => 500);
    try {
      const id = await enqueue(server, merchant, { url: receiver.url(), paymentId: 'pay_MINE' });
      await server.app.services.scheduler.runDue();
      const before = await delivery(server, merchant, id);
      assert.equal(before.attemptCount, 1);

      const intruder = await server.client(undefined, 'Intruder');
      const seen = await server.ok(await fresh(server, intruder),
        `query($id: ID!) { webhookDelivery(id: $id) { id } webhookDeliveries { nodes { id } } mine: webhookDeliveries(paymentId: "pay_MINE") { nodes { id } } }`,
        { id },
      );
      assert.deepEqual(seen, { webhookDelivery: null, webhookDeliveries: { nodes: [] }, mine: { nodes: [] } });
      const refused = await resend(server, intruder, id);
      assert.deepEqual(refused.userErrors.map((e: any) => [e.code, e.field]), [['NOT_FOUND', ['deliveryId']]]);

      const readOnly = await server.token(merchant.id, merchant.secret, Scope.PAYMENTS_READ);
      const forbidden = await server.gql(readOnly, `mutation { resendWebhookDelivery(input: { deliveryId: "${id}" }) { userErrors { code } } }`);
      assert.equal(forbidden.errors?.[0].extensions?.code, 'FORBIDDEN');
      const accountsOnly = await server.token(merchant.id, merchant.secret, Scope.ACCOUNTS_READ);
      const unread = await server.gql(accountsOnly, `{ webhookDeliveries { nodes { id } } }`);
      assert.equal(unread.errors?.[0].extensions?.code, 'FORBIDDEN');
      const anonymous = await server.gql(null, `{ webhookDeliveries { nodes { id } } }`);
      assert.equal(anonymous.errors?.[0].extensions?.code, 'UNAUTHENTICATED');

      assert.deepEqual(await delivery(server, merchant, id), before, 'nothing changed');
      const listed = await server.ok(await fresh(server, merchant), `{ webhookDeliveries(paymentId: "pay_MINE") { nodes { id } } }`);
      assert.deepEqual(listed.webhookDeliveries.nodes, [{ id }]);
    } finally {
      await receiver.close();
    }
  });

  it('pages through deliveries newest first', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const client = await server.client(undefined, 'Pager');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await enqueue(server, client, { url: receiver.url(), paymentId: 'pay_PAGED' }));
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page++) {
        const data: any = await server.ok(await fresh(server, client), `query($after: String) { webhookDeliveries(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, { after });
        seen.push(...data.webhookDeliveries.edges.map((e: any) => e.node.id));
        if (!data.webhookDeliveries.pageInfo.hasNextPage) break;
        after = data.webhookDeliveries.pageInfo.endCursor;
      }
      assert.deepEqual(seen, [...ids].reverse());
      const tooMany = await server.gql(await fresh(server, client), `{ webhookDeliveries(first: 101) { nodes { id } } }`);
      assert.equal(tooMany.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
    } finally {
      await receiver.close();
    }
  });
});

describe('webhook deliveries across a restart', () => {
  it('delivers what was due when the server stopped: none lost, none twice', async () => {
    const database = await createTestDatabase();
    // Ten minutes into the hour, so that the two minutes below never reach the hourly retention job.
    const start = new Date();
    start.setUTCMinutes(10, 0, 0);
    const clock = new ManualClock(start);
    // Only runDue() runs jobs, so that what is due when the first server stops is certainly left to the second.
    const config = { schedulerPollMs: 3_600_000 };
    let phase: 'first' | 'second' = 'first';
    const receiver = await WebhookReceiver.start(() => (phase === 'first' ? 500 : 200));
    try {
      const first = await startServer({ database, clock, config });
      const merchant = await first.client();
      const tried: string[] = [];
      const untried: string[] = [];
      try {
        for (let i = 0; i < 5; i++) tried.push(await enqueue(first, merchant, { url: receiver.url() }));
        assert.equal(await first.app.services.scheduler.runDue(), 5);
        for (let i = 0; i < 3; i++) untried.push(await enqueue(first, merchant, { url: receiver.url() }));
        // Every first retry is due within a minute: past it, all eight deliveries are due.
        clock.advance(2 * 60_000);
      } finally {
        await first.close();
      }
      assert.equal(receiver.requests.length, 5);

      phase = 'second';
      const second = await startServer({ database, clock, config });
      try {
        assert.equal(await second.app.services.scheduler.runDue(), 8);
        clock.advance(4 * DAY);
        await second.app.services.scheduler.runDue();
        assert.equal(receiver.requests.length, 13);
        for (const id of tried) assert.deepEqual(receiver.of(id).map((r) => r.status), [500, 200], id);
        for (const id of untried) assert.deepEqual(receiver.of(id).map((r) => r.status), [200], id);
        const token = await second.token(merchant.id, merchant.secret);
        const data = await second.ok(token, `{ webhookDeliveries(first: 20) { nodes { id state attemptCount } } }`);
        assert.equal(data.webhookDeliveries.nodes.length, 8);
        for (const node of data.webhookDeliveries.nodes) {
          assert.equal(node.state, 'DELIVERED');
          assert.equal(node.attemptCount, tried.includes(node.id) ? 2 : 1);
        }
      } finally {
        await second.close();
      }
    } finally {
      await receiver.close();
      await database.drop();
    }
  });
});

describe('two instances sharing one database', () => {
  const DELIVERIES = 100;

  it(`send each of ${DELIVERIES} deliveries once`, async (t) => {
    const database = await createTestDatabase();
    // Both poll often, and are also driven by hand, so that they keep racing for the same jobs.
    const config = { schedulerPollMs: 20 };
    const receiver = await WebhookReceiver.start(async () => {
      await sleep(5);
      return 200;
    });
    const a = await startServer({ database, config });
    const b = await startServer({ database, config });
    try {
      const merchant = await a.client();
      const started = Date.now();
      const ids = await a.app.services.db.transaction(async (tx) => {
        const out: string[] = [];
          for (let i = 0; i < DELIVERIES; i++) {
          const d = await a.app.services.webhooks.enqueue(tx, { clientId: merchant.id, url: receiver.url(), eventType: 'X', body: { i }, scheme: 'standard' });
          out.push(d.id);
        }
        return out;
      });
      await Promise.all([a.app.services.scheduler.runDue(), b.app.services.scheduler.runDue()]);
      await receiver.waitFor(DELIVERIES);
      const elapsed = Date.now() - started;
      // Give a double send every chance to show up.
      await sleep(500);
      await Promise.all([a.app.services.scheduler.runDue(), b.app.services.scheduler.runDue()]);

      assert.equal(receiver.requests.length, DELIVERIES);
      for (const id of ids) assert.equal(receiver.of(id).length, 1, id);
      const data = await b.ok(await fresh(b, merchant), `{ webhookDeliveries(first: 100) { nodes { state attemptCount } } }`);
      assert.equal(data.webhookDeliveries.nodes.length, DELIVERIES);
      assert.ok(data.webhookDeliveries.nodes.every((n: any) => n.state === 'DELIVERED' && n.attemptCount === 1));
      t.diagnostic(`${DELIVERIES} deliveries by two instances in ${elapsed} ms, each sent once`);
    } finally {
      await a.close();
      await b.close();
      await receiver.close();
      await database.drop();
    }
  });
});
