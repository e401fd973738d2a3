import { setTimeout as sleep } from 'node:timers/promises';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ConcurrentWriteConflict, type Database, type Tx } from '../persistence/database';
import type { Clock } from '../shared/clock';
import { newId } from '../shared/ids';
import { ProviderCall, ProviderCallState } from './provider-call.entity';

export const RECONCILE_PROVIDER_CALL_JOB = 'provider-call.reconcile';

/** How long a duplicate looks again at the try under way while it waits for its answer. */
const WAIT_STEP_MS = 20;
const MAX_ERROR_LENGTH = 2000;

/** Schedules timed work in the caller's transaction, and runs it (the persistent scheduler). */
export interface ProviderCallJobs {
  schedule(tx: Tx, job: { kind: string; runAt: Date; payload: Record<string, unknown>; key?: string }): Promise<unknown>;
  register<P>(kind: string, handler: (payload: P) => Promise<void>, options?: { leaseMs?: number }): void;
}

/**
 * One kind of call to one provider. `waits` and `apply` run inside transactions; `call` runs
 * outside any, and must send `key` so that the provider acts once however often it is called.
 */
export interface ProviderOperation<A, L = never> {
  provider: string;
  operation: string;
  /** Locks the payment (or whatever the call is about) and tells whether it still waits for this call. */
  waits(tx: Tx, paymentId: string | null): Promise<boolean>;
  /**
   * Asks the provider. `request` is what was recorded; `live` what is never stored (a payer's
   * credentials): present on a caller's own try, null when the scheduler reconciles.
   */
  call(key: string, request: Record<string, unknown>, live: L | null): Promise<A>;
  /** Applies the answer to the locked payment; runs only while it still waits for it. */
  apply(tx: Tx, paymentId: string | null, answer: A): Promise<void>;
  /** The answer back from its stored JSON (dates come back as strings). */
  readAnswer(stored: unknown): A;
}

export interface ProviderCallRequest<L> {
  /** Unique per provider: the same key is the same call, answered once. */
  key: string;
  paymentId: string | null;
  request: Record<string, unknown>;
  live?: L | null;
}

export type ProviderCallOutcome<A> =
  /** `fresh` false: the answer of another try (a concurrent duplicate, or a call answered before). */
  | { kind: 'answered'; answer: A; fresh: boolean }
  /** No answer yet (the provider failed, timed out, or another try is still under way): the scheduler reconciles it. */
  | { kind: 'unanswered'; error?: unknown }
  /** Nothing was recorded under this key and the payment no longer waits for the call: nothing was sent. */
  | { kind: 'not_waiting' };

export interface ProviderCallsOptions {
  /** How long a try is presumed alive (injected clock); past it, the scheduler tries again with the same key. */
  leaseMs: number;
  /** How long a try waits for the provider before counting it unanswered (real time). */
  timeoutMs: number;
  /** How long a concurrent duplicate waits for the try under way to answer (real time). */
  waitMs: number;
}

