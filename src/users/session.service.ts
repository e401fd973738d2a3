import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Database } from '../persistence/database';
import { sha256 } from '../shared/ids';
import { systemClock, type Clock } from '../shared/clock';
import { newId, newSecret } from '../shared/ids';
import { PayerSession } from './session.entity';

/** A session before login lives just long enough to fill in the login form. */
export const ANONYMOUS_SESSION_SECONDS = 60 * 60;
/** A logged-in session ends after this, however active: the payer logs in again. */
export const PAYER_SESSION_SECONDS = 12 * 60 * 60;
const PURGE_EVERY_MS = 10 * 60 * 1000;
const SECRET = /^pgss_[A-Za-z0-9_-]{43}$/;

export interface OpenSession {
  session: PayerSession;
  /** The cookie value; only its hash is stored. */
  secret: string;
}

/**
 * Server-side sessions for Paygrid's pages. The CSRF token of a session is an HMAC of its secret:
 * a per-session synchronizer token that the server recomputes from the cookie and never stores,
 * so neither the table nor the page alone is enough to forge a form.
 */
export class SessionService {
  private lastPurge = 0;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock = systemClock,
  ) {}

  /** A new session without a user (before login). */
  async start(): Promise<OpenSession> {
    return this.create(null, ANONYMOUS_SESSION_SECONDS);
  }

  /** The live session the cookie names, or null (unknown, malformed or expired). */
  async find(secret: string | undefined): Promise<PayerSession | null> {
    if (!secret || !SECRET.test(secret)) return null;
    const session = await this.db.reader().findOne(PayerSession, { secretHash: sha256(secret) });
    if (!session || session.expiresAt.getTime() <= this.clock.now().getTime()) return null;
    return session;
  }

  /** Logs a user in: the session the browser had (if any) ends and a new one, with a new secret, begins. */
  async login(previousSecret: string | undefined, userId: string): Promise<OpenSession> {
    if (previousSecret) await this.end(previousSecret);
    return this.create(userId, PAYER_SESSION_SECONDS);
  }

  async end(secret: string): Promise<void> {
    if (!SECRET.test(secret)) return;
    await this.db.reader().nativeDelete(PayerSession, { secretHash: sha256(secret) });
  }

  csrfToken(secret: string): string {
    return createHmac('sha256', secret).update('paygrid csrf v1').digest('base64url');
  }

  /** Whether `given` is the CSRF token of the session with this secret; constant-time. */
  checkCsrf(secret: string, given: unknown): boolean {
    if (typeof given !== 'string') return false;
    const expected = Buffer.from(this.csrfToken(secret));
    const actual = Buffer.from(given);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  private async create(userId: string | null, seconds: number): Promise<OpenSession> {
    const now = this.clock.now();
    const secret = newSecret('pgss');
    const session = await this.db.transaction(async (tx) =>
      tx.em.create(PayerSession, {
        id: newId('ses'),
        secretHash: sha256(secret),
        userId,
        expiresAt: new Date(now.getTime() + seconds * 1000),
        createdAt: now,
      }),
    );
    await this.purgeExpired(now);
    return { session, secret };
  }

  /** Sessions nobody finished (a login page opened and left) are deleted now and then. */
  private async purgeExpired(now: Date): Promise<void> {
    if (now.getTime() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now.getTime();
    await this.db.reader().nativeDelete(PayerSession, { expiresAt: { $lte: now } });
  }
}
