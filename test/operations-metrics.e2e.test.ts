import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { LedgerTransfer } from '../src/ledger/transfer.entity';
import { fund, openAccount, step } from './support/flows';
import { startServer, type TestClient, type TestServer } from './support/server';

const TOKEN = 'metrics-token-for-the-test-0123456789';

/** Prometheus text format: `name{labels} value` lines into a map keyed by `name{labels}` as printed. */
function parse(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

describe('GET /metrics', () => {
  let server: TestServer;
  let merchant: TestClient;
  let operator: TestClient;

  before(async () => {
    server = await startServer({ config: { metricsToken: TOKEN, schedulerPollMs: 3_600_000 } });
    merchant = await server.client();
    operator = await server.operator();
  });
  after(() => server.close());

  const scrape = async () => {
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    return parse(await response.text());
  };
  const transfers = () => server.app.services.db.reader().count(LedgerTransfer, {});

  it('is refused without the token or with a wrong one', async () => {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
  });

  it('after an account payment, its series moved by the right amounts', async () => {
    const buyer = await openAccount(server, merchant);
    const seller = await openAccount(server, merchant);
    await fund(server, operator, buyer, '30.00');
    const before = await scrape();
    const transfersBefore = await transfers();

    const created = await server.ok(merchant.token, `mutation Pay($input: CreateAccountPaymentInput!) { createAccountPayment(input: $input) { payment { id } userErrors { code } } }`, {
      input: { accountId: buyer, sellerId: seller, currency: 'EUR', requestId: 'metrics-1' },
    });
    const paymentId = created.createAccountPayment.payment.id;
    await step(server, merchant, 'addPaymentTransaction', { paymentId, amount: '7.00' });
    await step(server, merchant, 'authorizePayment', { paymentId });
    await step(server, merchant, 'executePayment', { paymentId });
    const refused = await server.gql(merchant.token, `query Books { ledgerReport { assetCode } }`);
    assert.equal(refused.errors?.[0].extensions?.code, 'FORBIDDEN');

    const after = await scrape();
    const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    assert.equal(delta('paygrid_payments{flow="account_payment",state="completed"}'), 1);
    assert.equal(delta('paygrid_graphql_operation_duration_seconds_count{operation_name="Pay",operation_type="mutation",outcome="ok"}'), 1);
    assert.equal(delta('paygrid_graphql_operation_duration_seconds_count{operation_name="Books",operation_type="query",outcome="error"}'), 1);
    const transferSeries = [...after.keys()].filter((k) => k.startsWith('paygrid_ledger_transfers{'));
    const transferDelta = transferSeries.reduce((sum, k) => sum + delta(k), 0);
    assert.equal(transferDelta, (await transfers()) - transfersBefore);
    assert.ok(transferDelta >= 1);
    assert.ok(delta('paygrid_http_request_duration_seconds_count{method="POST",route="/graphql",status_code="200"}') >= 4);
    assert.equal(after.get('paygrid_ledger_posted_sum{asset="EUR"}'), 0);
    assert.equal(after.get('paygrid_ledger_drifting_accounts{asset="EUR"}'), 0);
    for (const name of ['paygrid_outbox_lag_seconds', 'paygrid_outbox_unpublished_events', 'paygrid_scheduler_due_jobs', 'paygrid_scheduler_oldest_due_seconds', 'paygrid_graphql_ws_connections', 'paygrid_webhook_deliveries{state="dead"}', 'paygrid_db_pool_connections{use="used"}']) {
      assert.ok(after.has(name), `${name} is exported`);
    }
  });

  it('counts due jobs and how long the oldest waited', async () => {
    const before = await scrape();
    const delivery = await server.app.services.db.transaction((tx) =>
      server.app.services.webhooks.enqueue(tx, { clientId: merchant.id, url: 'http://127.0.0.1:9/hooks', eventType: 'TEST', body: {}, scheme: 'standard' }),
    );
    assert.ok(delivery.id);
    const after = await scrape();
    assert.equal((after.get('paygrid_scheduler_due_jobs') ?? 0) - (before.get('paygrid_scheduler_due_jobs') ?? 0), 1);
    assert.equal((after.get('paygrid_webhook_deliveries{state="pending"}') ?? 0) - (before.get('paygrid_webhook_deliveries{state="pending"}') ?? 0), 1);
    assert.ok((after.get('paygrid_scheduler_oldest_due_seconds') ?? -1) >= 0);
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics on a port of its own, and not on the main port without METRICS_TOKEN', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    probe.close();
    await once(probe, 'close');
    const server = await startServer({ config: { metricsPort: port } });
    try {
      const separate = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(separate.status, 200);
      assert.match(await separate.text(), /^# HELP paygrid_/m);
      assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
    } finally {
      await server.close();
    }
  });
});
