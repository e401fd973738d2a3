import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MERCHANT_SCOPES, Scope } from '../src/oauth/scopes';
import { Payment } from '../src/payments/payment.entity';
import { ManualClock } from '../src/shared/clock';
import { fund, openAccount } from './support/flows';
import { FormBrowser } from './support/form-browser';
import { consent, type PayerTokens } from './support/payer-consent';
import { startServer, type TestClient, type TestServer } from './support/server';
import { WebhookReceiver } from './support/webhook-receiver';

/** Hosts written as addresses that no webhook or callback may go to, in the forms an attacker tries. */
const REFUSED_URLS = [
  'http://169.254.169.254/latest/meta-data',
  'http://10.0.0.1/',
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://0.0.0.0/',
  'http://100.64.0.1/',
];

const REDIRECT = 'http://127.0.0.1:9/vendor/oauth-callback';
const PASSWORD = 'correct horse battery staple';
const ATTEMPTS = `state attemptCount lastStatus lastError nextAttemptAt attempts { number status error }`;

/** A merchant endpoint whose every answer the test writes itself (headers, endless bodies, silence). */
async function endpoint(handler: (request: IncomingMessage, response: ServerResponse) => void) {
  let requests = 0;
  const server = createServer((request, response) => {
    requests++;
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (path = '/hooks') => `${base}${path}`,
    get requests() {
      return requests;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('outbound requests where loopback is not allowed (as deployed)', () => {
  const clock = new ManualClock();
  let server: TestServer;
  let vendor: TestClient;
  let tokens: PayerTokens;

  before(async () => {
    server = await startServer({ clock, config: { outboundAllowLoopback: false, schedulerPollMs: 3_600_000, webhookMaxAttempts: 2 } });
    const operator = await server.operator();
    vendor = await server.client(MERCHANT_SCOPES, 'Corner Coffee', { redirectUris: [REDIRECT], verified: true });
    await openAccount(server, vendor, 'EUR', 'till');
    const payer = await server.app.services.users.create({ username: 'bob', password: PASSWORD, name: 'Bob Payer' });
    const payerAccount = (await server.app.services.accounts.create({ clientId: vendor.id, userId: payer.id }, { assetCode: 'EUR', name: 'Bob wallet' })).id;
    await fund(server, operator, payerAccount, '100.00');
    tokens = await consent(server, new FormBrowser(server.url), vendor, { redirectUri: REDIRECT, scope: 'orders:write profile', username: 'bob', password: PASSWORD });
  });
  after(() => server.close());

  function createOrder(callbackUrl: string) {
    return server.ok(tokens.access, `mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id } userErrors { code field message } } }`, {
      input: {
        externalId: `shop-${Math.random().toString(36).slice(2)}`,
        requestId: `order-${Math.random().toString(36).slice(2)}`,
        items: [{ name: 'Coffee beans', amount: { value: '10.00', currencyCode: 'EUR' }, count: 1 }],
        callbackUrl,
        // Browser redirects, never fetched by Paygrid: not the guard's business.
        successUrl: 'http://127.0.0.1:9/shop/paid',
        errorUrl: 'http://10.0.0.1/shop/failed',
      },
    });
  }

  it('setWebhookUrl refuses a URL whose host is an address Paygrid may not reach, and keeps the URL it had', async () => {
    const bank = await server.client([...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN], 'ACME Shop');
    const admin = await server.token(bank.id, bank.secret, Scope.PAYMENTS_ADMIN);
    const set = (url: string) =>
      server.ok(admin, `mutation($url: String) { setWebhookUrl(url: $url) { webhookUrl userErrors { code field message } } }`, { url });
    const kept = await set('https://merchant.example/powens');
    assert.deepEqual(kept.setWebhookUrl.userErrors, []);
    for (const url of REFUSED_URLS) {
      const refused = (await set(url)).setWebhookUrl;
      assert.deepEqual(refused.userErrors.map((e: any) => [e.code, e.field]), [['URL_NOT_ALLOWED', ['url']]], url);
      assert.equal(refused.webhookUrl, null);
      assert.equal(await server.app.services.initiations.webhookUrl(bank.id), 'https://merchant.example/powens', url);
    }
    // A host name is judged when a webhook is sent, by what it resolves to then.
    assert.deepEqual((await set('http://localhost:8080/powens')).setWebhookUrl.userErrors, []);
  });

  it("createOrder refuses such a callbackUrl and creates nothing", async () => {
    const count = () => server.app.services.db.reader().count(Payment, { clientId: vendor.id });
    const before = await count();
    for (const url of REFUSED_URLS) {
      const refused = (await createOrder(url)).createOrder;
      assert.deepEqual(refused.userErrors.map((e: any) => [e.code, e.field]), [['URL_NOT_ALLOWED', ['callbackUrl']]], url);
      assert.equal(refused.order, null);
    }
    assert.equal(await count(), before);
  });

  it('does not connect to a callback host that resolves to loopback; the attempts say only "Destination not allowed.", and it dead-letters as usual', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const created = (await createOrder(receiver.url('/iumicash/callback').replace('127.0.0.1', 'localhost'))).createOrder;
      assert.deepEqual(created.userErrors, []);
      const deliveries = () =>
        server.ok(vendor.token, `query($id: ID) { webhookDeliveries(paymentId: $id) { nodes { url ${ATTEMPTS} } } }`, { id: created.order.id });

      await server.app.services.scheduler.runDue();
      const [first] = (await deliveries()).webhookDeliveries.nodes;
      assert.match(first.url, /^http:\/\/localhost:\d+\/iumicash\/callback$/);
      assert.equal(first.state, 'PENDING');
      assert.deepEqual(first.attempts, [{ number: 1, status: null, error: 'Destination not allowed.' }]);
      assert.ok(first.nextAttemptAt, 'retried as any failed attempt');

      clock.set(new Date(first.nextAttemptAt));
      await server.app.services.scheduler.runDue();
      const [dead] = (await deliveries()).webhookDeliveries.nodes;
      assert.equal(dead.state, 'DEAD');
      assert.equal(dead.attemptCount, 2);
      assert.equal(dead.lastStatus, null);
      assert.equal(dead.lastError, 'Destination not allowed.');
      assert.equal(receiver.requests.length, 0, 'nothing reached the local receiver');
    } finally {
      await receiver.close();
    }
  });
});

describe('outbound requests at their limits (loopback allowed, 500 ms and 1 KiB)', () => {
  const clock = new ManualClock();
  let server: TestServer;
  let merchant: TestClient;

  before(async () => {
    server = await startServer({ clock, config: { schedulerPollMs: 3_600_000, outboundTimeoutMs: 500, outboundMaxResponseKib: 1 } });
    merchant = await server.client();
  });
  after(() => server.close());

  /** Enqueues one delivery, runs its first attempt, and returns the delivery as the API shows it. */
  async function firstAttempt(url: string) {
    const { db, webhooks, scheduler } = server.app.services;
    const { id } = await db.transaction((tx) => webhooks.enqueue(tx, { clientId: merchant.id, url, eventType: 'X', paymentId: 'pay_LIMITS', body: { n: 1 }, scheme: 'standard' }));
    await scheduler.runDue();
    return (await server.ok(merchant.token, `query($id: ID!) { webhookDelivery(id: $id) { ${ATTEMPTS} } }`, { id })).webhookDelivery;
  }

  it('with loopback allowed, setWebhookUrl accepts a loopback address and still refuses every other range', async () => {
    const bank = await server.client([...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN], 'Local shop');
    const admin = await server.token(bank.id, bank.secret, Scope.PAYMENTS_ADMIN);
    const errors = async (url: string) =>
      (await server.ok(admin, `mutation($url: String) { setWebhookUrl(url: $url) { userErrors { code field } } }`, { url })).setWebhookUrl.userErrors.map((e: any) => [e.code, e.field]);
    for (const url of ['http://127.0.0.1:8080/hooks', 'http://[::1]:8080/hooks', 'http://[::ffff:127.0.0.1]/hooks']) assert.deepEqual(await errors(url), [], url);
    for (const url of REFUSED_URLS.filter((u) => !/::1|127\.0\.0\.1/.test(u))) assert.deepEqual(await errors(url), [['URL_NOT_ALLOWED', ['url']]], url);
  });

  it('does not follow a redirect, here to another receiver that would be reachable', async () => {
    const elsewhere = await WebhookReceiver.start();
    const redirecting = await endpoint((_, response) => response.writeHead(307, { location: elsewhere.url('/stolen') }).end());
    try {
      const delivery = await firstAttempt(redirecting.url());
      assert.deepEqual(delivery.attempts, [{ number: 1, status: 307, error: 'Redirects are not followed.' }]);
      assert.equal(delivery.state, 'PENDING');
      assert.equal(redirecting.requests, 1);
      assert.equal(elsewhere.requests.length, 0);
    } finally {
      await redirecting.close();
      await elsewhere.close();
    }
  });

  it('cuts off an endless answer at the size limit, and counts the attempt as failed', async () => {
    const endless = await endpoint((_, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const pump = () => {
        while (!response.destroyed && response.write('x'.repeat(512)));
        if (!response.destroyed) response.once('drain', pump);
      };
      pump();
    });
    try {
      const delivery = await firstAttempt(endless.url());
      assert.deepEqual(delivery.attempts, [{ number: 1, status: 200, error: 'The answer was larger than 1 KiB.' }]);
      assert.equal(delivery.state, 'PENDING');
      assert.ok(delivery.nextAttemptAt);
    } finally {
      await endless.close();
    }
  });

  it('gives up on an endpoint that never answers at the time limit', async () => {
    const silent = await endpoint(() => undefined);
    try {
      const delivery = await firstAttempt(silent.url());
      assert.deepEqual(delivery.attempts, [{ number: 1, status: null, error: 'No complete answer within 500 ms.' }]);
      assert.equal(delivery.state, 'PENDING');
      assert.equal(silent.requests, 1);
    } finally {
      await silent.close();
    }
  });
});
