import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestClient, type TestServer } from './support/server';

/** The server's log, one parsed JSON object per line. */
class LogLines extends Writable {
  readonly text: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get lines(): Array<Record<string, any>> {
    return this.text.map((line) => JSON.parse(line));
  }
}

describe('structured logs', () => {
  let server: TestServer;
  let merchant: TestClient;
  const log = new LogLines();

  before(async () => {
    server = await startServer({ logStream: log, config: { logLevel: 'info' } });
    merchant = await server.client();
  });
  after(() => server.close());

  it('every line of a request carries its request id, taken from X-Request-Id and returned; the validation URL’s token is not logged', async () => {
    const token = 'pgat_' + 'S3cr3tValidationToken'.repeat(2);
    const response = await fetch(`${server.url}/webview/payment?client_id=demo&code=${token}&payment_id=pay_x&state=abc`, { headers: { 'x-request-id': 'edge-req-42' } });
    await response.arrayBuffer();
    assert.equal(response.headers.get('x-request-id'), 'edge-req-42');
    const mine = log.lines.filter((l) => l.reqId === 'edge-req-42');
    assert.ok(mine.some((l) => l.msg === 'incoming request'));
    assert.ok(mine.some((l) => l.msg === 'request completed'));
    assert.ok(mine.every((l) => typeof l.time === 'number' && typeof l.level === 'number'));
    assert.ok(!log.text.some((line) => line.includes('S3cr3tValidationToken')), 'the token appears in no log line');
    assert.match(mine.find((l) => l.msg === 'incoming request')!.req.url, /code=\[redacted\]/);
  });

  it('makes a request id when none (or an unusable one) is sent', async () => {
    const plain = await fetch(`${server.url}/health/live`);
    assert.match(plain.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
    const forged = await fetch(`${server.url}/health/live`, { headers: { 'x-request-id': 'a"b\\u0000{}' } });
    assert.match(forged.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
  });

  it('a GraphQL request’s completion line names the operation and the client, and never the bearer token', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${merchant.token}`, 'x-request-id': 'gql-req-7' },
      body: JSON.stringify({ query: 'query WhoAmI { viewer { id } }', operationName: 'WhoAmI' }),
    });
    await response.json();
    const completed = log.lines.find((l) => l.reqId === 'gql-req-7' && l.msg === 'request completed');
    assert.ok(completed);
    assert.equal(completed.operationName, 'WhoAmI');
    assert.equal(completed.operationType, 'query');
    assert.equal(completed.clientId, merchant.id);
    assert.ok(!log.text.some((line) => line.includes(merchant.token)));
  });

  it('a service logs through the same logger, named by its component, with no request of its own', async () => {
    const { scheduler, db } = server.app.services;
    scheduler.register('test.log-failure', async () => {
      throw new Error('the bank is down');
    }, { maxAttempts: 2 });
    await db.transaction((tx) => scheduler.schedule(tx, { kind: 'test.log-failure', runAt: new Date(), payload: {} }));
    await scheduler.runDue();
    const failed = log.lines.find((l) => l.msg === 'job failed; will retry' && l.kind === 'test.log-failure');
    assert.ok(failed, 'the scheduler logged the failed run');
    assert.equal(failed.component, 'scheduler');
    assert.equal(failed.err.message, 'the bank is down');
    assert.equal(failed.reqId, undefined);
  });
});
