import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MikroORM } from '@mikro-orm/core';
import { Database, type Tx } from '../src/persistence/database';
import { databaseKind, openDatabase } from '../src/persistence/orm';
import { ProviderCall, ProviderCallState } from '../src/providers/provider-call.entity';
import { ProviderCalls, RECONCILE_PROVIDER_CALL_JOB, type ProviderCallJobs, type ProviderOperation } from '../src/providers/provider-call';
import { ManualClock } from '../src/shared/clock';
import { createTestDatabase, type TestDatabase } from './support/server';

/*
 * The rules of the provider-call helper, on a real database (SQLite, or PostgreSQL with
 * DATABASE_URL), with a provider and a payment made up by the test.
 */

interface Answer {
  value: string;
  at: Date;
}

/** A provider the test scripts: each call takes the next behaviour, or answers `value-N`. */
class ScriptedProvider {
  readonly calls: Array<{ key: string; request: Record<string, unknown>; live: string | null }> = [];
  readonly applied: Array<{ paymentId: string | null; answer: Answer }> = [];
  /** Payments that wait for an answer. */
  readonly waiting = new Set<string>();
  next: Array<'throw' | 'hang' | ((key: string) => Promise<Answer>)> = [];

  operation(name: string): ProviderOperation<Answer, string> {
    return {
      provider: 'scripted',
      operation: name,
      waits: async (_tx: Tx, paymentId) => this.waiting.has(paymentId!),
      call: async (key, request, live) => {
        this.calls.push({ key, request, live });
        const behaviour = this.next.shift();
        if (behaviour === 'throw') throw new Error('connection reset');
        if (behaviour === 'hang') return new Promise<Answer>(() => undefined);
        if (behaviour) return behaviour(key);
        return { value: `value-${this.calls.length}`, at: new Date('2026-12-02T10:00:00Z') };
      },
      apply: async (_tx, paymentId, answer) => void this.applied.push({ paymentId, answer }),
      readAnswer: (stored) => ({ ...(stored as Answer), at: new Date((stored as { at: string }).at) }),
    };
  }
}

class RecordedJobs implements ProviderCallJobs {
  readonly scheduled: Array<{ kind: string; runAt: Date; payload: Record<string, unknown>; key?: string }> = [];
  handler!: (payload: { callId: string }) => Promise<void>;

  async schedule(_tx: Tx, job: { kind: string; runAt: Date; payload: Record<string, unknown>; key?: string }): Promise<void> {
    this.scheduled.push(job);
  }

  register<P>(kind: string, handler: (payload: P) => Promise<void>): void {
    assert.equal(kind, RECONCILE_PROVIDER_CALL_JOB);
    this.handler = handler as unknown as (payload: { callId: string }) => Promise<void>;
  }
}

