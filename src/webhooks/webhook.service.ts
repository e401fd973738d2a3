import { accessFilter, type Principal } from '../access';
import { parseHttpUrl } from '../shared/text';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../shared/logger';
import { anchoredRetryAt, type BackoffPolicy } from '../jobs/backoff';
import type { Scheduler } from '../jobs/scheduler';
import { Client } from '../oauth/client.entity';
import type { Database, Tx } from '../persistence/database';
import type { Clock } from '../shared/clock';
import { ErrorCode, PaygridError } from '../shared/errors';
import { newId } from '../shared/ids';
import { OutboundError, type OutboundHttp } from '../outbound/outbound-http';
import { paginate, type Page, type PageRequest } from '../shared/pagination';
import { StateMachine } from '../shared/state-machine';
import { signatureHeaders } from './signing';
import { WebhookAttempt } from './webhook-attempt.entity';
import { SignatureScheme, WebhookDelivery, WebhookDeliveryState } from './webhook-delivery.entity';

export const WEBHOOK_JOB = 'webhook.deliver';

/** No retry window is wider than this, as iumiCash caps its backoff: the tail of the schedule is a retry every few hours. */
export const WEBHOOK_MAX_WINDOW_MS = 8 * 3_600_000;

export interface WebhookOptions {
  /** Width of the first retry window (WEBHOOK_RETRY_BASE_MS). */
  retryBaseMs: number;
  /** Attempts before a delivery is dead-lettered, the first included (WEBHOOK_MAX_ATTEMPTS). */
  maxAttempts: number;
}

/**
 * The retry schedule of deliveries: windows from `retryBaseMs` doubling up to 8 h, laid end to end
 * from the delivery's creation. With the defaults (60 s, 18 attempts) the 17 retry windows end 3.02
 * days after it, and the last attempt comes after 2.85 days at the earliest (upper half of an 8 h window).
 */
export function webhookRetryPolicy(retryBaseMs: number): BackoffPolicy {
  return { baseMs: retryBaseMs, capMs: WEBHOOK_MAX_WINDOW_MS };
}

export interface EnqueueWebhook {
  clientId: string;
  /** The merchant endpoint, http or https. */
  url: string;
  eventType: string;
  paymentId?: string | null;
  /** Serialized to JSON once; every attempt sends those same bytes. */
  body: object;
  scheme: `${SignatureScheme}`;
}

export interface DeliveryFilter {
  paymentId?: string | null;
  state?: WebhookDeliveryState | null;
}

/** The payload of a delivery job: which attempt it makes. */
interface DeliverJob extends Record<string, unknown> {
  deliveryId: string;
  attempt: number;
  /** Asked for by the client: one attempt, without retries. */
  resend?: boolean;
}

interface Outcome {
  status: number | null;
  error: string | null;
  durationMs: number;
}

/** Pending until an attempt succeeds or the attempts run out; a re-send makes a delivered or dead one pending again. */
const DELIVERY_STATES = new StateMachine<WebhookDeliveryState>('webhook delivery', {
  [WebhookDeliveryState.PENDING]: [WebhookDeliveryState.DELIVERED, WebhookDeliveryState.DEAD],
  [WebhookDeliveryState.DELIVERED]: [WebhookDeliveryState.PENDING],
  [WebhookDeliveryState.DEAD]: [WebhookDeliveryState.PENDING],
});

/** Whether the delivery still waits for the attempt this job makes: pending, with the attempt before it recorded. */
function awaits(delivery: WebhookDelivery | null, job: DeliverJob): delivery is WebhookDelivery {
  return !!delivery && delivery.state === WebhookDeliveryState.PENDING && delivery.attempts === job.attempt - 1;
}

/**
 * Webhook deliveries: written in the caller's transaction with the job that sends them, sent by the
 * scheduler outside any transaction, each attempt then recorded in a transaction of its own. A
 * delivery is sent at least once and, unless an instance dies between sending and recording, once
 * per attempt; receivers drop repeats by `webhook-id`.
 */
export class WebhookService {
  private readonly policy: BackoffPolicy;

