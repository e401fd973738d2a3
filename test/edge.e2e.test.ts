import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import { MERCHANT_SCOPES } from '../src/oauth/scopes';
import { AccessToken } from '../src/oauth/access-token.entity';
import { sha256 } from '../src/shared/ids';
import { ManualClock } from '../src/shared/clock';
import { fund, openAccount, revoke } from './support/flows';
import { FormBrowser } from './support/form-browser';
import { consent, tokenRequest } from './support/payer-consent';
import { RawSocket } from './support/raw-socket';
import { startServer, type TestClient, type TestServer } from './support/server';

const CREATE_ACCOUNT = `mutation { createAccount(input: { assetCode: "EUR", name: "over the socket" }) { account { id } userErrors { code } } }`;

/** Sends bytes as they are: Node's and undici's clients refuse or merge what these tests need to send. */
function rawHttp(port: number, request: string, bodyBytes: string[] = [], gapMs = 0): Promise<{ status: number; text: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    // A server that never cuts the connection off fails the test rather than hanging it.
    socket.setTimeout(15_000, () => socket.destroy());
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text, closedAfterMs: Date.now() - started }));
    socket.write(request);
    let i = 0;
    const next = () => {
      if (i >= bodyBytes.length || socket.destroyed) return;
      socket.write(bodyBytes[i++]);
      setTimeout(next, gapMs);
    };
    next();
  });
}

describe('tokens are checked on every WebSocket message', () => {
  let server: TestServer;
  let merchant: TestClient;

  before(async () => {
    server = await startServer();
    merchant = await server.client();
  });
  after(() => server.close());

  it('after /oauth/revoke, the open socket is closed with 4401 and a mutation on it does not run', async () => {
    const token = await server.token(merchant.id, merchant.secret);
    const socket = await RawSocket.open(server.url, token);
    const before = await socket.run('1', CREATE_ACCOUNT);
    assert.equal(before.type, 'next');
    assert.ok(before.payload.data.createAccount.account.id);

    await revoke(server, merchant, token);
    assert.equal((await server.gql(token, '{ viewer { id } }')).status, 401);
    await socket.until(() => socket.closed !== null);
    assert.deepEqual(socket.closed, { code: 4401, reason: 'Token revoked' });
    const accounts = await server.ok(merchant.token, '{ accounts(first: 100) { nodes { name } } }');
    assert.equal(accounts.accounts.nodes.filter((a: any) => a.name === 'over the socket').length, 1, 'only the mutation sent before the revocation ran');
  });

  it('a token revoked behind the server\'s back (no message) closes its socket within the once-a-second sweep', async () => {
    const token = await server.token(merchant.id, merchant.secret);
    const socket = await RawSocket.open(server.url, token);
    await server.app.services.db.reader().nativeUpdate(AccessToken, { tokenHash: sha256(token) }, { revokedAt: new Date() });
    await socket.until(() => socket.closed !== null, 3000);
    assert.equal(socket.closed?.code, 4401);
  });

  it('a refresh-token replay revokes the family: the socket of its access token closes', async () => {
    const redirectUri = 'https://shop.example/callback';
    const shop = await server.client(MERCHANT_SCOPES, 'Family shop', { redirectUris: [redirectUri], verified: true });
    await server.app.services.users.create({ username: 'Fam', password: 'correct horse battery', name: 'Fam Ily' });
    const tokens = await consent(server, new FormBrowser(server.url), shop, { redirectUri, scope: 'accounts:read', username: 'Fam', password: 'correct horse battery' });
    const socket = await RawSocket.open(server.url, tokens.access);
    const rotated = await tokenRequest(server, shop, { grant_type: 'refresh_token', refresh_token: tokens.refresh });
    assert.equal(rotated.status, 200);
    const replay = await tokenRequest(server, shop, { grant_type: 'refresh_token', refresh_token: tokens.refresh });
    assert.equal(replay.json.error, 'invalid_grant');
    await socket.until(() => socket.closed !== null);
    assert.equal(socket.closed?.code, 4401);
    assert.equal((await server.gql(rotated.json.access_token, '{ viewer { id } }')).status, 401);
  });
});

