import type { Logger } from '../shared/logger';
import type { Database, Tx } from '../persistence/database';
import { DomainEvent, EventAggregate } from './event.entity';
import { toPublished, type PublishedEvent } from './event-recorder';
import type { PubSubHandle } from './pubsub';

const SWEEP_EVERY_MS = 1000;
/** Events younger than this are left to the instance that wrote them. */
const SWEEP_GRACE_MS = 2000;
/** How long a sweeper holds the events it republishes before another may take them. */
const LEASE_MS = 30_000;
const SWEEP_BATCH = 200;
/** Published events are marked together, riding in the next business transaction at most this often. */
const RIDE_EVERY_MS = 500;
/** With no transaction to ride in this long after the broker took them, they are marked on their own. */
const MARK_ALONE_AFTER_MS = 1000;
/** Ids per marking statement, well under either database's limit of bound parameters. */
const MARK_BATCH = 1000;

/**
 * Publishes committed events to subscribers. Right after a commit, the transaction's events are
 * published from the objects in memory, with no read back; once the broker took them they are
 * marked published, many at once in one statement that rides at the end of the next business
 * transaction (no commit of its own), or runs alone when none comes. An event is marked only after the broker took
 * it, so a crash never loses one: the sweeper leases what stayed unmarked past a grace period
 * (one instance at a time per event, until the lease runs out) and publishes it again. Subscribers
 * may therefore see an event twice, and drop it by its sequence.
 */
export class OutboxDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  /** Publications started after commits; stop() waits for them before the database closes. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Ids the broker took, to be marked published. */
  private unmarked: number[] = [];
  /**
   * Ids this instance is publishing or about to mark: its own sweeper leaves them alone however
   * slow the broker or the database is, so a busy instance does not publish its own events twice.
   */
  private readonly held = new Set<number>();
  private markTimer: NodeJS.Timeout | null = null;
  private marking: Promise<void> = Promise.resolve();
  private lastRide = 0;
  /** Marking statements so far: in a business transaction, or alone (a commit of their own). */
  readonly marks = { riding: 0, alone: 0 };
  private readonly stopRiding: () => void;

  constructor(
    private readonly db: Database,
    private readonly pubSub: Pick<PubSubHandle, 'publish'>,
    private readonly log: Logger,
  ) {
    this.stopRiding = db.carry({ board: () => this.boardMarks() });
  }

  /** The marks due to ride in the transaction about to commit; put back if it does not. */
  private boardMarks(): { write(tx: Tx): Promise<void>; landed(committed: boolean): void } | null {
    const now = Date.now();
    if (!this.unmarked.length || now - this.lastRide < RIDE_EVERY_MS) return null;
    this.lastRide = now;
    const ids = this.unmarked;
    this.unmarked = [];
    return {
      write: (tx) => {
        this.marks.riding++;
        return this.mark(ids, tx);
      },
      landed: (committed) => {
        if (!committed) return this.markLater(ids);
        for (const id of ids) this.held.delete(id);
        // What arrived meanwhile waits for the next ride: the mark alone is only for a quiet spell.
        if (this.markTimer) clearTimeout(this.markTimer);
        this.markTimer = null;
        if (this.unmarked.length) this.markLater([]);
      },
    };
  }

  /** Called right after a commit with the events it wrote (their ids assigned by the insert). */
  dispatch(events: DomainEvent[]): void {
    const ids = events.map((e) => e.id);
    for (const id of ids) this.held.add(id);
    const running: Promise<void> = this.publish(events.map(toPublished))
      .then(() => this.markLater(ids))
      .catch((error) => {
        for (const id of ids) this.held.delete(id);
        this.log.error({ err: error }, 'outbox dispatch failed; the sweeper will publish again');
      })
      .finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep()
        .catch((error) => this.log.error({ err: error }, 'outbox sweep failed'))
        .finally(() => (this.sweeping = null));
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping;
    await Promise.all([...this.inFlight]);
    this.stopRiding();
    await this.markNow();
  }

  /** Leases events a crash (or a failed publication) left unpublished, publishes and marks them. */
  private async sweep(): Promise<void> {
    const em = this.db.reader();
    const platform = em.getPlatform();
    const now = Date.now();
    // PostgreSQL: instances lease disjoint batches at once; SQLite has one writer anyway.
    const skipLocked = this.db.kind === 'postgresql' ? ' for update skip locked' : '';
    const leased = await em.getConnection().execute<Array<{ id: number }>>(
      `update event set lease_until = ?
       where id in (select id from event
                    where published_at is null and occurred_at < ? and (lease_until is null or lease_until < ?)
                    order by id limit ${SWEEP_BATCH}${skipLocked})
       returning id`,
      [platform.processDateProperty(new Date(now + LEASE_MS)), platform.processDateProperty(new Date(now - SWEEP_GRACE_MS)), platform.processDateProperty(new Date(now))],
    );
    const ids = leased.map((row: { id: number }) => Number(row.id)).filter((id: number) => !this.held.has(id));
    if (!ids.length) return;
    const events = await em.find(DomainEvent, { id: { $in: ids } }, { orderBy: { id: 'asc' } });
    await this.publish(events.map(toPublished));
    await this.mark(events.map((e) => e.id));
  }

  /**
   * Hands every event to the broker at once, in order (a Redis connection keeps the order of its
   * commands); resolves once the broker took them all.
   */
  private async publish(events: PublishedEvent[]): Promise<void> {
    const taken: Promise<void>[] = [];
    for (const event of events) {
      if (event.aggregateType === EventAggregate.PAYMENT) {
        taken.push(this.pubSub.publish('PAYMENT_EVENT', event.aggregateId, event));
        for (const accountId of event.accountIds) taken.push(this.pubSub.publish('ACCOUNT_PAYMENT_EVENT', accountId, event));
      } else {
        taken.push(this.pubSub.publish('ACCOUNT_BALANCE', event.aggregateId, event));
      }
    }
    await Promise.all(taken);
  }

  private markLater(ids: number[]): void {
    this.unmarked.push(...ids);
    if (this.markTimer) return;
    this.markTimer = setTimeout(() => {
      this.markTimer = null;
      void this.markNow();
    }, MARK_ALONE_AFTER_MS);
  }

  /** Marks what the broker took so far, one statement at a time; a failed mark is retried with the next. */
  private markNow(): Promise<void> {
    if (this.markTimer) clearTimeout(this.markTimer);
    this.markTimer = null;
    this.marking = this.marking.then(async () => {
      const ids = this.unmarked;
      this.unmarked = [];
      try {
        if (ids.length) this.marks.alone++;
        await this.mark(ids);
        for (const id of ids) this.held.delete(id);
      } catch (error) {
        this.unmarked.push(...ids);
        this.log.error({ err: error }, 'outbox could not mark published events');
      }
    });
    return this.marking;
  }

  /** Marks in the business transaction `tx` carrying them, or alone. */
  private async mark(ids: number[], tx?: Tx): Promise<void> {
    const em = tx?.em ?? this.db.reader();
    for (let i = 0; i < ids.length; i += MARK_BATCH) {
      const batch = ids.slice(i, i + MARK_BATCH);
      const sql = `update event set published_at = ? where id in (${batch.map(() => '?').join(', ')}) and published_at is null`;
      const params = [em.getPlatform().processDateProperty(new Date()), ...batch];
      if (tx) await tx.run(sql, params);
      else await em.getConnection().execute(sql, params, 'run');
    }
  }
}
