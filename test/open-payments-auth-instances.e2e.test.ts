import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '../src/open-payments/signatures/http-signatures';
import { startOpenPaymentsClient, type OpenPaymentsTestClient } from './support/open-payments-client';
import { createTestDatabase, startServer, type TestDatabase, type TestServer } from './support/server';

/** Two instances behind one public URL, sharing the database: a signature accepted by one is refused by the other. */
describe('Open Payments auth on two instances', () => {
  const PUBLIC = 'http://paygrid.test';
  let database: TestDatabase;
  let first: TestServer;
  let second: TestServer;
  let client: OpenPaymentsTestClient;

  before(async () => {
    database = await createTestDatabase();
    first = await startServer({ database, config: { publicUrl: PUBLIC, schedulerPollMs: 3_600_000 } });
    second = await startServer({ database, config: { publicUrl: PUBLIC, schedulerPollMs: 3_600_000 } });
    client = await startOpenPaymentsClient({ publicName: 'Two-instance app' });
  });
  after(async () => {
    await client?.close();
    await first?.close();
    await second?.close();
    await database?.drop();
  });

  it('refuses on the second instance the grant request the first accepted (replay), and answers a fresh one', async () => {
    const body = JSON.stringify({ client: client.walletAddressUrl, access_token: { access: [{ type: 'quote', actions: ['create'] }] } });
    const signed = () => signRequest({ method: 'POST', url: `${PUBLIC}/gnap`, headers: { 'content-type': 'application/json' }, body }, { privateKey: client.privateKey, keyId: client.keyId });
    const send = async (server: TestServer, headers: Record<string, string>) => {
      const response = await fetch(`${server.url}/gnap`, { method: 'POST', headers, body });
      return { status: response.status, json: (await response.json()) as any };
    };
    const headers = await signed();
    const accepted = await send(first, headers);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.json));
    assert.match(accepted.json.continue.uri, /^http:\/\/paygrid\.test\/gnap\/continue\/grant_/);
    const replayed = await send(second, headers);
    assert.equal(replayed.status, 401);
    assert.equal(replayed.json.error.code, 'invalid_client');
    assert.match(replayed.json.error.description, /replay/);
    // A new second, a new signature: the second instance answers it.
    await new Promise((resolve) => setTimeout(resolve, 1010 - (Date.now() % 1000)));
    assert.equal((await send(second, await signed())).status, 200);
  });
});