describe('an expiring token', () => {
  it('is refused at the next subscribe once expired, and its socket closed', async () => {
    const clock = new ManualClock();
    const server = await startServer({ clock });
    try {
      const merchant = await server.client();
      const socket = await RawSocket.open(server.url, merchant.token);
      assert.equal((await socket.run('1', '{ viewer { id } }')).type, 'next');
      clock.advance(3601 * 1000);
      const refused = await socket.run('2', CREATE_ACCOUNT);
      assert.notEqual(refused?.type, 'next');
      await socket.until(() => socket.closed !== null);
      assert.equal(socket.closed?.code, 4401);
      assert.equal(socket.closed?.reason, 'Token expired');
      const accounts = await server.app.services.db.reader().getConnection().execute('select count(*) as n from account');
      assert.equal(Number(accounts[0].n), 0, 'the mutation after expiry wrote nothing');
    } finally {
      await server.close();
    }
  });
});

describe('one error boundary', () => {
  let server: TestServer;
  let merchant: TestClient;
  const log: string[] = [];

  before(async () => {
    server = await startServer({ config: { logLevel: 'error' }, logStream: new Writable({ write: (chunk, _e, done) => (log.push(String(chunk)), done()) }) });
    merchant = await server.client();
  });
  after(() => server.close());

  for (const [field, argument] of [
    ['paymentUpdated', 'paymentId'],
    ['accountPaymentUpdated', 'accountId'],
    ['accountBalanceUpdated', 'accountId'],
  ] as const) {
    it(`masks an unexpected error of ${field} over the WebSocket as over HTTP, with a logged reference`, async () => {
      const socket = await RawSocket.open(server.url, merchant.token);
      const answer = await socket.run('1', `subscription($id: ID!) { ${field}(${argument}: $id) { __typename } }`, { id: 'pay_\u0000x' });
      socket.close();
      const text = JSON.stringify(answer);
      assert.doesNotMatch(text, /select|from|where|\\u0000|cli_|sqlite|syntax|invalid byte/i, text);
      const errors = answer.type === 'error' ? answer.payload : answer.payload.errors;
      for (const error of errors) {
        if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') {
          assert.equal(error.message, 'Internal server error');
          assert.match(error.extensions.reference, /^err_[0-9A-Z]{26}$/);
          assert.ok(log.some((line) => line.includes(error.extensions.reference)), 'the reference is in the log');
        } else {
          // Refused before the database (another helper's input checks): a stable code, nothing internal.
          assert.ok(typeof error.extensions?.code === 'string', text);
        }
      }
    });
  }

  it('answers a bogus persisted-query hash with a clear code, never INTERNAL_SERVER_ERROR', async () => {
    for (const body of [
      { extensions: { persistedQuery: { version: 1, sha256Hash: 'bogus' } } },
      { extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } },
      { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'bogus' } } },
    ]) {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${merchant.token}` },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as any;
      assert.ok(response.status < 500);
      assert.equal(json.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_SUPPORTED', JSON.stringify(json));
    }
  });
});

describe('limits', () => {
  let server: TestServer;
  let merchant: TestClient;
  let statements = 0;

  before(async () => {
    server = await startServer({ config: { requestTimeoutMs: 1000, headersTimeoutMs: 1000 }, onQuery: (sql) => {
      // Reads of what the query asks for; the outbox and scheduler poll in the background.
      if (/from ["`]?(account|payment)["`]? /i.test(sql)) statements++;
    } });
    merchant = await server.client();
    const operator = await server.operator();
    await fund(server, operator, await openAccount(server, merchant), '10.00');
  });
  after(() => server.close());

  const PAGES_OF_PAGES = 'accounts(first: 100) { nodes { payments(first: 100) { nodes { id amount { value } } } } }';
  const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${PAGES_OF_PAGES}`).join(' ')} }`;

  it('refuses 1000 aliases of pages of pages before any resolver runs, over HTTP and the WebSocket', async () => {
    const query = aliased(1000);
    const before = statements;
    const refused = await server.gql(merchant.token, query);
    assert.equal(refused.status, 400);
    assert.equal(refused.data, undefined);
    // The document's size (5,000 tokens) is the first limit it meets: refused while parsing.
    assert.deepEqual(refused.errors!.map((e) => e.extensions?.code), ['GRAPHQL_PARSE_FAILED']);
    assert.match(refused.errors![0].message, /more tha[nt] 5000 tokens/);
    assert.equal(statements, before, 'no account or payment was read');

    const socket = await RawSocket.open(server.url, merchant.token);
    const answer = await socket.run('1', query);
    socket.close();
    assert.equal(answer.type, 'error');
    assert.match(JSON.stringify(answer.payload), /more tha[nt] 5000 tokens/);
  });

  it('names the alias refusal TOO_MANY_ALIASES and the cost refusal QUERY_TOO_COSTLY, with the list sizes counted', async () => {
    const many = await server.gql(merchant.token, `{ ${Array.from({ length: 31 }, (_, i) => `v${i}: viewer { id }`).join(' ')} }`);
    assert.equal(many.status, 400);
    assert.deepEqual(many.errors!.map((e) => e.extensions?.code), ['TOO_MANY_ALIASES']);
    const thirty = await server.gql(merchant.token, `{ ${Array.from({ length: 30 }, (_, i) => `v${i}: viewer { id }`).join(' ')} }`);
    assert.equal(thirty.errors, undefined, JSON.stringify(thirty.errors));
    const socketAliases = await RawSocket.open(server.url, merchant.token);
    const refusedOverSocket = await socketAliases.run('1', `{ ${Array.from({ length: 31 }, (_, i) => `v${i}: viewer { id }`).join(' ')} }`);
    socketAliases.close();
    assert.deepEqual(refusedOverSocket.payload.map((e: any) => e.extensions?.code), ['TOO_MANY_ALIASES']);

    const one = await server.gql(merchant.token, `{ ${PAGES_OF_PAGES} }`);
    assert.equal(one.status, 400);
    assert.deepEqual(one.errors!.map((e) => e.extensions?.code), ['QUERY_TOO_COSTLY']);
    // Smaller pages of the same shape are fine (and counted: the counter sees account reads).
    const counted = statements;
    const small = await server.gql(merchant.token, '{ accounts(first: 10) { nodes { payments(first: 10) { nodes { id amount { value } } } } } }');
    assert.equal(small.errors, undefined, JSON.stringify(small.errors));
    assert.ok(statements > counted);

    const socket = await RawSocket.open(server.url, merchant.token);
    const answer = await socket.run('1', `{ ${PAGES_OF_PAGES} }`);
    socket.close();
    assert.equal(answer.type, 'error');
    assert.deepEqual(answer.payload.map((e: any) => e.extensions?.code), ['QUERY_TOO_COSTLY']);
  });

  it('answers the standard introspection query (14 levels) that explorers send, while data nested as deep is refused', async () => {
    const introspection = await server.gql(merchant.token, getIntrospectionQuery());
    assert.equal(introspection.errors, undefined, JSON.stringify(introspection.errors));
    assert.equal(introspection.data.__schema.queryType.name, 'Query');
    const socket = await RawSocket.open(server.url, merchant.token);
    const overSocket = await socket.run('1', getIntrospectionQuery());
    socket.close();
    assert.equal(overSocket.type, 'next', JSON.stringify(overSocket.payload));

    const nested = (depth: number): string => (depth === 0 ? 'id' : `payments(first: 1) { nodes { payerAccount { ${nested(depth - 1)} } } }`);
    const deep = await server.gql(merchant.token, `{ accounts(first: 1) { nodes { ${nested(3)} } } }`);
    assert.deepEqual(deep.errors!.map((e) => e.extensions?.code), ['QUERY_TOO_DEEP']);
  });

  it('refuses a batch of operations (a JSON array body) with 400', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${merchant.token}` },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    assert.equal(response.status, 400);
    assert.doesNotMatch(await response.text(), /__typename"\s*:/);
  });

  it('closes a WebSocket that sends a message larger than 1 MiB (1009), as HTTP refuses such a body', async () => {
    const socket = await RawSocket.open(server.url, merchant.token);
    socket.send({ id: 'big', type: 'subscribe', payload: { query: `{ __typename }`, variables: { pad: 'x'.repeat(1024 * 1024 + 10) } } });
    await socket.until(() => socket.closed !== null);
    assert.equal(socket.closed?.code, 1009);
    const http = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${merchant.token}` },
      body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(1024 * 1024 + 10) } }),
    });
    assert.equal(http.status, 413);
  });

  it('cuts off a body sent one byte at a time once the request timeout passed', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const answer = await rawHttp(
      server.app.port,
      `POST /graphql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body.split(''),
      250,
    );
    assert.ok(answer.closedAfterMs < body.length * 250, `the connection stayed open ${answer.closedAfterMs} ms`);
    assert.ok(answer.status === 408 || answer.status === 0, answer.text);
    assert.doesNotMatch(answer.text, /__typename/);
  });

  it('cuts off headers sent one byte at a time', async () => {
    const head = `GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ${'y'.repeat(20)}\r\n\r\n`;
    const answer = await rawHttp(server.app.port, '', head.split(''), 200);
    assert.ok(answer.closedAfterMs < head.length * 200, `the connection stayed open ${answer.closedAfterMs} ms`);
    assert.doesNotMatch(answer.text, /"status":"ok"/);
  });
});

describe('two Authorization headers', () => {
  let server: TestServer;
  let merchant: TestClient;

  before(async () => {
    server = await startServer();
    merchant = await server.client();
  });
  after(() => server.close());

  const twice = (first: string, second: string) => `Authorization: ${first}\r\nAuthorization: ${second}\r\n`;

  it('are refused on /graphql, REST routes and /oauth/*, even when the first is valid', async () => {
    const body = JSON.stringify({ query: '{ viewer { id } }' });
    const basic = `Basic ${Buffer.from(`${merchant.id}:${merchant.secret}`).toString('base64')}`;
    const cases = [
      { request: `POST /graphql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${twice(`Bearer ${merchant.token}`, 'Bearer other')}\r\n${body}`, code: /"BAD_REQUEST"/ },
      { request: `GET /orders/ord_x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${twice(`Bearer ${merchant.token}`, 'Bearer other')}\r\n`, code: /"BAD_REQUEST"/ },
      {
        request: `POST /oauth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n${twice(basic, 'Basic eDp5')}\r\ngrant_type=client_credentials`,
        code: /"invalid_request"/,
      },
    ];
    for (const { request, code } of cases) {
      const answer = await rawHttp(server.app.port, request);
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.text, code);
      assert.doesNotMatch(answer.text, /access_token|"viewer"/);
    }
    // One header still works.
    const one = `POST /graphql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nAuthorization: Bearer ${merchant.token}\r\n\r\n${body}`;
    assert.equal((await rawHttp(server.app.port, one)).status, 200);
  });
});

describe('the request log', () => {
  it('never holds a token, code, secret or Authorization header', async () => {
    const lines: string[] = [];
    const server = await startServer({ config: { logLevel: 'info' }, logStream: new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }) });
    try {
      const merchant = await server.client();
      const secrets = ['pgat_secretpaymenttoken123', 'codesecret456', 'statesecret789', merchant.token, merchant.secret];
      await fetch(`${server.url}/webview/payment?client_id=${merchant.id}&code=${secrets[0]}&state=${secrets[2]}&redirect_uri=https%3A%2F%2Fx`);
      await fetch(`${server.url}/oauth/authorize?client_id=x&code=${secrets[1]}&access_token=${secrets[0]}`);
      await server.gql(merchant.token, '{ viewer { id } }');
      await tokenRequest(server, merchant, { grant_type: 'client_credentials', client_secret: merchant.secret });
      const log = lines.join('');
      assert.match(log, /\/webview\/payment\?client_id=/, 'the request log records the URL');
      assert.match(log, /code=\[redacted\]/);
      for (const secret of secrets) assert.ok(!log.includes(secret), `the log holds ${secret.slice(0, 8)}…`);
    } finally {
      await server.close();
    }
  });
});