describe('provider calls: record, call with the key, apply', () => {
  const clock = new ManualClock(new Date('2026-12-02T10:00:00Z'));
  let database: TestDatabase;
  let orm: MikroORM;
  let db: Database;
  let count = 0;

  before(async () => {
    database = await createTestDatabase();
    orm = (await openDatabase({ databaseUrl: database.url })).orm;
    db = new Database(orm, databaseKind(database.url));
  });
  after(async () => {
    await orm.close();
    await database.drop();
  });

  /** A fresh helper, provider and payment for each rule. */
  const setup = () => {
    const jobs = new RecordedJobs();
    const calls = new ProviderCalls(db, jobs, clock, { leaseMs: 60_000, timeoutMs: 200, waitMs: 2_000 });
    const provider = new ScriptedProvider();
    const operation = calls.define(provider.operation('ask'));
    const paymentId = `pay_rule_${++count}`;
    provider.waiting.add(paymentId);
    return { jobs, calls, provider, operation, paymentId };
  };
  const record = (key: string) => db.reader().findOneOrFail(ProviderCall, { provider: 'scripted', key });

  it('records the attempt before the call, sends the key, stores and applies the answer once; the same key replays it', async () => {
    const { jobs, calls, provider, operation, paymentId } = setup();
    let seenWhileCalling: ProviderCall | null = null;
    provider.next.push(async (key) => {
      seenWhileCalling = await record(key);
      return { value: 'yes', at: new Date('2026-12-03T00:00:00Z') };
    });
    const first = await calls.run(operation, { key: 'k-1', paymentId, request: { what: 1 }, live: 'secret' });
    assert.deepEqual(first, { kind: 'answered', answer: { value: 'yes', at: new Date('2026-12-03T00:00:00Z') }, fresh: true });
    assert.equal(seenWhileCalling!.state, ProviderCallState.IN_FLIGHT, 'recorded (committed) before the provider was called');
    assert.deepEqual(provider.calls, [{ key: 'k-1', request: { what: 1 }, live: 'secret' }]);
    assert.equal(provider.applied.length, 1);
    const stored = await record('k-1');
    assert.equal(stored.state, ProviderCallState.ANSWERED);
    assert.equal(stored.paymentId, paymentId);
    assert.equal(stored.operation, 'ask');
    assert.deepEqual(stored.request, { what: 1 }, 'the live part is never stored');
    assert.ok(stored.answeredAt);
    assert.deepEqual(jobs.scheduled.map((j) => [j.kind, j.runAt.getTime() - clock.now().getTime()]), [[RECONCILE_PROVIDER_CALL_JOB, 60_000]]);

    const again = await calls.run(operation, { key: 'k-1', paymentId, request: { what: 1 }, live: 'secret' });
    assert.deepEqual(again, { kind: 'answered', answer: { value: 'yes', at: new Date('2026-12-03T00:00:00Z') }, fresh: false }, 'the stored answer, dates revived');
    assert.equal(provider.calls.length, 1);
    assert.equal(provider.applied.length, 1);
    // The reconciliation of an answered attempt does nothing.
    await jobs.handler({ callId: stored.id });
    assert.equal(provider.calls.length, 1);
  });

  it('sends nothing and records nothing when the payment no longer waits', async () => {
    const { calls, provider, operation, paymentId } = setup();
    provider.waiting.delete(paymentId);
    assert.deepEqual(await calls.run(operation, { key: 'k-idle', paymentId, request: {} }), { kind: 'not_waiting' });
    assert.equal(provider.calls.length, 0);
    assert.equal(await db.reader().count(ProviderCall, { key: 'k-idle' }), 0);
  });

  it('a concurrent duplicate waits for the try under way and gets its answer, without calling', async () => {
    const { calls, provider, operation, paymentId } = setup();
    let answer!: (a: Answer) => void;
    provider.next.push(() => new Promise<Answer>((resolve) => (answer = resolve)));
    const first = calls.run(operation, { key: 'k-dup', paymentId, request: {}, live: 'a' });
    while (provider.calls.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const duplicate = calls.run(operation, { key: 'k-dup', paymentId, request: {}, live: 'b' });
    answer({ value: 'only', at: clock.now() });
    assert.equal((await first).kind, 'answered');
    assert.deepEqual(await duplicate, { kind: 'answered', answer: { value: 'only', at: clock.now() }, fresh: false });
    assert.equal(provider.calls.length, 1);
    assert.equal(provider.applied.length, 1);
  });

  it('a try that throws leaves the attempt failed; the reconciliation sends the same key and request again, without the live part, and applies', async () => {
    const { jobs, calls, provider, operation, paymentId } = setup();
    provider.next.push('throw');
    assert.equal((await calls.run(operation, { key: 'k-lost', paymentId, request: { n: 7 }, live: 'secret' })).kind, 'unanswered');
    const failed = await record('k-lost');
    assert.equal(failed.state, ProviderCallState.FAILED);
    assert.match(failed.lastError ?? '', /connection reset/);
    assert.equal(failed.heldUntil, null);
    assert.equal(provider.applied.length, 0);

    provider.next.push('throw');
    await assert.rejects(jobs.handler({ callId: failed.id }), /connection reset/, 'an unanswered reconciliation throws, so the scheduler runs it again');
    await jobs.handler({ callId: failed.id });
    assert.deepEqual(provider.calls.map((c) => [c.key, c.request, c.live]), [
      ['k-lost', { n: 7 }, 'secret'],
      ['k-lost', { n: 7 }, null],
      ['k-lost', { n: 7 }, null],
    ]);
    const answered = await record('k-lost');
    assert.equal(answered.state, ProviderCallState.ANSWERED);
    assert.equal(answered.tries, 3);
    assert.equal(provider.applied.length, 1);
  });

  it('a try with no answer in time counts as unanswered; a try that outlived its lease (a crash) is taken over with the same key', async () => {
    const { calls, provider, operation, paymentId } = setup();
    provider.next.push('hang');
    assert.equal((await calls.run(operation, { key: 'k-slow', paymentId, request: {} })).kind, 'unanswered');
    assert.match((await record('k-slow')).lastError ?? '', /no answer within 200 ms/);

    // A try whose process died: in flight, held, never answered.
    await db.transaction(async (tx) => {
      const stuck = await tx.em.findOneOrFail(ProviderCall, { key: 'k-slow' });
      stuck.state = ProviderCallState.IN_FLIGHT;
      stuck.heldUntil = new Date(clock.now().getTime() + 60_000);
    });
    const before = provider.calls.length;
    assert.deepEqual(await calls.run(operation, { key: 'k-slow', paymentId, request: {} }), { kind: 'unanswered' }, 'held: a caller waits, and does not call');
    assert.equal(provider.calls.length, before);
    clock.advance(60_001);
    assert.equal((await calls.run(operation, { key: 'k-slow', paymentId, request: {} })).kind, 'answered');
    assert.deepEqual(provider.calls.slice(before).map((c) => c.key), ['k-slow']);
  });

  it('stores an answer that comes when the payment no longer waits, without applying it; open() finds unanswered attempts only', async () => {
    const { calls, provider, operation, paymentId } = setup();
    provider.next.push('throw');
    await calls.run(operation, { key: 'k-late', paymentId, request: {} });
    assert.equal((await db.transaction((tx) => calls.open(tx, operation, paymentId)))?.key, 'k-late');
    provider.waiting.delete(paymentId);
    assert.equal((await calls.run(operation, { key: 'k-late', paymentId, request: {} })).kind, 'answered', 'a recorded attempt is always driven to an answer');
    assert.equal(provider.applied.length, 0);
    assert.equal(await db.transaction((tx) => calls.open(tx, operation, paymentId)), null);
  });

  it('refuses to define one operation twice', () => {
    const { calls, provider } = setup();
    assert.throws(() => calls.define(provider.operation('ask')), /already defined/);
  });
});
