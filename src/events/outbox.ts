import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../persistence/database';
import { DomainEvent, EventAggregate } from './event.entity';
import { toPublished } from './event-recorder';
import type { PubSubHandle } from './pubsub';

const SWEEP_EVERY_MS = 1000;
/** Events younger than this are left to the instance that wrote them. */
const SWEEP_GRACE_MS = 2000;

/**
 * Publishes committed events to subscribers. Each event is claimed with a conditional update first,
 * so with several instances an event is published by one of them; a publication that fails releases
 * its claim, and the sweeper publishes it again (as it does what a crash left behind). Subscribers
 * may therefore see an event twice, and drop it by its sequence.
 */
export class OutboxDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  /** Publications started after commits; stop() waits for them before the database closes. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly pubSub: Pick<PubSubHandle, 'publish'>,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Called right after a commit with the events it wrote. */
  dispatch(events: DomainEvent[]): void {
    const running: Promise<void> = this.publishClaimed(events.map((e) => e.id))
      .catch((error) => this.log.error({ err: error }, 'outbox dispatch failed'))
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
  }

  private async sweep(): Promise<void> {
    const em = this.db.reader();
    const stale = await em.find(
      DomainEvent,
      { publishedAt: null, occurredAt: { $lt: new Date(Date.now() - SWEEP_GRACE_MS) } },
      { orderBy: { id: 'asc' }, limit: 200, fields: ['id'] },
    );
    if (stale.length) await this.publishClaimed(stale.map((e) => e.id));
  }

  private async publishClaimed(ids: number[]): Promise<void> {
    const em = this.db.reader();
    for (const id of ids) {
      const claimed = await em.nativeUpdate(DomainEvent, { id, publishedAt: null }, { publishedAt: new Date() });
      if (claimed !== 1) continue;
      const event = await em.findOneOrFail(DomainEvent, id);
      try {
        await this.publish(toPublished(event));
      } catch (error) {
        await em.nativeUpdate(DomainEvent, { id }, { publishedAt: null });
        throw error;
      }
    }
  }

  private async publish(event: ReturnType<typeof toPublished>): Promise<void> {
    if (event.aggregateType === EventAggregate.PAYMENT) {
      await this.pubSub.publish('PAYMENT_EVENT', event.aggregateId, event);
      for (const accountId of event.accountIds) await this.pubSub.publish('ACCOUNT_PAYMENT_EVENT', accountId, event);
    } else {
      await this.pubSub.publish('ACCOUNT_BALANCE', event.aggregateId, event);
    }
  }
}
