import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { ManualClock } from '../src/shared/clock';
import { createPayment, fund, ledgerReport, openAccount, step } from './support/flows';
import { RawSocket } from './support/raw-socket';
import { createTestDatabase, startServer, type TestClient, type TestDatabase, type TestServer } from './support/server';
import { WebhookReceiver } from './support/webhook-receiver';

const CLI = join(__dirname, '../src/operations/cli.js');
const ROOT = join(__dirname, '../..');

async function cli(databaseUrl: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl };
  delete env.DEMO_DATA;
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const [code] = await once(child, 'exit');
  return { code, stdout, stderr };
}

const CLIENT_FIELDS = `id name public verified scopes payerScopes redirectUris webhookUrl disabledAt previousSecretValidUntil previousWebhookSecretValidUntil`;
const CREATE = `mutation($input: CreateClientInput!) { createClient(input: $input) { client { ${CLIENT_FIELDS} } secret userErrors { code field message } } }`;
const ROTATE = `mutation($input: RotateSecretInput!) { rotateClientSecret(input: $input) { client { id previousSecretValidUntil } secret userErrors { code field } } }`;
const ROTATE_WEBHOOK = `mutation($input: RotateSecretInput!) { rotateWebhookSecret(input: $input) { client { id previousWebhookSecretValidUntil } userErrors { code field } } }`;
const DISABLE = `mutation($input: DisableClientInput!) { disableClient(input: $input) { client { id disabledAt } userErrors { code field } } }`;

const tokenStatus = async (server: TestServer, id: string, secret: string) =>
  (
    await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    })
  ).status;

