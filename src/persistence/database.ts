import { setTimeout as sleep } from 'node:timers/promises';
import {
  LockMode,
  DeadlockException,
  LockWaitTimeoutException,
  OptimisticLockError,
  type EntityManager,
  type MikroORM,
} from '@mikro-orm/core';
import type { DomainEvent } from '../events/event.entity';
import type { DatabaseKind } from './orm';

/** Thrown inside a transaction when a concurrent request won a race that a retry will resolve. */
export class ConcurrentWriteConflict extends Error {
  constructor(what: string) {
    super(`Concurrent write on ${what}`);
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
  ) {}
}

const MAX_ATTEMPTS = 8;

function isRaceLost(error: unknown): boolean {
  return (
    error instanceof OptimisticLockError ||
    error instanceof DeadlockException ||
    error instanceof LockWaitTimeoutException ||
    error instanceof ConcurrentWriteConflict
  );
}

export class Database {
  private readonly committedListeners: Array<(events: DomainEvent[]) => void> = [];

  private readonly rowLock: LockMode | undefined;

  constructor(
    readonly orm: MikroORM,
    kind: DatabaseKind,
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

  /**
   * Runs `work` in one database transaction. A request that lost a race (optimistic lock, deadlock,
   * a concurrent idempotency key) is run again from the start on fresh state; the events it
   * recorded are handed to the outbox only once the transaction committed.
   */
  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let tx: Tx | undefined;
      try {
        const result = await this.orm.em.fork().transactional(async (em) => {
          tx = new Tx(em, this.rowLock);
          return work(tx);
        });
        const events = tx!.events;
        if (events.length) for (const listener of this.committedListeners) listener(events);
        return result;
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRaceLost(error)) throw error;
        await sleep(Math.floor(Math.random() * 10 * attempt));
      }
    }
  }
}
