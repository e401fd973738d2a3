import type { Database } from '../persistence/database';
import type { Clock } from '../shared/clock';
import type { Tx } from '../persistence/database';
import { Payment, type PaymentFlow } from './payment.entity';

export const EXPIRE_AUTHORIZATIONS_JOB = 'payment.expire-authorizations';

/** Payments expired per sweep; a sweep that finds more runs again at once (the scheduler drains). */
const SWEEP_BATCH = 200;

/** Schedules timed work in the caller's transaction, and runs it. */
export interface SweepJobs {
  schedule(tx: Tx, job: { kind: string; runAt: Date; payload: Record<string, unknown>; key?: string }): Promise<unknown>;
  register<P>(kind: string, handler: (payload: P) => Promise<void>): void;
}

/** How a flow lets a lapsed authorization go: in its own transaction, with the payment locked, checking again. */
export interface ExpiringFlow {
  /** Flow states that hold an authorization which lapses at `authorizationExpiresAt`. */
  states: readonly string[];
  expire(paymentId: string): Promise<void>;
}

/**
 * Authorizations that are never captured or executed lapse: each flow stamps the payment's
 * `authorizationExpiresAt` when it authorizes (in the update it writes anyway, so the hot path pays
 * no statement for it), and one recurring scheduler job sweeps what is due and hands each payment
 * to its flow, which voids the reservation through the ledger and records the change. The sweep is
 * keyed by its time slot, so with several instances one runs per slot.
 */
export class AuthorizationExpiry {
  private readonly flows = new Map<PaymentFlow, ExpiringFlow>();

  constructor(
    private readonly db: Database,
    private readonly jobs: SweepJobs,
    private readonly clock: Clock,
    private readonly sweepMs: number,
  ) {
    jobs.register(EXPIRE_AUTHORIZATIONS_JOB, () => this.sweep());
  }

  register(flow: PaymentFlow, rules: ExpiringFlow): void {
    this.flows.set(flow, rules);
  }

  /** Schedules the sweep of the current slot, unless an instance did already. */
  async start(): Promise<void> {
    await this.db.transaction((tx) => this.scheduleSlot(tx, Math.floor(this.clock.now().getTime() / this.sweepMs)));
  }

  /** Expires what is due, then schedules the next slot's sweep. */
  async sweep(): Promise<void> {
    const now = this.clock.now();
    const due = await this.db.reader().find(
      Payment,
      {
        authorizationExpiresAt: { $lte: now },
        $or: [...this.flows].map(([flow, rules]) => ({ flow, flowState: { $in: [...rules.states] } })),
      },
      { fields: ['id', 'flow'], orderBy: { authorizationExpiresAt: 'asc', id: 'asc' }, limit: SWEEP_BATCH },
    );
    for (const payment of due) await this.flows.get(payment.flow)!.expire(payment.id);
    const slot = Math.floor(now.getTime() / this.sweepMs);
    // A full batch leaves more due: another sweep of this slot, after the last payment seen.
    await this.db.transaction((tx) => (due.length === SWEEP_BATCH ? this.scheduleSlot(tx, slot, due[due.length - 1].id) : this.scheduleSlot(tx, slot + 1)));
  }

  private scheduleSlot(tx: Tx, slot: number, after?: string): Promise<unknown> {
    const runAt = after ? this.clock.now() : new Date(slot * this.sweepMs);
    return this.jobs.schedule(tx, { kind: EXPIRE_AUTHORIZATIONS_JOB, runAt, payload: {}, key: after ? `slot:${slot}:${after}` : `slot:${slot}` });
  }
}
