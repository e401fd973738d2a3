import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Logger } from '../shared/logger';
import { ConcurrentWriteConflict, type Database, type Tx } from '../persistence/database';
import type { Clock } from '../shared/clock';
import { newId } from '../shared/ids';
import { retryDelayMs, type BackoffPolicy } from './backoff';
import { JobState, ScheduledJob } from './scheduled-job.entity';

/** What a handler learns about the run it serves. */
export interface JobRun {
  id: string;
  kind: string;
  key: string | null;
  /** 1 for the first run, 2 for the first retry… */
  attempt: number;
}

/**
 * Runs one job, outside any database transaction (it may call the outside world). Returning means
 * done; throwing means "try again later", until the kind's attempts are used up.
 */
export type JobHandler<P> = (payload: P, run: JobRun) => Promise<void>;

export interface JobKindOptions {
  /**
   * Runs before the job is marked failed. Default 1000: about a month of retries at the 1 h cap, so
   * that an outage (the database, a provider) never strands a payment's timed work; handlers are
   * idempotent, and those that give up sooner (webhook deliveries) decide so themselves.
   */
  maxAttempts?: number;
  /** How long a claim holds: longer than the handler can take. Default 60 s. */
  leaseMs?: number;
  /** Waits between failed runs. Default: windows from 1 s doubling up to 1 h. */
  retry?: BackoffPolicy;
}

export interface NewJob<P> {
  kind: string;
  runAt: Date;
  payload: P;
  /** Unique per kind: scheduling a key again returns the job already scheduled with it. */
  key?: string;
}

/** State-driven work a round does besides jobs (see `sweep`). */
interface Sweep {
  everyMs: number;
  handler: () => Promise<void>;
  /** When this instance last ran it, by the clock; null: not yet. */
  last: number | null;
}

interface Kind {
  handler: JobHandler<any>;
  maxAttempts: number;
  leaseMs: number;
  retry: BackoffPolicy;
}

export interface SchedulerOptions {
  pollMs: number;
  /** Jobs claimed, and run concurrently, per round. */
  batchSize?: number;
}

const DEFAULT_RETRY: BackoffPolicy = { baseMs: 1000, capMs: 3_600_000 };
const DEFAULT_MAX_ATTEMPTS = 1000;
const MAX_ERROR_LENGTH = 2000;

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, MAX_ERROR_LENGTH);
}

/**
 * The persistent scheduler. Jobs are rows of `scheduled_job`, written in the caller's transaction;
 * every instance polls for due ones and claims each with one conditional UPDATE (on its state, due
 * time or expired lease, and attempt count), so with several instances a job runs once at a time,
 * and a job whose instance died mid-run is claimed again once its lease ran out. The outcome is
 * recorded only by the run that still holds the claim. Time comes from the injected clock alone.
 */
