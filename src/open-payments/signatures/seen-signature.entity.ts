import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A request signature already accepted, kept until it would be stale anyway: a second request
 * carrying it is a replay. In the database so that every instance refuses it; expired rows are swept.
 */
@Entity({ tableName: 'seen_signature' })
@Index({ properties: ['expiresAt'] })
export class SeenSignature {
  /** Hex SHA-256 of the key id and the signature. */
  @PrimaryKey({ type: 'string', length: 64 })
  hash!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
