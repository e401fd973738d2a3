import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Database } from '../persistence/database';
import { systemClock, type Clock } from '../shared/clock';
import { ErrorCode, PaygridError } from '../shared/errors';
import { newId } from '../shared/ids';
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

export class UserService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock = systemClock,
  ) {
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
    const passwordHash = await hashPassword(input.password);
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
   */
  async authenticate(username: string, password: string): Promise<User | null> {
    const normalized = normalizeUsername(username);
    const user = USERNAME.test(normalized) ? await this.db.reader().findOne(User, { username: normalized }) : null;
    const matches = await verifyPassword(password, user?.passwordHash ?? (await hashForAbsentUser()));
    if (!user || !matches) return null;
    if (needsRehash(user.passwordHash)) {
      const passwordHash = await hashPassword(password);
      await this.db.reader().nativeUpdate(User, { id: user.id, passwordHash: user.passwordHash }, { passwordHash });
    }
    return user;
  }
}
