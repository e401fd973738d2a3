import { setTimeout as sleep } from 'node:timers/promises';
import {
  LockMode,
  DeadlockException,
  LockWaitTimeoutException,
  OptimisticLockError,
  UniqueConstraintViolationException,
  type EntityManager,
  type MikroORM,
} from '@mikro-orm/core';
import type { DomainEvent } from '../events/event.entity';
import type { DatabaseKind } from './orm';
import { runDirect, type Row } from './direct-sql';
import type { PaygridError } from '../shared/errors';

/**
 * Thrown inside a transaction when a concurrent request won a race that a retry will resolve.
 * `whenExhausted` is what the caller gets if every retry lost too (a retryable business error).
 */
export class ConcurrentWriteConflict extends Error {
  constructor(
    what: string,
    readonly whenExhausted?: PaygridError,
  ) {
    super(`Concurrent write on ${what}`);
  }
}

/**
 * Thrown by an idempotent step that ran its work before claiming its key (`once` with `workFirst`)
 * when the key was taken or the work failed: the transaction is rolled back and run again at once,
 * looking the key up first, so that a repeat gets the stored answer and a failure its own error.
 */
export class RepeatSuspected extends Error {
  constructor(cause?: unknown) {
    super('An idempotency key may have been used before', { cause });
  }
}

/** One unit of work: its entity manager and the events it recorded for publication after commit. */
export class Tx {
  readonly events: DomainEvent[] = [];
  constructor(
    readonly em: EntityManager,
    /**
     * Lock mode that makes concurrent writers of one row queue instead of failing their optimistic
     * check: a row lock on PostgreSQL; none on SQLite, whose single writer already serializes them.
     */
    readonly forUpdate: LockMode | undefined,
    /** Set on every attempt after the first: idempotency keys are looked up before any work. */
    readonly lookUpKeysFirst: boolean,
  ) {}

  /** Rows of a parameterized statement (a select, or a write with `returning`), through the driver. */
  async all<R = Row>(sql: string, params: readonly unknown[]): Promise<R[]> {
    return (await runDirect(this.em, sql, params)).rows as R[];
  }

  /** Runs a parameterized write through the driver; returns how many rows it changed. */
  async run(sql: string, params: readonly unknown[]): Promise<number> {
    return (await runDirect(this.em, sql, params)).changes;
  }

  /** A date as the database takes it in a parameter. */
  date(value: Date): unknown {
    return this.em.getPlatform().processDateProperty(value);
  }
}

/**
 * Writes that need no transaction of their own ride at the end of the next one (the outbox's marks
 * of published events), so that a business commit is the only commit. `board` returns the write
 * to carry, or null; `landed` says whether the transaction that carried it committed.
 */
export interface CommitRider {
  board(): { write(tx: Tx): Promise<void>; landed(committed: boolean): void } | null;
}

const MAX_ATTEMPTS = 8;

/** The unique (aggregate, sequence) index of events: a second writer of one payment's history lost the race. */
const EVENT_SEQUENCE_INDEX = /event[._"`\s]*aggregate_type/;

function isRaceLost(error: unknown): boolean {
  return (
    error instanceof OptimisticLockError ||
    error instanceof DeadlockException ||
    error instanceof LockWaitTimeoutException ||
    error instanceof ConcurrentWriteConflict ||
    (error instanceof UniqueConstraintViolationException && EVENT_SEQUENCE_INDEX.test(error.message))
  );
}

export class Database {
  private readonly committedListeners: Array<(events: DomainEvent[]) => void> = [];
  private readonly riders: CommitRider[] = [];

  private readonly rowLock: LockMode | undefined;

  constructor(
    readonly orm: MikroORM,
    readonly kind: DatabaseKind,
  ) {
    this.rowLock = kind === 'postgresql' ? LockMode.PESSIMISTIC_WRITE : undefined;
  }

  /** A fresh entity manager for reads: one per request, never shared. */
  reader(): EntityManager {
    return this.orm.em.fork();
  }

  onCommitted(listener: (events: DomainEvent[]) => void): void {
    this.committedListeners.push(listener);
  }

  /** Returns the function that stops carrying it. */
  carry(rider: CommitRider): () => void {
    this.riders.push(rider);
    return () => {
      const at = this.riders.indexOf(rider);
      if (at >= 0) this.riders.splice(at, 1);
    };
  }

  offCommitted(listener: (events: DomainEvent[]) => void): void {
    const at = this.committedListeners.indexOf(listener);
    if (at >= 0) this.committedListeners.splice(at, 1);
  }

  /**
   * Runs `work` in one database transaction. A request that lost a race (optimistic lock, deadlock,
   * a concurrent idempotency key) is run again from the start on fresh state; the events it
   * recorded are handed to the outbox only once the transaction committed.
   */
  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let tx: Tx | undefined;
      const boarded: Array<{ landed(committed: boolean): void }> = [];
      try {
        const result = await this.orm.em.fork().transactional(async (em) => {
          tx = new Tx(em, this.rowLock, attempt > 1);
          const result = await work(tx);
          for (const rider of this.riders) {
            const passenger = rider.board();
            if (!passenger) continue;
            boarded.push(passenger);
            await passenger.write(tx);
          }
          return result;
        });
        for (const passenger of boarded) passenger.landed(true);
        const events = tx!.events;
        if (events.length) for (const listener of this.committedListeners) listener(events);
        return result;
      } catch (error) {
        for (const passenger of boarded) passenger.landed(false);
        if (error instanceof RepeatSuspected && attempt === 1) continue;
        if (!isRaceLost(error)) throw error;
        if (attempt >= MAX_ATTEMPTS) throw (error instanceof ConcurrentWriteConflict && error.whenExhausted) || error;
        await sleep(Math.floor(Math.random() * 10 * attempt));
      }
    }
  }
}
