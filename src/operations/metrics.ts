import { timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DomainEvent } from '../events/event.entity';
import type { LedgerService } from '../ledger/ledger.service';
import type { Database } from '../persistence/database';
import type { Clock } from '../shared/clock';
import { sha256 } from '../shared/ids';
import type { OperationsOverview } from './dashboard/overview';

export interface MetricsSources {
  db: Database;
  ledger: LedgerService;
  clock: Clock;
  /** Payments by flow and state and the scheduler's backlog, as the dashboard shows them. */
  overview: OperationsOverview;
  /** Open graphql-ws connections, each carrying the caller's subscriptions. */
  openSockets: () => number;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Paygrid's Prometheus series. Request and operation durations are observed as they happen; what
 * the database knows (payments by flow and state, transfers, outbox lag, due jobs, webhook
 * deliveries, the ledger's drift) is read when scraped, so that every instance reports the same
 * figures and nothing is counted twice across instances.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Histogram({ name: 'paygrid_http_request_duration_seconds', help: 'HTTP requests by route and status.', labelNames: ['method', 'route', 'status_code'], buckets: DURATION_BUCKETS, registers: [this.registry] });
  private readonly operations = new Histogram({ name: 'paygrid_graphql_operation_duration_seconds', help: 'GraphQL operations over HTTP by name, type and outcome (ok, error).', labelNames: ['operation_name', 'operation_type', 'outcome'], buckets: DURATION_BUCKETS, registers: [this.registry] });
  private readonly payments = new Gauge({ name: 'paygrid_payments', help: 'Payments by flow and state.', labelNames: ['flow', 'state'], registers: [this.registry] });
  private readonly transfers = new Gauge({ name: 'paygrid_ledger_transfers', help: 'Ledger transfers by state.', labelNames: ['state'], registers: [this.registry] });
  private readonly outboxPending = new Gauge({ name: 'paygrid_outbox_unpublished_events', help: 'Events committed but not yet published.', registers: [this.registry] });
  private readonly outboxLag = new Gauge({ name: 'paygrid_outbox_lag_seconds', help: 'Age of the oldest unpublished event; 0 when none.', registers: [this.registry] });
  private readonly dueJobs = new Gauge({ name: 'paygrid_scheduler_due_jobs', help: 'Scheduled jobs due and not yet run.', registers: [this.registry] });
  private readonly oldestDue = new Gauge({ name: 'paygrid_scheduler_oldest_due_seconds', help: 'How long the oldest due job has waited; 0 when none.', registers: [this.registry] });
  private readonly deliveries = new Gauge({ name: 'paygrid_webhook_deliveries', help: 'Webhook deliveries by state (pending, delivered, dead: the dead letters).', labelNames: ['state'], registers: [this.registry] });
  private readonly sockets = new Gauge({ name: 'paygrid_graphql_ws_connections', help: 'Open graphql-ws connections (subscriptions) on this instance.', registers: [this.registry] });
  private readonly pool = new Gauge({ name: 'paygrid_db_pool_connections', help: 'Database pool connections by use (used, free); SQLite has one.', labelNames: ['use'], registers: [this.registry] });
  private readonly posted = new Gauge({ name: 'paygrid_ledger_posted_sum', help: 'Sum of posted balances per asset, in minor units: 0 when the books balance.', labelNames: ['asset'], registers: [this.registry] });
  private readonly drifting = new Gauge({ name: 'paygrid_ledger_drifting_accounts', help: 'Accounts whose balance differs from their entries, per asset: the drift check.', labelNames: ['asset'], registers: [this.registry] });

  constructor(private readonly sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'paygrid_process_' });
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.observe({ method, route, status_code: String(status) }, seconds);
  }

  /** Times every GraphQL operation over HTTP, named (or `anonymous`), with its outcome. */
  apolloPlugin(): ApolloServerPlugin {
    const operations = this.operations;
    return {
      async requestDidStart() {
        const started = performance.now();
        let name = 'anonymous';
        let type = 'unknown';
        return {
          async didResolveOperation({ operationName, operation }) {
            name = operationName ?? 'anonymous';
            type = operation?.operation ?? 'unknown';
          },
          async willSendResponse({ response }) {
            const failed = response.body.kind === 'single' && !!response.body.singleResult.errors?.length;
            operations.observe({ operation_name: name, operation_type: type, outcome: failed ? 'error' : 'ok' }, (performance.now() - started) / 1000);
          },
        };
      },
    };
  }

  /** The exposition text, with what the database knows read now. */
  async scrape(): Promise<string> {
    await this.refresh();
    return this.registry.metrics();
  }

  private async refresh(): Promise<void> {
    const { db, clock } = this.sources;
    const em = db.reader();
    const connection = em.getConnection();
    const now = clock.now().getTime();
    const { overview } = this.sources;
    this.payments.reset();
    for (const row of await overview.paymentCounts()) this.payments.set({ flow: row.flow, state: row.state }, row.count);
    const transfers = await connection.execute<Array<{ state: string; n: number | string }>>('select state, count(*) as n from ledger_transfer group by state');
    this.transfers.reset();
    for (const row of transfers) this.transfers.set({ state: row.state }, Number(row.n));

    this.outboxPending.set(await em.count(DomainEvent, { publishedAt: null }));
    const oldestEvent = await em.findOne(DomainEvent, { publishedAt: null }, { orderBy: { id: 'asc' }, fields: ['occurredAt'] });
    this.outboxLag.set(oldestEvent ? Math.max(0, (now - oldestEvent.occurredAt.getTime()) / 1000) : 0);

    const backlog = await overview.schedulerBacklog();
    this.dueJobs.set(backlog.dueJobs);
    this.oldestDue.set(backlog.oldestDueAt ? Math.max(0, (now - backlog.oldestDueAt.getTime()) / 1000) : 0);

    const deliveries = await connection.execute<Array<{ state: string; n: number | string }>>('select state, count(*) as n from webhook_delivery group by state');
    this.deliveries.reset();
    for (const state of ['pending', 'delivered', 'dead']) this.deliveries.set({ state }, 0);
    for (const row of deliveries) this.deliveries.set({ state: row.state }, Number(row.n));

    this.sockets.set(this.sources.openSockets());
    const pool = (connection as unknown as { getKnex(): { client: { pool?: { numUsed(): number; numFree(): number } } } }).getKnex().client.pool;
    this.pool.set({ use: 'used' }, pool ? pool.numUsed() : 1);
    this.pool.set({ use: 'free' }, pool ? pool.numFree() : 0);

    const report = await db.transaction((tx) => this.sources.ledger.report(tx));
    this.posted.reset();
    this.drifting.reset();
    for (const asset of report) {
      this.posted.set({ asset: asset.assetCode }, Number(asset.postedSum));
      this.drifting.set({ asset: asset.assetCode }, asset.driftingAccounts);
    }
  }
}

function sameToken(given: string, expected: string): boolean {
  return timingSafeEqual(Buffer.from(sha256(given), 'hex'), Buffer.from(sha256(expected), 'hex'));
}

/**
 * GET /metrics: on the main port only with METRICS_TOKEN (as a bearer token); on METRICS_PORT, a
 * listener of its own meant for a private network, where the token is asked for too when set.
 */
export function registerMetricsRoute(http: FastifyInstance, metrics: Metrics, token: string | undefined): void {
  http.get('/metrics', async (request: FastifyRequest, reply: FastifyReply) => {
    if (token !== undefined) {
      const given = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!given || !sameToken(given, token)) return reply.status(401).header('www-authenticate', 'Bearer').send({ error: 'UNAUTHENTICATED', message: 'GET /metrics needs METRICS_TOKEN as a bearer token.' });
    }
    return reply.header('content-type', metrics.registry.contentType).header('cache-control', 'no-store').send(await metrics.scrape());
  });
}

/** Observes every request's duration by its route pattern (never the raw URL: ids would explode the series). */
export function observeRequests(http: FastifyInstance, metrics: Metrics): void {
  http.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
}
