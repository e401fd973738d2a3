import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig, type Config } from '../../src/config/config';
import { createApp, type App, type AppOptions } from '../../src/http/app';
import { MERCHANT_SCOPES, OPERATOR_SCOPES } from '../../src/oauth/scopes';
import type { BankGateway } from '../../src/providers/bank/bank-connector';
import type { Clock } from '../../src/shared/clock';

/** PostgreSQL when DATABASE_URL says so (a fresh database per test file), else a fresh SQLite file. */
export const usingPostgres = /^postgres/.test(process.env.DATABASE_URL ?? '');
export const usingRedis = !!process.env.REDIS_URL;

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (usingPostgres) {
    const name = `paygrid_t_${randomBytes(6).toString('hex')}`;
    const admin = new PgClient({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      async drop() {
        const c = new PgClient({ connectionString: process.env.DATABASE_URL });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'paygrid-test-'));
  return { url: `sqlite:${join(dir, 'paygrid.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestClient {
  id: string;
  secret: string;
  webhookSecret: string;
  token: string;
}

export interface ClientOptions {
  redirectUris?: string[];
  isPublic?: boolean;
  verified?: boolean;
}

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export class TestServer {
  readonly subscriptions: WsClient[] = [];

  constructor(
    readonly app: App,
    readonly database: TestDatabase,
    private readonly ownsDatabase: boolean,
  ) {}

  get url(): string {
    return this.app.url;
  }

  /**
   * Registers a client and gets it a token over HTTP, as a merchant backend would. A public client
   * may not use client credentials (RFC 6749 §4.4), so its `token` is empty.
   */
  async client(scopes: readonly string[] = MERCHANT_SCOPES, name = 'Test merchant', options: ClientOptions = {}): Promise<TestClient> {
    const { client, secret, webhookSecret } = await this.app.services.tokens.createClient({ name, scopes, ...options });
    const token = options.isPublic ? '' : await this.token(client.id, secret);
    return { id: client.id, secret, webhookSecret, token };
  }

  operator(): Promise<TestClient> {
    return this.client(OPERATOR_SCOPES, 'Test operator');
  }

  async token(clientId: string, secret: string, scope?: string): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
    const response = await fetch(`${this.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body,
    });
    const json = (await response.json()) as { access_token?: string };
    if (!json.access_token) throw new Error(`no token: ${JSON.stringify(json)}`);
    return json.access_token;
  }

  async gql<T = any>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const json = (await response.json()) as GraphQLResponse<T>;
    return { ...json, status: response.status };
  }

  /** Like gql, but fails the test on any top-level error. */
  async ok<T = any>(token: string, query: string, variables?: Record<string, unknown>): Promise<T> {
    const result = await this.gql<T>(token, query, variables);
    if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data;
  }

  /** A graphql-ws client authenticated with `token` at connection_init. */
  ws(token: string | null): WsClient {
    const client = createWsClient({
      url: this.url.replace(/^http/, 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
      lazy: true,
      // Closed a moment after its last operation rather than at once: a subscribe that arrives while
      // a socket closes normally is completed by graphql-ws with no result, as if it had succeeded.
      lazyCloseTimeout: 100,
    });
    this.subscriptions.push(client);
    return client;
  }

  async close(): Promise<void> {
    for (const c of this.subscriptions) await c.dispose();
    await this.app.close();
    if (this.ownsDatabase) await this.database.drop();
  }
}

export interface StartOptions {
  /** Share a database with another server (multi-instance tests); the caller drops it. */
  database?: TestDatabase;
  redisPrefix?: string;
  onQuery?: (sql: string) => void;
  clock?: Clock;
  /** Settings that differ from the defaults, e.g. a scheduler that never polls on its own. */
  config?: Partial<Config>;
  /** Believe X-Forwarded-Proto (as behind a TLS-terminating proxy). */
  trustProxy?: boolean;
  /** The banks, instead of a fresh sandbox. */
  bankGateway?: BankGateway;
  /** Receives the server's log lines (tests of what the log never holds). */
  logStream?: import('node:stream').Writable;
  /** The identity providers, given the sandbox BankID (e.g. wrapped to fail on purpose). */
  identityProviders?: AppOptions['identityProviders'];
}

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const config = {
    ...loadConfig({}),
    port: 0,
    databaseUrl: database.url,
    redisUrl: process.env.REDIS_URL || undefined,
    redisPrefix: options.redisPrefix ?? `paygrid-test-${randomBytes(4).toString('hex')}`,
    logLevel: 'warn',
    demoData: false,
    // Test receivers listen on 127.0.0.1; a deployment refuses loopback unless told otherwise.
    outboundAllowLoopback: true,
    ...options.config,
    trustProxy: options.trustProxy ?? false,
  };
  const app = await createApp(config, { onQuery: options.onQuery, clock: options.clock, bankGateway: options.bankGateway, logStream: options.logStream, identityProviders: options.identityProviders });
  return new TestServer(app, database, !options.database);
}

/** Collects what a subscription pushes, and lets a test wait for the n-th item. */
export class Collector<T> {
  readonly items: T[] = [];
  readonly errors: unknown[] = [];
  completed = false;
  private waiters: Array<() => void> = [];

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }

  fail(error: unknown): void {
    this.errors.push(error);
    this.wake();
  }

  complete(): void {
    this.completed = true;
    this.wake();
  }

  async waitFor(predicate: (c: Collector<T>) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.items)} errors ${JSON.stringify(this.errors)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export function subscribe<T = any>(client: WsClient, query: string, variables: Record<string, unknown> = {}): { collector: Collector<T>; stop: () => void } {
  const collector = new Collector<T>();
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => (value.errors ? collector.fail(value.errors) : collector.push(value.data as T)),
      error: (error) => collector.fail(error),
      complete: () => collector.complete(),
    },
  );
  return { collector, stop };
}
