import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export enum ProviderCallState {
  /** Recorded and being sent, or sent with no answer yet; nobody knows whether the provider acted. */
  IN_FLIGHT = 'in_flight',
  /** The provider answered; the answer is stored and was applied in the same transaction. Final. */
  ANSWERED = 'answered',
  /**
   * The last try threw or timed out: the provider may or may not have acted. The scheduler asks it
   * again with the same key until it answers.
   */
  FAILED = 'failed',
}

/**
 * One call to an outside provider (a bank, and later identity providers, Open Payments peers,
 * exchange rates), recorded with its idempotency key before it is made, so that a repeat, a
 * concurrent duplicate or a crash never makes the provider act twice: every try sends the same key.
 */
@Entity({ tableName: 'provider_call' })
@Unique({ properties: ['provider', 'key'] })
@Index({ properties: ['paymentId'] })
export class ProviderCall {
  /** `pcall_…`. */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  /** Who is called, e.g. `bank`. */
  @Property({ type: 'string', length: 60 })
  provider!: string;

  /** What is asked, e.g. `confirm`, `poll`. */
  @Property({ type: 'string', length: 60 })
  operation!: string;

  /** The idempotency key the provider receives on every try; unique per provider. */
  @Property({ type: 'string', length: 200 })
  key!: string;

  /** The payment the call is about. */
  @Property({ type: 'string', length: 40, nullable: true })
  paymentId: string | null = null;

  @Enum({ items: () => ProviderCallState, type: 'string' })
  state: ProviderCallState = ProviderCallState.IN_FLIGHT;

  /** What a retry needs to send the call again (never secrets: those travel with the first try only). */
  @Property({ type: 'json' })
  request!: Record<string, unknown>;

  /** The provider's answer, once answered, as JSON. */
  @Property({ type: 'json', nullable: true })
  answer: unknown = null;

  /** Tries so far, the one under way included. */
  @Property({ type: 'integer' })
  tries: number = 0;

  /** While a try is under way: until when it is presumed alive. Past it (a crash), anyone may try again. */
  @Property({ type: 'datetime', nullable: true })
  heldUntil: Date | null = null;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Property({ type: 'datetime' })
  updatedAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  answeredAt: Date | null = null;
}
