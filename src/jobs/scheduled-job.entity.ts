import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export enum JobState {
  PENDING = 'pending',
  RUNNING = 'running',
  DONE = 'done',
  FAILED = 'failed',
}

/**
 * A unit of deferred work, written in the transaction that decided it (so it exists exactly when that
 * transaction committed) and run later by whichever instance claims it first.
 */
@Entity({ tableName: 'scheduled_job' })
@Unique({ properties: ['kind', 'key'] })
@Index({ properties: ['state', 'runAt'] })
export class ScheduledJob {
  /** `job_…`. */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  /** Which registered handler runs it, e.g. `webhook.deliver`. */
  @Property({ type: 'string', length: 60 })
  kind!: string;

  /** Optional idempotency key, unique per kind: scheduling the same key again returns the first job. */
  @Property({ type: 'string', length: 200, nullable: true })
  key: string | null = null;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Enum({ items: () => JobState, type: 'string' })
  state: JobState = JobState.PENDING;

  /** When it is due; after a failed run, when it is tried again. */
  @Property({ type: 'datetime' })
  runAt!: Date;

  /** Runs started so far (claims), the current one included. */
  @Property({ type: 'integer' })
  attempts: number = 0;

  /** While running: the end of the claimer's lease. Past it, another instance may claim the job again. */
  @Property({ type: 'datetime', nullable: true })
  lockedUntil: Date | null = null;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Property({ type: 'datetime' })
  updatedAt!: Date;
}