  constructor(
    private readonly db: Database,
    private readonly scheduler: Scheduler,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Every attempt goes through it: only to allowed addresses, bounded in time and size. */
    private readonly outbound: OutboundHttp,
    private readonly options: WebhookOptions,
  ) {
    this.policy = webhookRetryPolicy(options.retryBaseMs);
    // A run that throws (the database was unreachable while recording) is retried by the scheduler;
    // the lease outlasts the request's timeout.
    scheduler.register<DeliverJob>(WEBHOOK_JOB, (job) => this.attempt(job), { leaseMs: outbound.options.timeoutMs + 50_000 });
  }

  /**
   * Refuses an endpoint, when a client sets it, whose host is an address deliveries may never go to
   * (URL_NOT_ALLOWED on `field`). A host name is checked again at each attempt, by what it resolves to then.
   */
  assertEndpoint(url: URL, field: string): void {
    this.outbound.assertAllowedUrl(url, field);
  }

  /** Records a delivery and schedules its first attempt, in the caller's transaction (the outbox). */
  async enqueue(tx: Tx, input: EnqueueWebhook): Promise<WebhookDelivery> {
    const url = parseHttpUrl(input.url);
    if (!url) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'url', 'The webhook URL must be an absolute http or https URL.');
    }
    const now = this.clock.now();
    const delivery = tx.em.create(WebhookDelivery, {
      id: newId('whd'),
      clientId: input.clientId,
      paymentId: input.paymentId ?? null,
      eventType: input.eventType,
      url: url.toString(),
      body: JSON.stringify(input.body),
      scheme: input.scheme as SignatureScheme,
      state: WebhookDeliveryState.PENDING,
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
    });
    await this.scheduleAttempt(tx, { deliveryId: delivery.id, attempt: 1 }, now);
    return delivery;
  }

  /** Makes a delivered or dead delivery pending again, with one attempt due now and no retries after it. */
  async resend(principal: Principal, deliveryId: string): Promise<WebhookDelivery> {
    const allowed = accessFilter(principal, 'resend', 'webhookDelivery');
    return this.db.transaction(async (tx) => {
      const delivery = allowed && (await tx.em.findOne(WebhookDelivery, { $and: [{ id: deliveryId }, allowed] }, { lockMode: tx.forUpdate }));
      if (!delivery) throw new PaygridError(ErrorCode.NOT_FOUND, 'deliveryId');
      this.move(delivery, WebhookDeliveryState.PENDING, 'deliveryId');
      const now = this.clock.now();
      delivery.nextAttemptAt = now;
      await this.scheduleAttempt(tx, { deliveryId, attempt: delivery.attempts + 1, resend: true }, now);
      return delivery;
    });
  }

  async get(principal: Principal, id: string): Promise<WebhookDelivery | null> {
    const allowed = accessFilter(principal, 'read', 'webhookDelivery');
    return allowed && this.db.reader().findOne(WebhookDelivery, { $and: [{ id }, allowed] });
  }

  /** The deliveries the principal may read (the client's own, to a client-credentials token), newest first. */
  async list(principal: Principal, filter: DeliveryFilter, page: PageRequest): Promise<Page<WebhookDelivery>> {
    const em = this.db.reader();
    const allowed = accessFilter(principal, 'read', 'webhookDelivery');
    return paginate(page, async (beforeId, limit) =>
      allowed
        ? em.find(
            WebhookDelivery,
            {
              $and: [
                allowed,
                {
                  ...(filter.paymentId ? { paymentId: filter.paymentId } : {}),
                  ...(filter.state ? { state: filter.state } : {}),
                  ...(beforeId ? { id: { $lt: beforeId } } : {}),
                },
              ],
            },
            { orderBy: { id: 'desc' }, limit },
          )
        : [],
    );
  }

  /** Attempts of several deliveries at once (one statement), in order. */
  async attemptsOf(deliveryIds: readonly string[]): Promise<WebhookAttempt[]> {
    return this.db.reader().find(WebhookAttempt, { deliveryId: { $in: [...deliveryIds] } }, { orderBy: { deliveryId: 'asc', number: 'asc' } });
  }

  private async scheduleAttempt(tx: Tx, job: DeliverJob, runAt: Date): Promise<void> {
    await this.scheduler.schedule(tx, { kind: WEBHOOK_JOB, runAt, payload: job, key: `${job.deliveryId}:${job.attempt}` });
  }

  /** The job: one attempt, sent outside any transaction, recorded in a new one. */
  private async attempt(job: DeliverJob): Promise<void> {
    const em = this.db.reader();
    const delivery = await em.findOne(WebhookDelivery, { id: job.deliveryId });
    // Already recorded: the run that made this attempt stopped before it could mark its job done.
    if (!awaits(delivery, job)) return;
    const client = await em.findOne(Client, { id: delivery.clientId }, { fields: ['webhookSecret', 'previousWebhookSecret', 'previousWebhookSecretUntil'] });
    if (!client) throw new Error(`client ${delivery.clientId} of delivery ${delivery.id} not found`);
    const attemptedAt = this.clock.now();
    const overlapping = client.previousWebhookSecret && client.previousWebhookSecretUntil && client.previousWebhookSecretUntil > attemptedAt;
    const outcome = await this.post(delivery, client.webhookSecret, attemptedAt, overlapping ? client.previousWebhookSecret : null);
    await this.record(job, attemptedAt, outcome);
  }

  private async post(delivery: WebhookDelivery, secret: string, attemptedAt: Date, previousSecret: string | null): Promise<Outcome> {
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Paygrid-Webhooks/1',
      ...signatureHeaders(secret, { id: delivery.id, timestamp: attemptedAt, body: delivery.body, url: delivery.url, scheme: delivery.scheme }, previousSecret),
    };
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const response = await this.outbound.send({ url: delivery.url, method: 'POST', headers, body: delivery.body });
      // A redirect is a failure, not a hop: the endpoint is the one the client registered.
      const redirected = response.status >= 300 && response.status < 400;
      return { status: response.status, error: redirected ? 'Redirects are not followed.' : null, durationMs: elapsed() };
    } catch (error) {
      // The guard's errors say what failed without naming addresses; anything else is logged, not shown.
      if (error instanceof OutboundError) return { status: error.status, error: error.message, durationMs: elapsed() };
      this.log.error({ err: error, delivery: delivery.id }, 'webhook attempt failed unexpectedly');
      return { status: null, error: 'Sending failed.', durationMs: elapsed() };
    }
  }

  private async record(job: DeliverJob, attemptedAt: Date, outcome: Outcome): Promise<void> {
    // An answer cut off at the size limit failed, whatever its status said.
    const delivered = outcome.error === null && outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const state = await this.db.transaction(async (tx): Promise<WebhookDeliveryState | null> => {
      const delivery = await tx.em.findOne(WebhookDelivery, { id: job.deliveryId }, { lockMode: tx.forUpdate });
      // Another run recorded this attempt first (it outlived its lease): keep the first record.
      if (!awaits(delivery, job)) return null;
      tx.em.create(WebhookAttempt, {
        deliveryId: delivery.id,
        number: job.attempt,
        attemptedAt,
        status: outcome.status,
        error: outcome.error,
        durationMs: outcome.durationMs,
        resend: !!job.resend,
      });
      delivery.attempts = job.attempt;
      delivery.lastStatus = outcome.status;
      delivery.lastError = outcome.error;
      delivery.nextAttemptAt = null;
      if (delivered) {
        this.move(delivery, WebhookDeliveryState.DELIVERED);
        delivery.deliveredAt = attemptedAt;
      } else if (job.resend || job.attempt >= this.options.maxAttempts) {
        this.move(delivery, WebhookDeliveryState.DEAD);
      } else {
        delivery.nextAttemptAt = anchoredRetryAt(this.policy, delivery.createdAt, job.attempt, this.clock.now());
        await this.scheduleAttempt(tx, { deliveryId: delivery.id, attempt: job.attempt + 1 }, delivery.nextAttemptAt);
      }
      return delivery.state;
    });
    if (state === WebhookDeliveryState.DEAD) {
      this.log.warn({ delivery: job.deliveryId, attempts: job.attempt, status: outcome.status, error: outcome.error }, 'webhook delivery dead-lettered');
    }
  }

  private move(delivery: WebhookDelivery, to: WebhookDeliveryState, field?: string): void {
    DELIVERY_STATES.assertMove(delivery.state, to, field);
    delivery.state = to;
  }
}
