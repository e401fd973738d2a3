import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createPayment, fund, openAccount, step } from './support/flows';
import { startServer, type TestClient, type TestServer } from './support/server';
import { open, within } from './support/watch';

const PAYMENT_EVENT = `id paymentId sequence type`;

/** Events the outbox publishes again never reach a subscriber twice: the server's stream drops them by sequence. */
describe('a republished event', () => {
  let server: TestServer;
  let merchant: TestClient;
  let buyer: string;
  let seller: string;

  before(async () => {
    server = await startServer();
    const operator = await server.operator();
    merchant = await server.client();
    buyer = await openAccount(server, merchant, 'EUR', 'buyer');
    seller = await openAccount(server, merchant, 'EUR', 'seller');
    await fund(server, operator, buyer, '100.00');
  });
  after(async () => {
    await sleep(200);
    await server.close();
  });

  it('reaches the broker again but the subscriber once', async () => {
    const created = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'republished' });
    const paymentId = created.payment.id;
    const ws = server.ws(merchant.token);
    const sub = open(ws, 'paymentUpdated', `subscription($id: ID!) { paymentUpdated(paymentId: $id) { ${PAYMENT_EVENT} } }`, { id: paymentId });
    // The pub/sub attaches asynchronously: change the payment until the subscriber hears of it.
    for (let attempt = 0; !(await within(250, [sub], (s) => s.events().length > 0)); attempt++) {
      assert.ok(attempt < 20, 'the subscription never went live');
      await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '1.00' });
    }
    const { db } = server.app.services;
    const connection = db.reader().getConnection();
    const unpublished = async () =>
      Number((await connection.execute('select count(*) as n from event where aggregate_id = ? and published_at is null', [paymentId]))[0].n);
    while ((await unpublished()) > 0) await sleep(50);
    await sleep(300);
    const delivered = sub.events().map((e: any) => e.sequence);

    // What a sweeper finds after a crash between publication and mark: the events, unmarked.
    const broker: any[] = [];
    const raw = server.app.services.events.subscribe('PAYMENT_EVENT', paymentId)[Symbol.asyncIterator]();
    void (async () => {
      for (let next = await raw.next(); !next.done; next = await raw.next()) broker.push(next.value);
    })();
    await sleep(100);
    await connection.execute('update event set published_at = null, lease_until = null where aggregate_id = ?', [paymentId]);
    const deadline = Date.now() + 10_000;
    while (!broker.some((e) => delivered.includes(e.sequence))) {
      assert.ok(Date.now() < deadline, 'the sweeper did not publish the unmarked events again');
      await sleep(100);
    }
    await sleep(500);
    assert.deepEqual(sub.events().map((e: any) => e.sequence), delivered, 'a republished event reached the subscriber again');

    // The stream still delivers what is new.
    const added = await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '1.00' });
    await sub.c.waitFor(() => sub.events().some((e: any) => e.sequence === added.payment.lastSequence), 5000);
    assert.deepEqual(sub.events().map((e: any) => e.sequence), [...delivered, added.payment.lastSequence]);
    assert.deepEqual(sub.c.errors, []);
    await raw.return?.();
    sub.stop();
    await ws.dispose();
  });
});
