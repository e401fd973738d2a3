import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobState, ScheduledJob } from '../src/jobs/scheduled-job.entity';
import { Scheduler, type JobHandler, type JobKindOptions } from '../src/jobs/scheduler';
import { ManualClock } from '../src/shared/clock';
import { createTestDatabase, startServer, type TestServer } from './support/server';

/** Only runDue() runs jobs in these tests: the pollers never fire. */
// No retention sweep: these tests count every run of the scheduler.
const QUIET = { schedulerPollMs: 3_600_000, retention: false };

describe('the scheduler', () => {
  const clock = new ManualClock(new Date('2026-06-01T08:00:00Z'));
  let server: TestServer;
  let scheduler: Scheduler;
  let kindCount = 0;

  before(async () => {
    server = await startServer({ clock, config: QUIET });
    scheduler = server.app.services.scheduler;
  });
  after(() => server.close());

  /** A fresh job kind per test, so that one test's jobs never run another's handler. */
  function kind<P>(handler: JobHandler<P>, options?: JobKindOptions): string {
    const name = `test.kind${++kindCount}`;
    scheduler.register(name, handler, options);
    return name;
  }

  function schedule(kindName: string, payload: Record<string, unknown> = {}, key?: string, runAt = clock.now()): Promise<string> {
    return server.app.services.db.transaction((tx) => scheduler.schedule(tx, { kind: kindName, runAt, payload, key }));
  }

  function job(id: string): Promise<ScheduledJob> {
    return server.app.services.db.reader().findOneOrFail(ScheduledJob, { id });
  }

  it('runs a job when the clock reaches it, once, with its payload', async () => {
    const seen: unknown[] = [];
    const name = kind(async (payload: { n: number }, run) => {
      seen.push([payload.n, run.attempt]);
    });
    const id = await schedule(name, { n: 7 }, undefined, new Date(clock.now().getTime() + 3_600_000));
    assert.equal(await scheduler.runDue(), 0);
    clock.advance(3_599_999);
    assert.equal(await scheduler.runDue(), 0);
    clock.advance(1);
    assert.equal(await scheduler.runDue(), 1);
    assert.equal(await scheduler.runDue(), 0);
    assert.deepEqual(seen, [[7, 1]]);
    const row = await job(id);
    assert.equal(row.state, JobState.DONE);
    assert.equal(row.attempts, 1);
    assert.equal(row.lockedUntil, null);
  });

  it('schedules a key once per kind, also when two transactions race for it', async () => {
    let runs = 0;
    const name = kind(async () => {
      runs++;
    });
    const first = await schedule(name, { a: 1 }, 'order-1');
    assert.equal(await schedule(name, { a: 2 }, 'order-1'), first);
    const raced = await Promise.all(Array.from({ length: 5 }, () => schedule(name, {}, 'order-2')));
    assert.equal(new Set(raced).size, 1);
    await scheduler.runDue();
    assert.equal(runs, 2);
    assert.deepEqual((await job(first)).payload, { a: 1 });
  });

  it('leaves nothing behind when the scheduling transaction rolls back', async () => {
    const name = kind(async () => assert.fail('must not run'));
    await assert.rejects(
      server.app.services.db.transaction(async (tx) => {
        await scheduler.schedule(tx, { kind: name, runAt: clock.now(), payload: {} });
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    assert.equal(await scheduler.runDue(), 0);
  });

  it('refuses a kind nobody handles', async () => {
    await assert.rejects(schedule('test.nobody'), /no handler is registered/);
  });

  it('retries a failing job with backoff, recording the error, and fails it after its attempts', async () => {
    const attempts: number[] = [];
    const name = kind(
      async (_payload, run) => {
        attempts.push(run.attempt);
        throw new Error(`boom ${run.attempt}`);
      },
      { maxAttempts: 3, retry: { baseMs: 1000, capMs: 1000 } },
    );
    const id = await schedule(name);
    assert.equal(await scheduler.runDue(), 1);
    let row = await job(id);
    assert.equal(row.state, JobState.PENDING);
    assert.equal(row.lastError, 'Error: boom 1');
    const wait = row.runAt.getTime() - clock.now().getTime();
    assert.ok(wait >= 1 && wait <= 1000, `retry after ${wait} ms`);

    clock.advance(1000);
    await scheduler.runDue();
    clock.advance(1000);
    await scheduler.runDue();
    clock.advance(60_000);
    await scheduler.runDue();
    row = await job(id);
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.equal(row.state, JobState.FAILED);
    assert.equal(row.attempts, 3);
    assert.equal(row.lastError, 'Error: boom 3');
  });

  it('keeps retrying through a long outage by default: a job that fails 15 times in a row still runs', async () => {
    let runs = 0;
    const name = kind(async () => {
      runs += 1;
      if (runs <= 15) throw new Error('database unreachable');
    });
    const id = await schedule(name);
    for (let round = 0; round < 16; round++) {
      await scheduler.runDue();
      const row = await job(id);
      if (row.state !== JobState.PENDING) break;
      clock.set(row.runAt);
    }
    const row = await job(id);
    assert.equal(runs, 16);
    assert.equal(row.state, JobState.DONE);
    assert.equal(row.attempts, 16);
  });

  it('claims again a job whose instance died mid-run, once its lease ran out', async () => {
    const runs: number[] = [];
    const name = kind(
      async (_payload, run) => {
        runs.push(run.attempt);
      },
      { leaseMs: 30_000, maxAttempts: 2 },
    );
    const id = await schedule(name);
    const other = await schedule(name);
    // As another instance would have claimed them, before it died: running, leased for 30 s.
    const em = server.app.services.db.reader();
    const lease = { state: JobState.RUNNING, lockedUntil: new Date(clock.now().getTime() + 30_000) };
    await em.nativeUpdate(ScheduledJob, { id }, { ...lease, attempts: 1 });
    await em.nativeUpdate(ScheduledJob, { id: other }, { ...lease, attempts: 2 });

    assert.equal(await scheduler.runDue(), 0, 'a held lease is respected');
    clock.advance(30_001);
    assert.equal(await scheduler.runDue(), 1);
    assert.deepEqual(runs, [2]);
    const row = await job(id);
    assert.equal(row.state, JobState.DONE);
    assert.equal(row.attempts, 2);
    // The one that died on its last allowed attempt is failed, not run a third time.
    const exhausted = await job(other);
    assert.equal(exhausted.state, JobState.FAILED);
    assert.match(exhausted.lastError!, /lease/);
  });

  it('keeps the outcome of the run that holds the claim when an older run finishes late', async () => {
    let runs = 0;
    // A second scheduler on the same database stands for another instance.
    const rival = new Scheduler(server.app.services.db, clock, server.app.log, { pollMs: QUIET.schedulerPollMs });
    const handler = async (_payload: unknown, run: { attempt: number }) => {
      runs++;
      if (run.attempt === 1) {
        // This run outlives its lease; meanwhile the other instance claims the job and completes it.
        clock.advance(60_001);
        assert.equal(await rival.runDue(), 1);
        throw new Error('late failure');
      }
    };
    const name = kind(handler, { leaseMs: 60_000 });
    rival.register(name, handler, { leaseMs: 60_000 });
    const id = await schedule(name);
    await scheduler.runDue();
    assert.equal(runs, 2);
    const row = await job(id);
    assert.equal(row.state, JobState.DONE, 'the late failure did not overwrite the success');
    assert.equal(row.attempts, 2);
  });
});

describe('two schedulers sharing one database', () => {
  const JOBS = 200;

  it(`run each of ${JOBS} jobs exactly once between them`, async (t) => {
    const database = await createTestDatabase();
    const a = await startServer({ database, config: { schedulerPollMs: 10 } });
    const b = await startServer({ database, config: { schedulerPollMs: 10 } });
    try {
      const ranBy = new Map<string, string[]>();
      for (const [name, server] of [['a', a], ['b', b]] as const) {
        server.app.services.scheduler.register('test.count', async (_payload, run) => {
          ranBy.set(run.id, [...(ranBy.get(run.id) ?? []), name]);
        });
      }
      const started = Date.now();
      const ids = await a.app.services.db.transaction(async (tx) => {
        const out: string[] = [];
        for (let i = 0; i < JOBS; i++) out.push(await a.app.services.scheduler.schedule(tx, { kind: 'test.count', runAt: new Date(), payload: { i } }));
        return out;
      });
      await Promise.all([a.app.services.scheduler.runDue(), b.app.services.scheduler.runDue(), a.app.services.scheduler.runDue(), b.app.services.scheduler.runDue()]);
      const deadline = Date.now() + 10_000;
      while (ranBy.size < JOBS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const elapsed = Date.now() - started;
      await new Promise((r) => setTimeout(r, 300));

      assert.equal(ranBy.size, JOBS);
      for (const id of ids) assert.equal(ranBy.get(id)?.length, 1, `${id} ran ${JSON.stringify(ranBy.get(id))}`);
      const byA = [...ranBy.values()].filter((r) => r[0] === 'a').length;
      t.diagnostic(`${JOBS} jobs in ${elapsed} ms: ${byA} run by one instance, ${JOBS - byA} by the other, none twice`);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});
