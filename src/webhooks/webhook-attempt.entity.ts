import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** One HTTP request of a delivery, with how it ended. Numbers run 1, 2, 3… per delivery. */
@Entity({ tableName: 'webhook_attempt' })
@Unique({ properties: ['deliveryId', 'number'] })
export class WebhookAttempt {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'string', length: 40 })
  deliveryId!: string;

  @Property({ type: 'integer' })
  number!: number;

  /** When the request was signed and sent (the signatures' timestamp). */
  @Property({ type: 'datetime' })
  attemptedAt!: Date;

  /** HTTP status, when the endpoint answered. */
  @Property({ type: 'integer', nullable: true })
  status: number | null = null;

  /** What went wrong: no answer (timeout, connection refused) or a status outside 2xx. */
  @Property({ type: 'string', length: 500, nullable: true })
  error: string | null = null;

  /** Wall time from sending the request to the answer or the failure. */
  @Property({ type: 'integer' })
  durationMs!: number;

  /** A re-send asked for by the client, rather than a scheduled retry. */
  @Property({ type: 'boolean' })
  resend: boolean = false;
}
