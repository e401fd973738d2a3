import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A refresh token of a payer's consent. Rotated on every use (RFC 9700 §4.14.2): using one sets
 * `usedAt` and issues its successor in the same family; presenting a used or revoked one again
 * revokes the whole family, refresh and access tokens alike. Only the hash is stored.
 */
@Entity({ tableName: 'refresh_token' })
export class RefreshToken {
  /** `rtk_…` */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 64, unique: true })
  tokenHash!: string;

  @Index()
  @Property({ type: 'string', length: 64 })
  clientId!: string;

  @Property({ type: 'string', length: 40 })
  userId!: string;

  /** The authorization code this token descends from: its rotation family. */
  @Index()
  @Property({ type: 'string', length: 40 })
  familyId!: string;

  /** What the payer consented to; a refresh may narrow its access token, never widen it. */
  @Property({ type: 'json' })
  scopes!: string[];

  /** When the payer consented: the family ends a fixed time after it, however often it is refreshed. */
  @Property({ type: 'datetime' })
  consentedAt!: Date;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** Set when this token was exchanged for its successor. */
  @Property({ type: 'datetime', nullable: true })
  usedAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
