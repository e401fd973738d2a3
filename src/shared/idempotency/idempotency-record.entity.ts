import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** The longest idempotency key: the `key` column's width. */
export const IDEMPOTENCY_KEY_MAX = 255;

/**
 * What a caller's idempotency key produced. Written in the same database transaction as the
 * effect, so a key is either unused or bound to exactly one committed result.
 */
@Entity({ tableName: 'idempotency_record' })
@Unique({ properties: ['scope', 'key'] })
export class IdempotencyRecord {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  /** The caller and the key's namespace, e.g. `cli_…:request_id`. */
  @Property({ type: 'string', length: 120 })
  scope!: string;

  @Property({ type: 'string', length: IDEMPOTENCY_KEY_MAX })
  key!: string;

  @Property({ type: 'string', length: 80 })
  operation!: string;

  /** SHA-256 of the canonical request: the same key with another request is refused. */
  @Property({ type: 'string', length: 64 })
  fingerprint!: string;

  @Property({ type: 'json' })
  result!: Record<string, unknown>;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
