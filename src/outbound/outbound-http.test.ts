import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { OutboundError, OutboundFailure, OutboundHttp, type OutboundOptions } from './outbound-http';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A server on 127.0.0.1 that counts what reaches it, answering as the current test says. */
async function localServer() {
  const state = { requests: [] as Array<{ path: string; host: string }>, handler: ((_, res) => res.end('OK')) as Handler, closed: 0 };
  const server = createServer((req, res) => {
    state.requests.push({ path: req.url!, host: req.headers.host! });
    res.on('close', () => state.closed++);
    state.handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    state,
    port,
    url: (path = '/') => `http://127.0.0.1:${port}${path}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const LIMITS = { connectTimeoutMs: 500, timeoutMs: 800, maxResponseBytes: 1024 };

function client(options: Partial<OutboundOptions> = {}): OutboundHttp {
  return new OutboundHttp({ allowLoopback: true, ...LIMITS, ...options });
}

async function failure(promise: Promise<unknown>): Promise<OutboundError> {
  const error = await promise.then(
    () => assert.fail('the request succeeded'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof OutboundError, `not an OutboundError: ${error}`);
  return error;
}

describe('outbound requests', () => {
  let server: Awaited<ReturnType<typeof localServer>>;
  before(async () => {
    server = await localServer();
  });
  after(() => server.close());
  const reset = (handler: Handler = (_, res) => res.end('OK')) => {
    server.state.requests.length = 0;
    server.state.handler = handler;
  };

  it('sends to an allowed address and returns the status, headers and body', async () => {
    reset((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => res.writeHead(201, { 'x-echo': req.method! }).end(`got ${body}`));
    });
    const response = await client().send({ url: server.url('/hooks?x=1'), method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'déjà' });
    assert.equal(response.status, 201);
    assert.equal(response.headers['x-echo'], 'POST');
    assert.equal(response.body.toString('utf8'), 'got déjà');
    assert.deepEqual(server.state.requests.map((r) => r.path), ['/hooks?x=1']);
    // A name goes through the system resolver, and is reached at the address it checked.
    assert.equal((await client().send({ url: `http://localhost:${server.port}/named`, method: 'GET' })).status, 201);
    assert.deepEqual(server.state.requests.map((r) => r.host), [`127.0.0.1:${server.port}`, `localhost:${server.port}`]);
  });

  it('with loopback not allowed, connects neither to a loopback literal nor to a name resolving to it', async () => {
    reset();
    const strict = client({ allowLoopback: false });
    for (const url of [server.url(), `http://localhost:${server.port}/`, `http://[::ffff:127.0.0.1]:${server.port}/`]) {
      const error = await failure(strict.send({ url, method: 'POST', body: '{}' }));
      assert.equal(error.failure, OutboundFailure.NOT_ALLOWED, url);
      assert.equal(error.message, 'Destination not allowed.');
      assert.equal(error.status, null);
    }
    assert.equal(server.state.requests.length, 0);
  });

  it('refuses what is not http(s) or not a URL', async () => {
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'not a url']) {
      assert.equal((await failure(client().send({ url, method: 'GET' }))).failure, OutboundFailure.NOT_ALLOWED, url);
    }
  });

  it('resolves a name once per request and connects to the address it checked', async () => {
    reset();
    const asked: string[] = [];
    const names: Record<string, string[]> = { 'receiver.test': ['127.0.0.1'], 'metadata.test': ['93.184.216.34', '169.254.169.254'] };
    const resolve = async (hostname: string): Promise<LookupAddress[]> => {
      asked.push(hostname);
      return (names[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    const guarded = client({ resolve });
    // receiver.test exists nowhere but in this resolver: reaching the server proves the checked address was the one used.
    const response = await guarded.send({ url: `http://receiver.test:${server.port}/named`, method: 'GET' });
    assert.equal(response.status, 200);
    assert.deepEqual(server.state.requests, [{ path: '/named', host: `receiver.test:${server.port}` }]);
    assert.deepEqual(asked, ['receiver.test']);
    // One refused address among the answers refuses the name.
    assert.equal((await failure(guarded.send({ url: `http://metadata.test:${server.port}/`, method: 'GET' }))).failure, OutboundFailure.NOT_ALLOWED);
    assert.equal((await failure(guarded.send({ url: `http://nowhere.test:${server.port}/`, method: 'GET' }))).failure, OutboundFailure.NOT_ALLOWED);
    assert.deepEqual(asked, ['receiver.test', 'metadata.test', 'nowhere.test']);
    assert.equal(server.state.requests.length, 1);
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    const target = await localServer();
    try {
      reset((_, res) => res.writeHead(307, { location: target.url('/stolen') }).end());
      const response = await client().send({ url: server.url('/hooks'), method: 'POST', body: '{}' });
      assert.equal(response.status, 307);
      assert.equal(target.state.requests.length, 0);
    } finally {
      await target.close();
    }
  });

  it('stops reading an endless answer at the size limit', async () => {
    reset((_, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(512);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const closedBefore = server.state.closed;
    const error = await failure(client().send({ url: server.url(), method: 'GET' }));
    assert.equal(error.failure, OutboundFailure.TOO_LARGE);
    assert.equal(error.message, 'The answer was larger than 1 KiB.');
    assert.equal(error.status, 200);
    // The connection is closed, not left draining.
    for (let i = 0; i < 50 && server.state.closed === closedBefore; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.state.closed, closedBefore + 1);
  });

  it('refuses an answer whose declared length is over the limit without reading it', async () => {
    reset((_, res) => res.writeHead(200, { 'content-length': '4096' }).end('y'.repeat(4096)));
    const error = await failure(client().send({ url: server.url(), method: 'GET' }));
    assert.equal(error.failure, OutboundFailure.TOO_LARGE);
    assert.equal(error.status, 200);
  });

  it('gives up on a server that never answers at the total time limit', async () => {
    reset(() => undefined);
    const error = await failure(client().send({ url: server.url(), method: 'POST', body: '{}' }));
    assert.equal(error.failure, OutboundFailure.TIMEOUT);
    assert.equal(error.message, 'No complete answer within 800 ms.');
    assert.equal(server.state.requests.length, 1);
  });

  it('gives up at the connect limit when the connection does not open (here: the lookup never ends)', async () => {
    const error = await failure(client({ resolve: () => new Promise<LookupAddress[]>(() => undefined) }).send({ url: 'http://stuck.test/', method: 'GET' }));
    assert.equal(error.failure, OutboundFailure.CONNECT_TIMEOUT);
    assert.equal(error.message, 'No connection within 500 ms.');
  });

  it('reports a refused connection by its code, not by its address', async () => {
    const gone = await localServer();
    const url = gone.url();
    await gone.close();
    const error = await failure(client().send({ url, method: 'GET' }));
    assert.equal(error.failure, OutboundFailure.NETWORK);
    assert.equal(error.message, 'Connection failed (ECONNREFUSED).');
  });
});