export class Scheduler {
  private readonly kinds = new Map<string, Kind>();
  private readonly sweeps = new Map<string, Sweep>();
  private timer: NodeJS.Timeout | null = null;
  /** Rounds of one instance run one after another: `runDue()` waits for the one under way. */
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private stopping = false;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: SchedulerOptions,
  ) {}

  register<P>(kind: string, handler: JobHandler<P>, options: JobKindOptions = {}): void {
    if (this.kinds.has(kind)) throw new Error(`job kind ${kind} is already registered`);
    this.kinds.set(kind, {
      handler,
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      leaseMs: options.leaseMs ?? 60_000,
      retry: options.retry ?? DEFAULT_RETRY,
    });
  }

  /**
   * Registers a sweep: timed work whose due items are read from their own rows (an authorization's
   * deadline), so nothing is scheduled per item and a sweep cut short is simply done again by the
   * next. Rounds run it, before claiming jobs, at most every `everyMs` by the clock; every instance
   * sweeps, so handlers lock and re-check what they change. Sweeps are not counted as runs.
   */
  sweep(name: string, everyMs: number, handler: () => Promise<void>): void {
    if (this.sweeps.has(name)) throw new Error(`sweep ${name} is already registered`);
    this.sweeps.set(name, { everyMs, handler, last: null });
  }

  /** Schedules a job inside the caller's transaction: it exists if and only if that transaction commits. */
  async schedule<P extends Record<string, unknown>>(tx: Tx, job: NewJob<P>): Promise<string> {
    if (!this.kinds.has(job.kind)) throw new Error(`no handler is registered for job kind ${job.kind}`);
    const key = job.key ?? null;
    if (key !== null) {
      const existing = await tx.em.findOne(ScheduledJob, { kind: job.kind, key }, { fields: ['id'] });
      if (existing) return existing.id;
    }
    const now = this.clock.now();
    const id = newId('job');
    try {
      await tx.em.insert(ScheduledJob, {
        id,
        kind: job.kind,
        key,
        payload: job.payload,
        state: JobState.PENDING,
        runAt: job.runAt,
        attempts: 0,
        lockedUntil: null,
        lastError: null,
        createdAt: now,
        updatedAt: now,
      });
    } catch (error) {
      // A concurrent transaction scheduled the same key: run again, and find its job.
      if (error instanceof UniqueConstraintViolationException) throw new ConcurrentWriteConflict(`job ${job.kind}/${key}`);
      throw error;
    }
    return id;
  }

  /**
   * Claims and runs what is due now, round after round until nothing is; resolves with the number of
   * runs. Rounds of one instance never overlap, so once this resolves, every job that was due when it
   * was called has run, unless another instance holds it.
   */
  runDue(): Promise<number> {
    this.pending++;
    const round = this.queue.then(() => this.drain()).finally(() => this.pending--);
    this.queue = round.catch(() => undefined);
    return round;
  }

  start(): void {
    this.stopping = false;
    this.timer = setInterval(() => {
      if (this.pending > 0) return;
      this.runDue().catch((error) => this.log.error({ err: error }, 'scheduler round failed'));
    }, this.options.pollMs);
    this.timer.unref();
  }

  /** Whether this instance polls for due jobs (readiness). */
  get running(): boolean {
    return this.timer !== null;
  }

  /** Stops polling and waits for the runs under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopping = true;
    await this.queue;
  }

  private async runSweeps(): Promise<void> {
    const now = this.clock.now().getTime();
    for (const [name, sweep] of this.sweeps) {
      if (sweep.last !== null && now - sweep.last < sweep.everyMs) continue;
      sweep.last = now;
      try {
        await sweep.handler();
      } catch (error) {
        this.log.error({ err: error, sweep: name }, 'sweep failed; the next round tries again');
        sweep.last = null;
      }
    }
  }

  private async drain(): Promise<number> {
    if (!this.stopping) await this.runSweeps();
    let runs = 0;
    while (!this.stopping) {
      const claimed = await this.claim(this.options.batchSize ?? 20);
      if (!claimed.length) break;
      await Promise.all(claimed.map((job) => this.execute(job)));
      runs += claimed.length;
    }
    return runs;
  }

  private async claim(limit: number): Promise<ScheduledJob[]> {
    if (!this.kinds.size) return [];
    const now = this.clock.now();
    const due = { $or: [{ state: JobState.PENDING, runAt: { $lte: now } }, { state: JobState.RUNNING, lockedUntil: { $lt: now } }] };
    const em = this.db.reader();
    const candidates = await em.find(ScheduledJob, { kind: { $in: [...this.kinds.keys()] }, ...due }, { orderBy: { runAt: 'asc', id: 'asc' }, limit });
    const claimed: ScheduledJob[] = [];
    for (const job of candidates) {
      const kind = this.kinds.get(job.kind)!;
      const abandoned = job.state === JobState.RUNNING;
      if (abandoned && job.attempts >= kind.maxAttempts) {
        // Its last allowed run never finished (the instance died, or the handler outran its lease).
        await em.nativeUpdate(
          ScheduledJob,
          { id: job.id, state: JobState.RUNNING, attempts: job.attempts, lockedUntil: { $lt: now } },
          { state: JobState.FAILED, lockedUntil: null, lastError: 'The last run did not finish within its lease.', updatedAt: now },
        );
        continue;
      }
      const won = await em.nativeUpdate(
        ScheduledJob,
        { id: job.id, attempts: job.attempts, ...due },
        {
          state: JobState.RUNNING,
          attempts: job.attempts + 1,
          lockedUntil: new Date(now.getTime() + kind.leaseMs),
          lastError: abandoned ? 'The previous run did not finish within its lease.' : job.lastError,
          updatedAt: now,
        },
      );
      if (won === 1) {
        job.attempts += 1;
        claimed.push(job);
      }
    }
    return claimed;
  }

  private async execute(job: ScheduledJob): Promise<void> {
    const kind = this.kinds.get(job.kind)!;
    let failure: unknown = null;
    try {
      await kind.handler(job.payload, { id: job.id, kind: job.kind, key: job.key, attempt: job.attempts });
    } catch (error) {
      failure = error;
    }
    const now = this.clock.now();
    // Only the run that still holds the claim records its outcome.
    const mine = { id: job.id, state: JobState.RUNNING, attempts: job.attempts };
    let outcome: Partial<ScheduledJob>;
    if (failure === null) {
      outcome = { state: JobState.DONE, lockedUntil: null, lastError: null, updatedAt: now };
    } else if (job.attempts >= kind.maxAttempts) {
      outcome = { state: JobState.FAILED, lockedUntil: null, lastError: describe(failure), updatedAt: now };
      this.log.error({ err: failure, job: job.id, kind: job.kind, attempt: job.attempts }, 'job failed for good');
    } else {
      const runAt = new Date(now.getTime() + retryDelayMs(kind.retry, job.attempts));
      outcome = { state: JobState.PENDING, runAt, lockedUntil: null, lastError: describe(failure), updatedAt: now };
      this.log.warn({ err: failure, job: job.id, kind: job.kind, attempt: job.attempts, retryAt: runAt }, 'job failed; will retry');
    }
    try {
      const recorded = await this.db.reader().nativeUpdate(ScheduledJob, mine, outcome);
      if (recorded !== 1) this.log.warn({ job: job.id, kind: job.kind }, 'job outcome not recorded: its lease was taken over');
    } catch (error) {
      // The lease runs out and the job is claimed again.
      this.log.error({ err: error, job: job.id }, 'could not record a job outcome');
    }
  }
}
