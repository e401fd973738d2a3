import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Database } from '../persistence/database';
import { systemClock, type Clock } from '../shared/clock';
import { ConcurrencyLimit, QueueFull } from '../shared/concurrency-limit';
import { ErrorCode, PaygridError, RetryLaterError } from '../shared/errors';
import { newId } from '../shared/ids';
import { LoginThrottle } from './login-throttle';
import { MAX_PASSWORD_BYTES, hashPassword, needsRehash, verifyPassword } from './password';
import { User } from './user.entity';

export interface CreateUserInput {
  username: string;
  password: string;
  name?: string | null;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;
const MIN_PASSWORD = 10;
const MAX_NAME = 200;

export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/**
 * The hash an unknown username is checked against, so that a login for a user who does not exist
 * costs one scrypt like a wrong password does. Made once per process, with today's parameters.
 */
let absentUserHash: Promise<string> | undefined;
function hashForAbsentUser(): Promise<string> {
  absentUserHash ??= hashPassword(randomBytes(18).toString('base64'));
  return absentUserHash;
}

export interface LoginLimits {
  /** Password checks per username within `windowMs` before further attempts are refused. */
  maxAttempts: number;
  windowMs: number;
  /** Password hashes (128 MiB, one libuv thread each) this instance computes at once. */
  hashConcurrency: number;
  /** Hashes waiting for a slot; beyond them a login is answered "busy". */
  hashQueue: number;
}

export const DEFAULT_LOGIN_LIMITS: Readonly<LoginLimits> = { maxAttempts: 5, windowMs: 15 * 60_000, hashConcurrency: 2, hashQueue: 16 };

/** What a login refused for a full hash queue tells the browser to wait. */
const BUSY_RETRY_AFTER_SECONDS = 2;

export class UserService {
  readonly throttle: LoginThrottle;
  /** Every password hash of this instance goes through it: at most `hashConcurrency` at once. */
  readonly hashes: ConcurrencyLimit;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock = systemClock,
    limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {
    this.throttle = new LoginThrottle(db, clock, { maxAttempts: limits.maxAttempts, windowMs: limits.windowMs });
    this.hashes = new ConcurrencyLimit('password hashing', limits.hashConcurrency, limits.hashQueue);
    // Made ahead, so that even the first login of an unknown user costs what a wrong password does.
    void hashForAbsentUser();
  }

  async create(input: CreateUserInput): Promise<User> {
    const username = normalizeUsername(input.username);
    if (!USERNAME.test(username)) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'username', 'A username is 3 to 64 letters, digits, dots, dashes or underscores.');
    }
    if (input.password.length < MIN_PASSWORD || Buffer.byteLength(input.password, 'utf8') > MAX_PASSWORD_BYTES) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'password', `A password is ${MIN_PASSWORD} to ${MAX_PASSWORD_BYTES} bytes long.`);
    }
    const name = input.name?.trim() || null;
    if (name && name.length > MAX_NAME) throw new PaygridError(ErrorCode.INVALID_INPUT, 'name', `The name is longer than ${MAX_NAME} characters.`);
    const passwordHash = await this.hash(() => hashPassword(input.password));
    try {
      return await this.db.transaction(async (tx) =>
        tx.em.create(User, { id: newId('usr'), username, name, passwordHash, createdAt: this.clock.now() }),
      );
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new PaygridError(ErrorCode.INVALID_INPUT, 'username', 'This username is taken.');
      throw error;
    }
  }

  async get(id: string): Promise<User | null> {
    return this.db.reader().findOne(User, { id });
  }

  /**
   * The user with this username and password, or null. Whether the username exists, is malformed or
   * the password is wrong, the answer takes one scrypt: timing tells nothing about who has an account.
   * A hash made with weaker parameters than today's is upgraded on a successful login.
   *
   * Throws RetryLaterError, before any hash, when this username had its share of attempts in the
   * current window (TOO_MANY_LOGIN_ATTEMPTS; existing or not), or when this instance is computing
   * and queueing as many hashes as it may (LOGIN_BUSY; the attempt is then not counted).
   */
  async authenticate(username: string, password: string): Promise<User | null> {
    const normalized = normalizeUsername(username);
    const reservation = await this.throttle.reserve(normalized);
    if (!reservation.granted) throw new RetryLaterError(ErrorCode.TOO_MANY_LOGIN_ATTEMPTS, reservation.retryAfterSeconds);
    let user: User | null;
    let matches: boolean;
    try {
      user = USERNAME.test(normalized) ? await this.db.reader().findOne(User, { username: normalized }) : null;
      const encoded = user?.passwordHash ?? (await hashForAbsentUser());
      matches = await this.hash(() => verifyPassword(password, encoded));
    } catch (error) {
      if (error instanceof RetryLaterError && error.code === ErrorCode.LOGIN_BUSY) await this.throttle.release(normalized);
      throw error;
    }
    if (!user || !matches) return null;
    await this.throttle.clear(normalized);
    if (needsRehash(user.passwordHash)) {
      const passwordHash = await this.hash(() => hashPassword(password));
      await this.db.reader().nativeUpdate(User, { id: user.id, passwordHash: user.passwordHash }, { passwordHash });
    }
    return user;
  }

  /** Runs one password hash within this instance's cap; a full queue is LOGIN_BUSY. */
  private async hash<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.hashes.run(work);
    } catch (error) {
      if (error instanceof QueueFull) throw new RetryLaterError(ErrorCode.LOGIN_BUSY, BUSY_RETRY_AFTER_SECONDS);
      throw error;
    }
  }
}
