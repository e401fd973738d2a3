import type { Logger } from '../shared/logger';
import { JobState, ScheduledJob } from '../jobs/scheduled-job.entity';
import type { Scheduler } from '../jobs/scheduler';
import { AccessToken } from '../oauth/access-token.entity';
import { AuthorizationCode } from '../oauth/authorization-code.entity';
import { RefreshToken } from '../oauth/refresh-token.entity';
import type { Database } from '../persistence/database';
import type { Clock } from '../shared/clock';
import { IdempotencyRecord } from '../shared/idempotency/idempotency-record.entity';
import { LoginAttempts } from '../users/login-attempts.entity';
import { PayerSession } from '../users/session.entity';
import { WebhookAttempt } from '../webhooks/webhook-attempt.entity';
import { WebhookDelivery, WebhookDeliveryState } from '../webhooks/webhook-delivery.entity';

export const RETENTION_JOB = 'retention.sweep';

export interface RetentionOptions {
  /** Days expired codes, tokens and sessions, finished jobs, old webhook attempts and login attempts are kept. */
  retentionDays: number;
  /** Days idempotency records are kept: their replay window. */
  idempotencyDays: number;
  intervalMs: number;
}

/** What one sweep deleted, per table. */
export type Swept = Record<string, number>;

/** Deliveries whose attempts one sweep looks at: bounded, the next sweep takes the rest. */
const DELIVERY_BATCH = 1000;
const DAY_MS = 86_400_000;

/**
 * Scheduled cleanup of what grows for ever: expired authorization codes, access and refresh tokens
 * and payer sessions, finished jobs, attempts of finished webhook deliveries, login throttle rows
 * and idempotency records past their window. Events, payments and ledger entries are kept: they are
 * the history. One job per interval slot, keyed by the slot, so that with several instances it
 * runs once; each run schedules the next.
 */
export class Retention {
  constructor(
    private readonly db: Database,
    private readonly scheduler: Scheduler,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: RetentionOptions,
  ) {
    scheduler.register(RETENTION_JOB, async () => {
      const swept = await this.sweep();
      if (Object.values(swept).some((n) => n > 0)) this.log.info({ swept }, 'retention sweep');
      await this.scheduleNext();
    });
  }

  /** Schedules the sweep of the next slot (a no-op when another instance already did). */
  async scheduleNext(): Promise<void> {
    const slot = Math.floor(this.clock.now().getTime() / this.options.intervalMs) + 1;
    await this.db.transaction((tx) =>
      this.scheduler.schedule(tx, { kind: RETENTION_JOB, key: `slot-${slot}`, runAt: new Date(slot * this.options.intervalMs), payload: {} }),
    );
  }

  async sweep(): Promise<Swept> {
    const now = this.clock.now().getTime();
    const cutoff = new Date(now - this.options.retentionDays * DAY_MS);
    const idempotencyCutoff = new Date(now - this.options.idempotencyDays * DAY_MS);
    const em = this.db.reader();
    const swept: Swept = {};
    swept.authorizationCodes = await em.nativeDelete(AuthorizationCode, { expiresAt: { $lt: cutoff } });
    swept.accessTokens = await em.nativeDelete(AccessToken, { expiresAt: { $lt: cutoff } });
    swept.refreshTokens = await em.nativeDelete(RefreshToken, { expiresAt: { $lt: cutoff } });
    swept.payerSessions = await em.nativeDelete(PayerSession, { expiresAt: { $lt: cutoff } });
    swept.loginAttempts = await em.nativeDelete(LoginAttempts, { windowStartedAt: { $lt: cutoff } });
    swept.idempotencyRecords = await em.nativeDelete(IdempotencyRecord, { createdAt: { $lt: idempotencyCutoff } });
    swept.jobs = await em.nativeDelete(ScheduledJob, { state: { $in: [JobState.DONE, JobState.FAILED] }, updatedAt: { $lt: cutoff } });
    const finished = await em.find(
      WebhookDelivery,
      { state: { $ne: WebhookDeliveryState.PENDING }, createdAt: { $lt: cutoff } },
      { fields: ['id'], orderBy: { id: 'asc' }, limit: DELIVERY_BATCH },
    );
    swept.webhookAttempts = finished.length
      ? await em.nativeDelete(WebhookAttempt, { deliveryId: { $in: finished.map((d) => d.id) }, attemptedAt: { $lt: cutoff } })
      : 0;
    return swept;
  }
}
