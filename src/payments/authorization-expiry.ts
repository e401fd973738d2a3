import type { Database } from '../persistence/database';
import type { Clock } from '../shared/clock';
import { Payment, type PaymentFlow } from './payment.entity';

export const EXPIRE_AUTHORIZATIONS_SWEEP = 'payment.expire-authorizations';

/** Payments expired per statement that finds them; a full batch is followed by another. */
const SWEEP_BATCH = 200;

/** Where sweeps run: the scheduler's rounds. */
export interface Sweeps {
  sweep(name: string, everyMs: number, handler: () => Promise<void>): void;
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
 * no statement for it), and a sweep of the scheduler finds what is due by that column and hands each
 * payment to its flow, which voids the reservation through the ledger and records the change.
 */
export class AuthorizationExpiry {
  private readonly flows = new Map<PaymentFlow, ExpiringFlow>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    sweeps: Sweeps,
    everyMs: number,
  ) {
    sweeps.sweep(EXPIRE_AUTHORIZATIONS_SWEEP, everyMs, () => this.sweep());
  }

  register(flow: PaymentFlow, rules: ExpiringFlow): void {
    this.flows.set(flow, rules);
  }

  /** Expires every payment whose authorization lapsed by now. */
  async sweep(): Promise<void> {
    if (!this.flows.size) return;
    const now = this.clock.now();
    let after: string | null = null;
    for (;;) {
      const due: Array<Pick<Payment, 'id' | 'flow'>> = await this.db.reader().find(
        Payment,
        {
          authorizationExpiresAt: { $lte: now },
          $or: [...this.flows].map(([flow, rules]) => ({ flow, flowState: { $in: [...rules.states] } })),
          ...(after ? { id: { $gt: after } } : {}),
        },
        { fields: ['id', 'flow'], orderBy: { id: 'asc' }, limit: SWEEP_BATCH },
      );
      for (const payment of due) await this.flows.get(payment.flow)!.expire(payment.id);
      if (due.length < SWEEP_BATCH) return;
      after = due[due.length - 1].id;
    }
  }
}
