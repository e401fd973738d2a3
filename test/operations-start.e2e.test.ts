import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client as PgClient } from 'pg';
import { ConfigError, loadConfig } from '../src/config/config';
import { createApp } from '../src/http/app';
import { DEMO_MERCHANT } from '../src/demo/demo-data';
import { createTestDatabase, startServer, usingPostgres } from './support/server';

const ROOT = join(__dirname, '../..');
const MAIN = join(__dirname, '../src/main.js');
const MIGRATE = join(__dirname, '../src/persistence/migrate.js');

function run(script: string, env: Record<string, string | undefined>, cwd: string): { child: ChildProcess; output: () => string } {
  let output = '';
  const base: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'info', PORT: '0' };
  delete base.DATABASE_URL;
  delete base.DEMO_DATA;
  delete base.REDIS_URL;
  const child = spawn(process.execPath, [script], { env: { ...base, ...env } as NodeJS.ProcessEnv, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

/** Waits for the server's "GraphQL on <url>" line; returns the URL. */
async function listening(server: ReturnType<typeof run>): Promise<string> {
  for (;;) {
    const found = /Paygrid GraphQL on (http:\/\/[^/]+)\/graphql/.exec(server.output());
    if (found) return found[1];
    if (server.child.exitCode !== null) throw new Error(`the server exited:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

const demoToken = (url: string) =>
  fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${DEMO_MERCHANT.id}:${DEMO_MERCHANT.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });

describe('settings are checked at start', () => {
  it('names every bad value, one line each', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', SCHEDULER_POLL_MS: '-5', TRUST_PROXY: 'yes', LOG_LEVEL: 'loud', PUBLIC_URL: 'ftp://x', METRICS_TOKEN: 'short' });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [
      'PORT must be a port number, not "eighty"',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, not "loud"',
      'PUBLIC_URL: must be an http(s) URL, not "ftp://x"',
      'TRUST_PROXY must be "true" or "false", not "yes"',
      'SCHEDULER_POLL_MS must be a positive integer, not "-5"',
      'METRICS_TOKEN: must be at least 16 characters',
    ]);
  });

  it('refuses a DATABASE_URL that is neither PostgreSQL nor an explicit SQLite form, without echoing its password', () => {
    for (const url of ['mysql://root:hunter2@db/paygrid', './paygrid.sqlite', 'sqlite:', 'postgres:/nohost']) {
      assert.throws(() => loadConfig({ DATABASE_URL: url }), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /DATABASE_URL: must be a PostgreSQL URL \(postgres:\/\/user@host:5432\/db\) or sqlite:<file>/);
        assert.doesNotMatch(e.message, /hunter2/);
        return true;
      });
    }
    for (const url of ['postgres://u@h:5432/db', 'postgresql://h/db', 'sqlite:./x.sqlite', 'sqlite:/tmp/x.sqlite', 'sqlite::memory:']) {
      assert.equal(loadConfig({ DATABASE_URL: url }).databaseUrl, url);
    }
  });

  it('creates demo data only on the embedded default or when DEMO_DATA=true', () => {
    assert.equal(loadConfig({}).demoData, true);
    assert.equal(loadConfig({ DATABASE_URL: 'sqlite:./x.sqlite' }).demoData, false);
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://h/db' }).demoData, false);
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://h/db', DEMO_DATA: 'true' }).demoData, true);
    assert.equal(loadConfig({ DEMO_DATA: 'false' }).demoData, false);
  });

  it('turns introspection and the explorer off with NODE_ENV=production unless asked for', () => {
    assert.equal(loadConfig({}).introspection, true);
    assert.equal(loadConfig({}).explorer, true);
    assert.equal(loadConfig({ NODE_ENV: 'production' }).introspection, false);
    assert.equal(loadConfig({ NODE_ENV: 'production' }).explorer, false);
    assert.equal(loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }).introspection, true);
    assert.equal(loadConfig({ GRAPHQL_EXPLORER: 'false' }).explorer, false);
  });
});

describe('npm start', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  after(async () => {
    for (const child of children) await stop(child);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'paygrid-start-'));
    dirs.push(dir);
    return dir;
  };

  it('runs the built server, without compiling (the build runs at install: prepare)', () => {
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
    assert.equal(scripts.start, 'node dist/src/main.js');
    assert.match(scripts.prepare, /^tsc -p tsconfig.json$/);
    assert.match(scripts.test, /^npm run build && /);
  });

  it('on the embedded default creates the demo data and warns about it', async () => {
    const server = run(MAIN, {}, tempDir());
    children.push(server.child);
    const url = await listening(server);
    assert.match(server.output(), /DEMO DATA is on: demo clients with published secrets/);
    assert.equal((await demoToken(url)).status, 200);
    await stop(server.child);
  });

  it('with an explicit DATABASE_URL creates no demo data and prints no warning', async () => {
    const dir = tempDir();
    const server = run(MAIN, { DATABASE_URL: `sqlite:${join(dir, 'p.sqlite')}` }, dir);
    children.push(server.child);
    const url = await listening(server);
    assert.doesNotMatch(server.output(), /DEMO DATA/);
    assert.equal((await demoToken(url)).status, 401);
    await stop(server.child);
  });

  it('refuses to start on a bad setting, naming each', async () => {
    const server = run(MAIN, { DATABASE_URL: 'mysql://db/paygrid', WEBHOOK_MAX_ATTEMPTS: '0' }, tempDir());
    const [code] = await once(server.child, 'exit');
    assert.equal(code, 1);
    assert.match(server.output(), /DATABASE_URL: must be a PostgreSQL URL/);
    assert.match(server.output(), /WEBHOOK_MAX_ATTEMPTS must be a positive integer, not "0"/);
  });
});

describe('migrations', () => {
  it('npm run migrate applies them on their own; a start with MIGRATE_ON_START=false is not ready until then', async () => {
    const database = await createTestDatabase();
    const config = { ...loadConfig({}), port: 0, databaseUrl: database.url, logLevel: 'silent', demoData: false, migrateOnStart: false };
    const unmigrated = await createApp(config);
    try {
      const ready = await fetch(`${unmigrated.url}/health/ready`);
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as { failing: string[]; checks: Record<string, { reason?: string }> };
      assert.deepEqual(body.failing, ['migrations']);
      assert.match(body.checks.migrations.reason!, /pending: run npm run migrate/);

      const migrate = run(MIGRATE, { DATABASE_URL: database.url }, ROOT);
      const [code] = await once(migrate.child, 'exit');
      assert.equal(code, 0, migrate.output());
      assert.match(migrate.output(), /applied \d+ migration\(s\)/);
      assert.equal((await fetch(`${unmigrated.url}/health/ready`)).status, 200);

      const again = run(MIGRATE, { DATABASE_URL: database.url }, ROOT);
      await once(again.child, 'exit');
      assert.match(again.output(), /the database is up to date/);
    } finally {
      await unmigrated.close();
      await database.drop();
    }
  });

  it('three instances starting at once on PostgreSQL migrate once', { skip: !usingPostgres && 'needs DATABASE_URL=postgres://…' }, async () => {
    const database = await createTestDatabase();
    const config = { ...loadConfig({}), port: 0, databaseUrl: database.url, logLevel: 'warn', demoData: false, redisUrl: undefined };
    const apps = await Promise.all([createApp(config), createApp(config), createApp(config)]);
    try {
      const pg = new PgClient({ connectionString: database.url });
      await pg.connect();
      const { rows } = await pg.query<{ name: string; times: string }>('select name, count(*) as times from mikro_orm_migrations group by name');
      await pg.end();
      assert.ok(rows.length >= 3);
      for (const row of rows) assert.equal(Number(row.times), 1, `${row.name} applied ${row.times} times`);
      for (const app of apps) assert.equal((await fetch(`${app.url}/health/ready`)).status, 200);
    } finally {
      for (const app of apps) await app.close();
      await database.drop();
    }
  });
});

/** A TCP relay in front of PostgreSQL that the test can cut, as a stopped database server looks. */
async function relay(target: URL): Promise<{ url: string; cut(): void; server: Server }> {
  const sockets = new Set<Socket>();
  let open = true;
  const server = createServer((socket) => {
    if (!open) return socket.destroy();
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = new URL(target);
  url.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: url.toString(),
    server,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
  };
}

describe('health', () => {
  it('/health/live answers; /health/ready is 200 with every part ok, and 503 naming the database when it is stopped', async () => {
    const database = await createTestDatabase();
    const proxy = usingPostgres ? await relay(new URL(database.url)) : null;
    const server = await startServer({ database: proxy ? { ...database, url: proxy.url } : database });
    try {
      assert.deepEqual(await (await fetch(`${server.url}/health/live`)).json(), { status: 'ok' });
      const ready = await fetch(`${server.url}/health/ready`);
      assert.equal(ready.status, 200);
      const body = (await ready.json()) as { status: string; checks: Record<string, { status: string }> };
      assert.equal(body.status, 'ok');
      assert.deepEqual(Object.keys(body.checks).sort(), ['database', 'migrations', 'scheduler', ...(process.env.REDIS_URL ? ['redis'] : [])].sort());

      // Stopping the database: on PostgreSQL its connections are cut; the SQLite file's connection is closed.
      if (proxy) proxy.cut();
      else await server.app.services.db.orm.close(true);
      const stopped = await fetch(`${server.url}/health/ready`);
      assert.equal(stopped.status, 503);
      const failing = (await stopped.json()) as { status: string; failing: string[] };
      assert.equal(failing.status, 'failing');
      assert.ok(failing.failing.includes('database'));
      assert.equal((await fetch(`${server.url}/health/live`)).status, 200);
    } finally {
      await server.app.close().catch(() => undefined);
      proxy?.server.close();
      await database.drop();
    }
  });
});