export const DEFAULT_PROVIDER_CALL_OPTIONS: ProviderCallsOptions = { leaseMs: 60_000, timeoutMs: 30_000, waitMs: 10_000 };

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, MAX_ERROR_LENGTH);
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  // A late answer is dropped: the reconciliation asks again with the same key.
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`The provider gave no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

type FirstStep =
  | { step: 'replay'; answer: unknown }
  | { step: 'wait'; id: string }
  | { step: 'not_waiting' }
  | { step: 'call'; id: string; tries: number; request: Record<string, unknown> };

/**
 * The one way Paygrid calls a provider (reference: the hardening issue, "provider calls recorded
 * first"):
 *   1. in a transaction, with the payment locked, record the attempt under its idempotency key
 *      (or find it: a concurrent duplicate waits for that try's answer instead of calling);
 *   2. call the provider with the key, outside any transaction;
 *   3. in a new transaction, with the payment locked, store the answer and apply it.
 * An attempt once recorded is always driven to an answer: a try that throws, times out or dies
 * with its process is sent again, with the same key, by the scheduler. Applying happens once,
 * with the first answer stored.
 */
export class ProviderCalls {
  private readonly operations = new Map<string, ProviderOperation<any, any>>();

  constructor(
    private readonly db: Database,
    private readonly jobs: ProviderCallJobs,
    private readonly clock: Clock,
    private readonly options: ProviderCallsOptions = DEFAULT_PROVIDER_CALL_OPTIONS,
  ) {
    // A reconciliation that dies with its process is claimed again once a try's lease is over, not later.
    jobs.register<{ callId: string }>(RECONCILE_PROVIDER_CALL_JOB, ({ callId }) => this.reconcile(callId), { leaseMs: options.leaseMs + options.waitMs });
  }

  /** Makes an operation known, so the scheduler can send its calls again from their records alone. */
  define<A, L = never>(operation: ProviderOperation<A, L>): ProviderOperation<A, L> {
    const name = `${operation.provider}:${operation.operation}`;
    if (this.operations.has(name)) throw new Error(`provider operation ${name} is already defined`);
    this.operations.set(name, operation);
    return operation;
  }

  /**
   * The attempt of this operation on this payment still without an answer (in flight or failed), if
   * any, read in `tx`: what must not change under a call whose outcome is unknown checks it there.
   */
  open(tx: Tx, operation: ProviderOperation<any, any>, paymentId: string): Promise<ProviderCall | null> {
    return tx.em.findOne(ProviderCall, {
      provider: operation.provider,
      operation: operation.operation,
      paymentId,
      state: { $in: [ProviderCallState.IN_FLIGHT, ProviderCallState.FAILED] },
    });
  }

  async run<A, L>(operation: ProviderOperation<A, L>, call: ProviderCallRequest<L>): Promise<ProviderCallOutcome<A>> {
    const first = await this.db.transaction((tx) => this.record(tx, operation, call));
    switch (first.step) {
      case 'replay':
        return { kind: 'answered', answer: operation.readAnswer(first.answer), fresh: false };
      case 'not_waiting':
        return { kind: 'not_waiting' };
      case 'wait':
        return this.waitFor(operation, first.id);
    }

    let answer: A;
    try {
      answer = await withTimeout(operation.call(call.key, first.request, call.live ?? null), this.options.timeoutMs);
    } catch (error) {
      // Whether the provider acted is unknown: the attempt stays open, and only this try's record is touched.
      await this.db
        .reader()
        .nativeUpdate(
          ProviderCall,
          { id: first.id, state: ProviderCallState.IN_FLIGHT, tries: first.tries },
          { state: ProviderCallState.FAILED, heldUntil: null, lastError: describe(error), updatedAt: this.clock.now() },
        );
      return { kind: 'unanswered', error };
    }

    return this.db.transaction(async (tx): Promise<ProviderCallOutcome<A>> => {
      const waiting = await operation.waits(tx, call.paymentId);
      const record = await tx.em.findOneOrFail(ProviderCall, { id: first.id });
      if (record.state === ProviderCallState.ANSWERED) return { kind: 'answered', answer: operation.readAnswer(record.answer), fresh: false };
      const now = this.clock.now();
      record.state = ProviderCallState.ANSWERED;
      record.answer = JSON.parse(JSON.stringify(answer));
      record.heldUntil = null;
      record.answeredAt = now;
      record.updatedAt = now;
      if (waiting) await operation.apply(tx, call.paymentId, answer);
      return { kind: 'answered', answer, fresh: true };
    });
  }

  private async record<A, L>(tx: Tx, operation: ProviderOperation<A, L>, call: ProviderCallRequest<L>): Promise<FirstStep> {
    const waiting = await operation.waits(tx, call.paymentId);
    const found = await tx.em.findOne(ProviderCall, { provider: operation.provider, key: call.key });
    const now = this.clock.now();
    if (found?.state === ProviderCallState.ANSWERED) return { step: 'replay', answer: found.answer };
    if (found && found.heldUntil && found.heldUntil.getTime() > now.getTime()) return { step: 'wait', id: found.id };
    if (!found && !waiting) return { step: 'not_waiting' };
    const heldUntil = new Date(now.getTime() + this.options.leaseMs);
    if (found) {
      // Failed, or its try outlived its lease (a crash): try again, with the same key and request.
      found.state = ProviderCallState.IN_FLIGHT;
      found.tries += 1;
      found.heldUntil = heldUntil;
      found.updatedAt = now;
      return { step: 'call', id: found.id, tries: found.tries, request: found.request };
    }
    const id = newId('pcall');
    try {
      await tx.em.insert(ProviderCall, {
        id,
        provider: operation.provider,
        operation: operation.operation,
        key: call.key,
        paymentId: call.paymentId,
        state: ProviderCallState.IN_FLIGHT,
        request: call.request,
        answer: null,
        tries: 1,
        heldUntil,
        lastError: null,
        createdAt: now,
        updatedAt: now,
        answeredAt: null,
      });
    } catch (error) {
      // A concurrent duplicate recorded it first: run again, and find its attempt.
      if (error instanceof UniqueConstraintViolationException) throw new ConcurrentWriteConflict(`provider call ${operation.provider}/${call.key}`);
      throw error;
    }
    // Once the first try's lease is over, the scheduler makes sure the attempt got an answer: its job
    // runs again (with the scheduler's backoff) until it has one.
    await this.jobs.schedule(tx, { kind: RECONCILE_PROVIDER_CALL_JOB, runAt: heldUntil, payload: { callId: id }, key: id });
    return { step: 'call', id, tries: 1, request: call.request };
  }

  private async waitFor<A>(operation: ProviderOperation<A, any>, id: string): Promise<ProviderCallOutcome<A>> {
    const deadline = Date.now() + this.options.waitMs;
    for (;;) {
      const record = await this.db.reader().findOne(ProviderCall, { id }, { fields: ['state', 'answer'] });
      if (record?.state === ProviderCallState.ANSWERED) return { kind: 'answered', answer: operation.readAnswer(record.answer), fresh: false };
      if (record?.state !== ProviderCallState.IN_FLIGHT || Date.now() >= deadline) return { kind: 'unanswered' };
      await sleep(WAIT_STEP_MS);
    }
  }

  /** The scheduler's side: an attempt still open after its lease is sent again, with its key. */
  private async reconcile(callId: string): Promise<void> {
    const record = await this.db.reader().findOne(ProviderCall, { id: callId });
    if (!record || record.state === ProviderCallState.ANSWERED) return;
    const operation = this.operations.get(`${record.provider}:${record.operation}`);
    if (!operation) throw new Error(`no provider operation ${record.provider}:${record.operation} is defined`);
    const outcome = await this.run(operation, { key: record.key, paymentId: record.paymentId, request: record.request, live: null });
    // Throwing makes the scheduler run this again later.
    if (outcome.kind === 'unanswered') throw outcome.error ?? new Error(`provider call ${record.key} has no answer yet`);
  }
}
