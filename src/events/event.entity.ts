import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export enum EventAggregate {
  PAYMENT = 'payment',
  ACCOUNT = 'account',
}

/**
 * The append-only history of every state change, and the outbox: written in the same transaction
 * as the change, published after commit (`publishedAt` is set once the broker took it; `leaseUntil`
 * is a sweeper's hold while it republishes one a crash left behind).
 */
@Entity({ tableName: 'event' })
@Unique({ properties: ['aggregateType', 'aggregateId', 'sequence'] })
@Index({ properties: ['publishedAt', 'id'] })
export class DomainEvent {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'string', length: 20 })
  aggregateType!: EventAggregate;

  @Property({ type: 'string', length: 40 })
  aggregateId!: string;

  /** Monotonic per aggregate, from 1, without gaps. */
  @Property({ type: 'integer' })
  sequence!: number;

  @Property({ type: 'string', length: 60 })
  type!: string;

  /** Who may see it: the owner of the payment or account; null for platform accounts. */
  @Index()
  @Property({ type: 'string', length: 64, nullable: true })
  clientId!: string | null;

  /** Accounts the event concerns, for per-account subscriptions. */
  @Property({ type: 'json' })
  accountIds!: string[];

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Property({ type: 'datetime' })
  occurredAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  publishedAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  leaseUntil: Date | null = null;
}
