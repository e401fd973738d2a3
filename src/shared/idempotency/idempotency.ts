import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ConcurrentWriteConflict, type Tx } from '../../persistence/database';
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
 */
export async function once<R extends Record<string, unknown>, Q = unknown>(
  tx: Tx,
  call: IdempotentCall,
  work: (request: Q) => Promise<R>,
): Promise<{ result: R; replayed: boolean }> {
  const now = call.now ?? new Date();
  const normalize = (at: Date) => (typeof call.request === 'function' ? (call.request as (at: Date) => unknown)(at) : call.request) as Q;
  const fingerprintOf = (request: Q) => sha256(`${call.operation}\n${canonical(request)}`);
  const existing = await tx.em.findOne(IdempotencyRecord, { scope: call.scope, key: call.key });
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
    if (error instanceof UniqueConstraintViolationException) {
      throw new ConcurrentWriteConflict(`idempotency key ${call.key}`, new PaygridError(ErrorCode.IDEMPOTENCY_KEY_IN_FLIGHT, call.keyField));
    }
    throw error;
  }
  const result = await work(request);
  await tx.em.nativeUpdate(IdempotencyRecord, { scope: call.scope, key: call.key }, { result });
  return { result, replayed: false };
}