describe('onboarding clients without demo data', () => {
  let database: TestDatabase;
  let server: TestServer;
  let clock: ManualClock;
  let operator: TestClient;
  let merchant: TestClient;
  let receiver: WebhookReceiver;

  before(async () => {
    database = await createTestDatabase();
    receiver = await WebhookReceiver.start();
  });
  after(async () => {
    await server?.close();
    await receiver.close();
    await database.drop();
  });

  it('npm run paygrid -- create-operator creates the first operator on a fresh database and prints its secret once', async () => {
    const created = await cli(database.url, 'create-operator', '--name', 'Platform ops');
    assert.equal(created.code, 0, created.stderr);
    const id = /client_id=(\S+)/.exec(created.stdout)![1];
    const secret = /client_secret=(\S+)/.exec(created.stdout)![1];
    const again = await cli(database.url, 'create-operator');
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`an operator client exists already \\(${id}\\)`));

    // Ten minutes back: the secret overlap below brings it to the present, where signatures verify against real time.
    clock = new ManualClock(new Date(Date.now() - 600_000));
    server = await startServer({ database, clock });
    operator = { id, secret, webhookSecret: '', token: await server.token(id, secret) };
    const clients = await server.ok(operator.token, `{ clients(first: 10) { nodes { id name scopes verified } } }`);
    assert.deepEqual(clients.clients.nodes, [{ id, name: 'Platform ops', scopes: ['ledger:fund', 'ledger:read', 'accounts:read', 'clients:manage'], verified: true }]);
  });

  it('an operator creates a merchant over GraphQL, which then runs an account payment', async () => {
    const created = await server.ok(operator.token, CREATE, {
      input: { name: 'Corner shop', scopes: ['accounts:read', 'accounts:write', 'payments:read', 'payments:write', 'orders:recurrent'], redirectUris: ['https://shop.example/cb'], webhookUrl: receiver.url() },
    });
    const { client, secret, userErrors } = created.createClient;
    assert.deepEqual(userErrors, []);
    assert.match(secret, /^pgs_/);
    assert.equal(client.public, false);
    assert.deepEqual(client.payerScopes, ['accounts:read', 'payments:read', 'orders:recurrent']);
    assert.equal(client.webhookUrl, receiver.url());
    merchant = { id: client.id, secret, webhookSecret: '', token: await server.token(client.id, secret) };

    const viewer = await server.ok(merchant.token, `{ viewer { id webhookUrl webhookSecret } }`);
    assert.equal(viewer.viewer.webhookUrl, receiver.url());
    merchant.webhookSecret = viewer.viewer.webhookSecret;

    const buyer = await openAccount(server, merchant);
    const seller = await openAccount(server, merchant);
    await fund(server, operator, buyer, '20.00');
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'onboarded-1' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '5.00' });
    await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
    const executed = await step(server, merchant, 'executePayment', { paymentId: payment.id });
    assert.equal(executed.payment.state, 'COMPLETED');
    for (const row of await ledgerReport(server, operator)) assert.equal(row.postedSum, '0');
  });

  it('refuses bad input field by field, and refuses merchants', async () => {
    const bad = await server.ok(operator.token, CREATE, { input: { name: ' ', scopes: ['accounts:read'] } });
    assert.deepEqual(bad.createClient.userErrors.map((e: any) => [e.code, e.field]), [['FIELD_REQUIRED', ['name']]]);
    const scopes = await server.ok(operator.token, CREATE, { input: { name: 'x', scopes: ['payments:validate'] } });
    assert.deepEqual(scopes.createClient.userErrors.map((e: any) => [e.code, e.field]), [['INVALID_INPUT', ['scopes']]]);
    const uri = await server.ok(operator.token, CREATE, { input: { name: 'x', scopes: [], redirectUris: ['https://a.example/#x'] } });
    assert.deepEqual(uri.createClient.userErrors.map((e: any) => [e.code, e.field]), [['REDIRECT_URI_INVALID', ['redirectUris', '0']]]);
    const refused = await server.gql(merchant.token, `{ clients { nodes { id } } }`);
    assert.equal(refused.errors?.[0].extensions?.code, 'FORBIDDEN');
    const missing = await server.ok(operator.token, ROTATE, { input: { id: 'cli_none', overlapSeconds: 0 } });
    assert.deepEqual(missing.rotateClientSecret.userErrors, [{ code: 'NOT_FOUND', field: ['id'] }]);
  });

  it('updates a client and reads it back', async () => {
    const updated = await server.ok(operator.token, `mutation($input: UpdateClientInput!) { updateClient(input: $input) { client { name verified scopes } userErrors { code } } }`, {
      input: { id: merchant.id, name: 'Corner shop Ltd', verified: true },
    });
    assert.deepEqual(updated.updateClient.client, { name: 'Corner shop Ltd', verified: true, scopes: ['accounts:read', 'accounts:write', 'payments:read', 'payments:write', 'orders:recurrent'] });
    const read = await server.ok(operator.token, `query($id: ID!) { client(id: $id) { name verified } }`, { id: merchant.id });
    assert.deepEqual(read.client, { name: 'Corner shop Ltd', verified: true });
  });

  it('rotating the secret: old and new both work during the overlap, only the new one after', async () => {
    const rotated = await server.ok(operator.token, ROTATE, { input: { id: merchant.id, overlapSeconds: 600 } });
    const fresh = rotated.rotateClientSecret.secret as string;
    assert.notEqual(fresh, merchant.secret);
    assert.equal(new Date(rotated.rotateClientSecret.client.previousSecretValidUntil).getTime(), clock.now().getTime() + 600_000);
    assert.equal(await tokenStatus(server, merchant.id, merchant.secret), 200);
    assert.equal(await tokenStatus(server, merchant.id, fresh), 200);
    clock.advance(600_000);
    assert.equal(await tokenStatus(server, merchant.id, merchant.secret), 401);
    assert.equal(await tokenStatus(server, merchant.id, fresh), 200);
    merchant.secret = fresh;
    merchant.token = await server.token(merchant.id, fresh);
    const overlapZero = await server.ok(operator.token, ROTATE, { input: { id: merchant.id, overlapSeconds: 0 } });
    assert.equal(await tokenStatus(server, merchant.id, fresh), 401);
    merchant.secret = overlapZero.rotateClientSecret.secret;
    const tooLong = await server.ok(operator.token, ROTATE, { input: { id: merchant.id, overlapSeconds: 31 * 24 * 3600 } });
    assert.deepEqual(tooLong.rotateClientSecret.userErrors, [{ code: 'INVALID_INPUT', field: ['overlapSeconds'] }]);
  });

  it('rotating the webhook key: deliveries during the overlap carry both signatures, each verified by standardwebhooks', async () => {
    const rotated = await server.ok(operator.token, ROTATE_WEBHOOK, { input: { id: merchant.id, overlapSeconds: 60 } });
    assert.deepEqual(rotated.rotateWebhookSecret.userErrors, []);
    const newKey = (await server.ok(merchant.token, `{ viewer { webhookSecret } }`)).viewer.webhookSecret as string;
    assert.notEqual(newKey, merchant.webhookSecret);

    const deliver = async (n: number) => {
      const delivery = await server.app.services.db.transaction((tx) =>
        server.app.services.webhooks.enqueue(tx, { clientId: merchant.id, url: receiver.url(), eventType: 'TEST', body: { n }, scheme: 'standard' }),
      );
      await server.app.services.scheduler.runDue();
      const [request] = receiver.of(delivery.id);
      assert.ok(request, 'the delivery was sent');
      return request;
    };
    const during = await deliver(1);
    assert.equal(during.headers['webhook-signature'].split(' ').length, 2);
    for (const key of [newKey, merchant.webhookSecret]) assert.deepEqual(new Webhook(key).verify(during.body, during.headers), { n: 1 });

    clock.advance(60_000);
    const afterOverlap = await deliver(2);
    assert.equal(afterOverlap.headers['webhook-signature'].split(' ').length, 1);
    assert.deepEqual(new Webhook(newKey).verify(afterOverlap.body, afterOverlap.headers), { n: 2 });
    assert.throws(() => new Webhook(merchant.webhookSecret).verify(afterOverlap.body, afterOverlap.headers));
  });

  it('disabling a client: its tokens fail at once, its open socket is closed, it gets no new token', async () => {
    const socket = await RawSocket.open(server.url, merchant.token);
    assert.equal((await socket.run('1', '{ viewer { id } }')).type, 'next');
    const disabled = await server.ok(operator.token, DISABLE, { input: { id: merchant.id } });
    assert.ok(disabled.disableClient.client.disabledAt);
    assert.equal((await server.gql(merchant.token, '{ viewer { id } }')).status, 401);
    await socket.until(() => socket.closed !== null);
    assert.deepEqual(socket.closed, { code: 4401, reason: 'Token revoked' });
    assert.equal(await tokenStatus(server, merchant.id, merchant.secret), 401);
    const read = await server.ok(operator.token, `query($id: ID!) { client(id: $id) { disabledAt } }`, { id: merchant.id });
    assert.ok(read.client.disabledAt);
  });
});
