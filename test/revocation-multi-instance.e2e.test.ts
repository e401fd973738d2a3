import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RawSocket } from './support/raw-socket';
import { createTestDatabase, startServer, usingPostgres, usingRedis, type TestClient, type TestDatabase, type TestServer } from './support/server';

const shared = usingPostgres && usingRedis;
const SKIP = !shared && 'needs DATABASE_URL=postgres://… and REDIS_URL: revocations reach other instances through Redis';

describe('a token revoked on one instance', () => {
  let database: TestDatabase | undefined;
  let a: TestServer | undefined;
  let b: TestServer | undefined;
  let merchant: TestClient;

  before(async () => {
    if (!shared) return;
    database = await createTestDatabase();
    const redisPrefix = `paygrid-revoke-${randomBytes(4).toString('hex')}`;
    // A long cache lifetime: only the revocation message (or the sweep, for sockets) can stop the token on B.
    a = await startServer({ database, redisPrefix, config: { tokenCacheMs: 3_600_000 } });
    b = await startServer({ database, redisPrefix, config: { tokenCacheMs: 3_600_000 } });
    merchant = await a.client();
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('fails on the other instance\'s HTTP and closes its sockets', { skip: SKIP }, async () => {
    const A = a!;
    const B = b!;
    const token = await A.token(merchant.id, merchant.secret);
    // B resolved (and cached) the token, and holds a socket with it.
    assert.equal((await B.gql(token, '{ viewer { id } }')).status, 200);
    const socket = await RawSocket.open(B.url, token);
    assert.equal((await socket.run('1', '{ viewer { id } }')).type, 'next');

    const response = await fetch(`${A.url}/oauth/revoke`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${merchant.id}:${merchant.secret}`).toString('base64')}` },
      body: new URLSearchParams({ token }),
    });
    assert.equal(response.status, 200);
    await socket.until(() => socket.closed !== null, 3000);
    assert.deepEqual(socket.closed, { code: 4401, reason: 'Token revoked' });
    assert.equal((await B.gql(token, '{ viewer { id } }')).status, 401);
    assert.equal((await A.gql(token, '{ viewer { id } }')).status, 401);
    // Another token of the same client is untouched.
    assert.equal((await B.gql(merchant.token, '{ viewer { id } }')).status, 200);
  });
});
