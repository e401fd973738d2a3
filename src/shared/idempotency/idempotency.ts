import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import { ConcurrentWriteConflict, RepeatSuspected, type Tx } from '../../persistence/database';
import { ErrorCode, PaygridError } from '../errors';
import { sha256 } from '../ids';
import { IDEMPOTENCY_KEY_MAX, IdempotencyRecord } from './idempotency-record.entity';

export interface IdempotentCall {
  /** The caller and namespace the key belongs to, e.g. `cli_…:request_id`. */
  scope: string;
  key: string;
  /** Field the key came in, for error paths. */
  keyField: string;
  operation: string;
  /**
   * Everything else the caller sent, parsed and normalized (amounts by `normalizeAmount`, so "10.9"
   * and "10.90" are one request): a repeat must send the same. When normalizing it validates
   * against the time (an execution date after today), pass a function of the time: a repeat is
   * judged as of its first request, so a retry the next day gets the first answer, not a refusal.
   */
  request: unknown | ((at: Date) => unknown);
  /** Now by the caller's clock, stored with the key; the system time when absent. */
  now?: Date;
  /**
   * The work touches nothing but this database (no provider call, nothing sent): it may run before
   * the key is claimed, and a duplicate's work is simply rolled back. The key is then claimed with
   * its result in one insert, the only statement idempotency costs a first request.
   */
  workFirst?: boolean;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

export function validateIdempotencyKey(key: string, field: string, max = IDEMPOTENCY_KEY_MAX, code = ErrorCode.IDEMPOTENCY_KEY_INVALID): void {
  if (typeof key !== 'string' || key.length < 1 || key.length > max || key.trim() !== key) {
    throw new PaygridError(code, field);
  }
}

/**
 * The one idempotency helper, used the same way by every mutation that moves money or changes a
 * payment's state. Inside the caller's transaction, and before any validation that depends on the
 * time: a key seen before returns the stored result (or IDEMPOTENCY_KEY_REUSED when the request
 * differs); a new key is claimed *before* the work runs, so a concurrent duplicate waits on the
 * claim and, once the first commits, replays it (IDEMPOTENCY_KEY_IN_FLIGHT if it cannot). A key
 * whose work rolled back is free again. `work` receives the normalized request. Returns the result
 * and whether it was replayed.
 *
 * With `workFirst`, the first attempt runs the work straight away and claims the key with its
 * result in one `insert … on conflict do nothing`: a duplicate (committed, or concurrent: the insert
 * waits for it) inserts nothing. That attempt, or one whose work failed (a repeat of a step that
 * already moved the payment on is refused by the work), is rolled back and run again looking the
 * key up first, as above: repeats and failures cost a second transaction, a first request one insert.
 */
export async function once<R extends Record<string, unknown>, Q = unknown>(
  tx: Tx,
  call: IdempotentCall,
  work: (request: Q) => Promise<R>,
): Promise<{ result: R; replayed: boolean }> {
  const now = call.now ?? new Date();
  const normalize = (at: Date) => (typeof call.request === 'function' ? (call.request as (at: Date) => unknown)(at) : call.request) as Q;
  const fingerprintOf = (request: Q) => sha256(`${call.operation}\n${canonical(request)}`);
  if (call.workFirst && !tx.lookUpKeysFirst) {
    const request = normalize(now);
    let result: R;
    try {
      result = await work(request);
    } catch (error) {
      throw new RepeatSuspected(error);
    }
    if (!(await claim(tx, call, fingerprintOf(request), result, now))) throw new RepeatSuspected();
    return { result, replayed: false };
  }
  // Read untracked: the unit of work has nothing to write back to a record it only compares.
  const existing = await tx.em.findOne(IdempotencyRecord, { scope: call.scope, key: call.key }, { disableIdentityMap: true });
  if (existing) {
    if (existing.operation !== call.operation || existing.fingerprint !== fingerprintOf(normalize(existing.createdAt))) {
      throw new PaygridError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        call.keyField,
        `This key was already used for another request (${existing.operation}); use a new key for a new request.`,
      );
    }
    return { result: existing.result as R, replayed: true };
  }
  const request = normalize(now);
  const inFlight = () => new ConcurrentWriteConflict(`idempotency key ${call.key}`, new PaygridError(ErrorCode.IDEMPOTENCY_KEY_IN_FLIGHT, call.keyField));
  if (call.workFirst) {
    const result = await work(request);
    if (!(await claim(tx, call, fingerprintOf(request), result, now))) throw inFlight();
    return { result, replayed: false };
  }
  try {
    await tx.em.insert(IdempotencyRecord, {
      scope: call.scope,
      key: call.key,
      operation: call.operation,
      fingerprint: fingerprintOf(request),
      result: {},
      createdAt: now,
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw inFlight();
    throw error;
  }
  const result = await work(request);
  await tx.em.nativeUpdate(IdempotencyRecord, { scope: call.scope, key: call.key }, { result });
  return { result, replayed: false };
}

/**
 * The result a key already produced, read before a step checks the state it acts on, so that a
 * repeat gets its first answer rather than a refusal of the state the first left behind (a quote
 * already used, an incoming payment already paid): null for a new key, IDEMPOTENCY_KEY_REUSED when
 * the key was used for another request. The step still runs through `once` with the same call.
 */
export async function previousResult<R extends Record<string, unknown>>(em: EntityManager, call: Omit<IdempotentCall, 'workFirst' | 'now'>): Promise<R | null> {
  const existing = await em.findOne(IdempotencyRecord, { scope: call.scope, key: call.key }, { disableIdentityMap: true });
  if (!existing) return null;
  const request = typeof call.request === 'function' ? (call.request as (at: Date) => unknown)(existing.createdAt) : call.request;
  if (existing.operation !== call.operation || existing.fingerprint !== sha256(`${call.operation}\n${canonical(request)}`)) {
    throw new PaygridError(
      ErrorCode.IDEMPOTENCY_KEY_REUSED,
      call.keyField,
      `This key was already used for another request (${existing.operation}); use a new key for a new request.`,
    );
  }
  return existing.result as R;
}

/** Claims the key with its result in one statement; false when another request holds it. */
async function claim(tx: Tx, call: IdempotentCall, fingerprint: string, result: Record<string, unknown>, now: Date): Promise<boolean> {
  const inserted = await tx.run(
    `insert into idempotency_record (scope, ${tx.em.getPlatform().quoteIdentifier('key')}, operation, fingerprint, result, created_at)
     values (?, ?, ?, ?, ?, ?) on conflict (scope, ${tx.em.getPlatform().quoteIdentifier('key')}) do nothing`,
    [call.scope, call.key, call.operation, fingerprint, JSON.stringify(result), tx.date(now)],
  );
  return inserted === 1;
}
