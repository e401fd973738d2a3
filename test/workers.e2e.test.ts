import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, usingPostgres, usingRedis, type TestDatabase } from './support/server';

const MAIN = join(__dirname, '../src/main.js');

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, DEMO_DATA: 'false', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

/** Which worker answered a request on a connection of its own (no keep-alive, so the primary hands each to a worker). */
function workerOf(port: number, path = '/health'): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.headers['x-paygrid-worker'] as string | undefined));
    }).on('error', reject);
  });
}

describe('WORKERS: one worker process per core on one port', () => {
  it('is refused clearly with SQLite or in-process pub/sub', async () => {
    const { child, output } = start({ WORKERS: '2', DATABASE_URL: 'sqlite::memory:', REDIS_URL: '', PORT: String(await freePort()) });
    const [code] = await once(child, 'exit');
    assert.notEqual(code, 0);
    assert.match(output(), /WORKERS=2 needs PostgreSQL .* and Redis/);
  });

  describe('on PostgreSQL and Redis', { skip: !(usingPostgres && usingRedis) && 'needs DATABASE_URL=postgres://… and REDIS_URL' }, () => {
    let database: TestDatabase;
    let cluster: ReturnType<typeof start>;
    let port: number;

    before(async () => {
      database = await createTestDatabase();
      port = await freePort();
      cluster = start({ WORKERS: '2', DATABASE_URL: database.url, PORT: String(port), REDIS_PREFIX: `paygrid-workers-${port}` });
      for (let tries = 0; ; tries++) {
        const answered = await workerOf(port).catch(() => null);
        if (answered) break;
        if (tries > 300) throw new Error(`the workers did not start:\n${cluster.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    after(async () => {
      cluster.child.kill('SIGTERM');
      await once(cluster.child, 'exit');
      await database.drop();
    });

    it('answers from both workers on one port', async () => {
      const seen = new Set<string>();
      // One worker may still be starting (the first seeds the demo data) while the other answers
      // every connection: ask until both did, for up to 30 s.
      const deadline = Date.now() + 30_000;
      while (seen.size < 2 && Date.now() < deadline) {
        const worker = await workerOf(port).catch(() => undefined);
        if (worker) seen.add(worker);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual([...seen].sort(), ['1', '2'], cluster.output());
    });
  });
});
