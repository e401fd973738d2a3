import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Client as WsClient } from 'graphql-ws';
import { ManualClock } from '../src/shared/clock';
import { createPayment, fund, openAccount, revoke } from './support/flows';
import { startServer, type TestClient, type TestServer } from './support/server';
import { open, type Sub, within } from './support/watch';

/**
 * Subscriptions of one document, variables and principal share one execution on the server
 * (src/graphql/websocket.ts): what one subscriber's token or access does must not reach the others.
 */
const QUIET_MS = 500;
const QUERY = `subscription($id: ID!) { accountPaymentUpdated(accountId: $id) { paymentId sequence } }`;
const watch = (ws: WsClient, accountId: string) => open(ws, 'accountPaymentUpdated', QUERY, { id: accountId });

/** Codes of what a subscription failed with: GraphQL error codes, or `close:<code>` for a closed socket. */
function errorCodes(sub: Sub): string[] {
  return sub.c.errors.flatMap((error: any) =>
    Array.isArray(error) ? error.map((e) => String(e.extensions?.code)) : [error && typeof error.code === 'number' ? `close:${error.code}` : String(error)],
  );
}

/** Pays into `seller` until every sub received the probe's events (the server subscribes asynchronously). */
async function goLive(server: TestServer, payer: TestClient, buyer: string, seller: string, subs: Sub[], label: string): Promise<void> {
  for (let attempt = 1; attempt <= 20; attempt++) {
    const { payment } = await createPayment(server, payer, { accountId: buyer, sellerId: seller, requestId: `${label}-probe-${attempt}` });
    if (await within(250, subs, (s) => s.events().length > 0)) {
      for (const s of subs) await s.c.waitFor(() => s.events().some((e) => e.paymentId === payment.id));
      return;
    }
  }
  throw new Error('subscriptions not live');
}

describe('subscriptions sharing one execution', () => {
  let server: TestServer;
  let operator: TestClient;
  let merchant: TestClient;
  let buyer: string;
  let seller: string;

  before(async () => {
    server = await startServer();
    operator = await server.operator();
    merchant = await server.client();
    buyer = await openAccount(server, merchant, 'EUR', 'buyer');
    seller = await openAccount(server, merchant, 'EUR', 'seller');
    await fund(server, operator, buyer, '1000.00');
  });
  after(async () => {
    await sleep(200);
    await server.close();
  });

  it('a revoked token closes its own socket; the subscriber of another token of the same principal keeps receiving', async () => {
    const revoked = await server.token(merchant.id, merchant.secret);
    const kept = await server.token(merchant.id, merchant.secret);
    const subRevoked = watch(server.ws(revoked), seller);
    const subKept = watch(server.ws(kept), seller);
    await goLive(server, merchant, buyer, seller, [subRevoked, subKept], 'revoke');

    await revoke(server, merchant, revoked);
    await subRevoked.c.waitFor((c) => c.errors.length > 0);
    assert.deepEqual(errorCodes(subRevoked), ['close:4401']);
    const received = subRevoked.events().length;

    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'after-revoke' });
    await subKept.c.waitFor(() => subKept.events().some((e) => e.paymentId === payment.id));
    await sleep(QUIET_MS);
    assert.equal(subRevoked.events().length, received, 'nothing reaches the revoked subscriber');
    assert.deepEqual(subKept.c.errors, []);
    subKept.stop();
  });

  it('the same document under another principal is decided for that principal: refused, and given nothing of the other', async () => {
    const other = await server.client(undefined, 'Another merchant');
    const owner = watch(server.ws(merchant.token), seller);
    await goLive(server, merchant, buyer, seller, [owner], 'access');
    const stranger = watch(server.ws(other.token), seller);
    await stranger.c.waitFor((c) => c.errors.length > 0);
    assert.deepEqual(errorCodes(stranger), ['NOT_FOUND']);

    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'after-stranger' });
    await owner.c.waitFor(() => owner.events().some((e) => e.paymentId === payment.id));
    await sleep(QUIET_MS);
    assert.deepEqual(stranger.events(), []);
    assert.deepEqual(owner.c.errors, []);
    owner.stop();
  });
});

describe('a token expiring under a shared subscription', () => {
  it('ends its subscriber with UNAUTHENTICATED at the next event; the other token of the principal keeps receiving', async () => {
    const clock = new ManualClock();
    const server = await startServer({ clock });
    try {
      const operator = await server.operator();
      const merchant = await server.client();
      const buyer = await openAccount(server, merchant, 'EUR', 'buyer');
      const seller = await openAccount(server, merchant, 'EUR', 'seller');
      await fund(server, operator, buyer, '1000.00');
      const expiring = await server.token(merchant.id, merchant.secret);
      clock.advance(1800 * 1000);
      const lasting = await server.token(merchant.id, merchant.secret);
      const subExpiring = watch(server.ws(expiring), seller);
      const subLasting = watch(server.ws(lasting), seller);
      const payer = { ...merchant, token: lasting };
      await goLive(server, payer, buyer, seller, [subExpiring, subLasting], 'expiry');

      clock.advance(1801 * 1000);
      const { payment } = await createPayment(server, payer, { accountId: buyer, sellerId: seller, requestId: 'after-expiry' });
      await subLasting.c.waitFor(() => subLasting.events().some((e) => e.paymentId === payment.id));
      await subExpiring.c.waitFor((c) => c.errors.length > 0);
      assert.deepEqual(errorCodes(subExpiring), ['UNAUTHENTICATED']);
      assert.deepEqual(subExpiring.events().filter((e) => e.paymentId === payment.id), [], 'the event after expiry is not delivered');
      assert.deepEqual(subLasting.c.errors, []);
      subLasting.stop();
      await sleep(200);
    } finally {
      await server.close();
    }
  });
});
