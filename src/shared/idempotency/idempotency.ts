import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ConcurrentWriteConflict, type Tx } from '../../persistence/database';
import { ErrorCode, PaygridError } from '../errors';
import { sha256 } from '../ids';
import { IdempotencyRecord } from './idempotency-record.entity';

export interface IdempotentCall {
  /** The caller and namespace the key belongs to, e.g. `cli_…:request_id`. */
  scope: string;
  key: string;
  /** Field the key came in, for error paths. */
  keyField: string;
  operation: string;
  /** Everything else the caller sent: a repeat must send the same. */
  request: unknown;
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

export function validateIdempotencyKey(key: string, field: string, max = 255, code = ErrorCode.IDEMPOTENCY_KEY_INVALID): void {
  if (typeof key !== 'string' || key.length < 1 || key.length > max || key.trim() !== key) {
    throw new PaygridError(code, field);
  }
}

/**
 * The one idempotency helper. Inside the caller's transaction: a key seen before returns the stored
 * result (or IDEMPOTENCY_KEY_REUSED when the request differs); a new key is claimed *before* the
 * work runs, so a concurrent duplicate waits on the claim and, once the first commits, replays it.
 * A key whose work rolled back is free again. Returns the result and whether it was replayed.
 */
export async function once<R extends Record<string, unknown>>(
  tx: Tx,
  call: IdempotentCall,
  work: () => Promise<R>,
): Promise<{ result: R; replayed: boolean }> {
  const fingerprint = sha256(`${call.operation}\n${canonical(call.request)}`);
  const existing = await tx.em.findOne(IdempotencyRecord, { scope: call.scope, key: call.key });
  if (existing) {
    if (existing.fingerprint !== fingerprint) {
      throw new PaygridError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        call.keyField,
        `This key was already used for another request (${existing.operation}); use a new key for a new request.`,
      );
    }
    return { result: existing.result as R, replayed: true };
  }
  try {
    await tx.em.insert(IdempotencyRecord, {
      scope: call.scope,
      key: call.key,
      operation: call.operation,
      fingerprint,
      result: {},
      createdAt: new Date(),
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new ConcurrentWriteConflict(`idempotency key ${call.key}`, new PaygridError(ErrorCode.IDEMPOTENCY_KEY_IN_FLIGHT, call.keyField));
    }
    throw error;
  }
  const result = await work();
  await tx.em.nativeUpdate(IdempotencyRecord, { scope: call.scope, key: call.key }, { result });
  return { result, replayed: false };
}
