import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A browser session on Paygrid's pages. The cookie holds a random secret; only its SHA-256 is
 * stored, so the table gives no usable session. A session without a user exists so that the login
 * form itself carries a CSRF token; logging in replaces it with a new one (no session fixation).
 */
@Entity({ tableName: 'payer_session' })
export class PayerSession {
  /** `ses_…` */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 64, unique: true })
  secretHash!: string;

  /** The logged-in payer; null before login. */
  @Index()
  @Property({ type: 'string', length: 40, nullable: true })
  userId: string | null = null;

  @Index()
  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
