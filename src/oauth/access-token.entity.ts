import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** A bearer token. Only its hash is stored, so a database leak gives no usable token. */
@Entity({ tableName: 'access_token' })
export class AccessToken {
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 64, unique: true })
  tokenHash!: string;

  @Index()
  @Property({ type: 'string', length: 64 })
  clientId!: string;

  /** The payer the client acts for (authorization code grant); null when it acts for itself. */
  @Index()
  @Property({ type: 'string', length: 40, nullable: true })
  userId: string | null = null;

  /**
   * The authorization code the token descends from (its rotation family), revoked with it when a
   * code or refresh token is reused; null for client-credentials tokens.
   */
  @Index()
  @Property({ type: 'string', length: 40, nullable: true })
  familyId: string | null = null;

  /**
   * The one payment a payment-scoped token (scope payments:validate) may see and act on; null for
   * every other token. The API refuses such a token everything outside this payment.
   */
  @Index()
  @Property({ type: 'string', length: 40, nullable: true })
  paymentId: string | null = null;

  @Property({ type: 'json' })
  scopes!: string[];

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
