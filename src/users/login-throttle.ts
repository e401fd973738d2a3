import { sha256 } from '../shared/ids';
import { raw } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/knex';
import type { Database } from '../persistence/database';
import type { Clock } from '../shared/clock';
import { LoginAttempts } from './login-attempts.entity';

export interface LoginThrottleOptions {
  /** Password checks allowed per username and window (LOGIN_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Length of the window, from its first attempt (LOGIN_WINDOW_MINUTES). */
  windowMs: number;
}

export type Reservation = { granted: true } | { granted: false; retryAfterSeconds: number };

/**
 * Per-username limit on password checks, shared by every instance through the database. A check
 * is reserved *before* the hash is computed, with one conditional update (`attempts < max`), so
 * that concurrent attempts cannot all slip past the count: at most `maxAttempts` hashes per window,
 * however many requests arrive at once. A successful login clears the count; a refused one costs
 * no hash. Usernames that do not exist are counted the same way, so a refusal tells nothing about
 * which usernames exist.
 */
export class LoginThrottle {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    readonly options: LoginThrottleOptions,
  ) {}

  async reserve(normalizedUsername: string): Promise<Reservation> {
    const usernameHash = sha256(normalizedUsername);
    return this.db.transaction(async (tx) => {
      const now = this.clock.now();
      const windowOpenedBefore = new Date(now.getTime() - this.options.windowMs);
      const em = tx.em as SqlEntityManager;
      await em.createQueryBuilder(LoginAttempts).insert({ usernameHash, attempts: 0, windowStartedAt: now }).onConflict('usernameHash').ignore().execute();
      // A window that has passed starts again; of concurrent requests, only the first matches.
      await em.nativeUpdate(LoginAttempts, { usernameHash, windowStartedAt: { $lte: windowOpenedBefore } }, { attempts: 0, windowStartedAt: now });
      const granted = await em.nativeUpdate(LoginAttempts, { usernameHash, attempts: { $lt: this.options.maxAttempts } }, { attempts: raw('attempts + 1') });
      if (granted === 1) return { granted: true } as const;
      const row = await em.findOneOrFail(LoginAttempts, { usernameHash });
      const left = row.windowStartedAt.getTime() + this.options.windowMs - now.getTime();
      return { granted: false, retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)) } as const;
    });
  }

  /** Gives back an attempt whose password was never checked (this instance was too busy). */
  async release(normalizedUsername: string): Promise<void> {
    await this.db.reader().nativeUpdate(LoginAttempts, { usernameHash: sha256(normalizedUsername), attempts: { $gt: 0 } }, { attempts: raw('attempts - 1') });
  }

  /** After a successful login: the next failures count from zero. */
  async clear(normalizedUsername: string): Promise<void> {
    await this.db.reader().nativeDelete(LoginAttempts, { usernameHash: sha256(normalizedUsername) });
  }
}
