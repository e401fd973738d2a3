import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';

export enum WebhookDeliveryState {
  PENDING = 'pending',
  DELIVERED = 'delivered',
  DEAD = 'dead',
}

/** Which provider's signature header a delivery carries beside the Standard Webhooks ones. */
export enum SignatureScheme {
  /** `iumicash-signature`: hex HMAC-SHA256 of the raw body. */
  IUMICASH = 'iumicash',
  /** `BI-Signature` and `BI-Signature-Date`, as Powens signs its webhooks. */
  POWENS = 'powens',
  /** The Standard Webhooks headers alone. */
  STANDARD = 'standard',
}

/**
 * One message to one merchant endpoint, written in the transaction of the change it reports (the
 * outbox) and sent by the scheduler until it is delivered or dead-lettered. The body is kept as the
 * exact text sent, so that every attempt, and every re-send, carries the same bytes and signatures
 * can be checked against it later.
 */
@Entity({ tableName: 'webhook_delivery' })
@Index({ properties: ['clientId', 'id'] })
@Index({ properties: ['paymentId'] })
export class WebhookDelivery {
  /** `whd_…`; also the Standard Webhooks `webhook-id`, the same on every attempt. */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  /** The client the message is for; only it may see or re-send it. */
  @Property({ type: 'string', length: 64 })
  clientId!: string;

  @Property({ type: 'string', length: 40, nullable: true })
  paymentId: string | null = null;

  @Property({ type: 'string', length: 60 })
  eventType!: string;

  @Property({ type: 'text' })
  url!: string;

  /** The request body exactly as sent (UTF-8 JSON). */
  @Property({ type: 'text' })
  body!: string;

  @Enum({ items: () => SignatureScheme, type: 'string' })
  scheme!: SignatureScheme;

  @Enum({ items: () => WebhookDeliveryState, type: 'string' })
  state: WebhookDeliveryState = WebhookDeliveryState.PENDING;

  /** Attempts made so far, re-sends included. */
  @Property({ type: 'integer' })
  attempts: number = 0;

  /** When the next attempt is due, while pending. */
  @Property({ type: 'datetime', nullable: true })
  nextAttemptAt: Date | null = null;

  /** HTTP status of the latest attempt, when the endpoint answered. */
  @Property({ type: 'integer', nullable: true })
  lastStatus: number | null = null;

  /** Why the latest attempt failed, when it did without an HTTP answer (timeout, refused…) or with a non-2xx one. */
  @Property({ type: 'string', length: 500, nullable: true })
  lastError: string | null = null;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  /** When an attempt last succeeded. */
  @Property({ type: 'datetime', nullable: true })
  deliveredAt: Date | null = null;
}
