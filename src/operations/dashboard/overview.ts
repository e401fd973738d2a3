import { Account, AccountKind } from '../../accounts/account.entity';
import { JobState, ScheduledJob } from '../../jobs/scheduled-job.entity';
import type { PaymentFlow, PaymentState } from '../../payments/payment.entity';
import type { Database } from '../../persistence/database';
import type { Clock } from '../../shared/clock';

export interface PaymentCount {
  flow: PaymentFlow;
  state: PaymentState;
  count: number;
}

export interface SchedulerBacklog {
  /** Jobs due and not yet run. */
  dueJobs: number;
  /** When the job that has waited longest was due; null when none is. */
  oldestDueAt: Date | null;
}

/**
 * What an operator watches, read from the database so that every instance answers the same: the
 * settlement accounts' balances, payments by flow and state, the scheduler's backlog. The
 * dashboard and the metrics read it from here.
 */
export class OperationsOverview {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** The platform's settlement accounts (one per asset, one per peer instance), by id. */
  settlementAccounts(): Promise<Account[]> {
    return this.db.reader().find(Account, { kind: AccountKind.SETTLEMENT }, { orderBy: { id: 'asc' } });
  }

  async paymentCounts(): Promise<PaymentCount[]> {
    const sql = 'select flow, state, count(*) as n from payment group by flow, state order by flow, state';
    const rows: Array<{ flow: PaymentFlow; state: PaymentState; n: number | string }> = await this.db.reader().getConnection().execute(sql);
    return rows.map((row) => ({ flow: row.flow, state: row.state, count: Number(row.n) }));
  }

  async schedulerBacklog(): Promise<SchedulerBacklog> {
    const em = this.db.reader();
    const due = { state: JobState.PENDING, runAt: { $lte: this.clock.now() } };
    const dueJobs = await em.count(ScheduledJob, due);
    const oldest = dueJobs ? await em.findOne(ScheduledJob, due, { orderBy: { runAt: 'asc' }, fields: ['runAt'] }) : null;
    return { dueJobs, oldestDueAt: oldest?.runAt ?? null };
  }
}
