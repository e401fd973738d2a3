import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Password checks for one username in the current throttle window (see login-throttle.ts). Kept in
 * the database so that every instance counts the same attempts. The key is the SHA-256 of the
 * normalized username: a username that does not exist (often a password typed in the wrong field)
 * is not stored in clear.
 */
@Entity({ tableName: 'login_attempts' })
export class LoginAttempts {
  /** SHA-256 (hex) of the normalized username. */
  @PrimaryKey({ type: 'string', length: 64 })
  usernameHash!: string;

  /** Password checks started in this window, the one under way included. */
  @Property({ type: 'integer' })
  attempts: number = 0;

  /** When the window opened; it closes `windowMs` later. */
  @Index()
  @Property({ type: 'datetime' })
  windowStartedAt!: Date;
}
