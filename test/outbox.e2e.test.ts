import 'reflect-metadata';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Logger } from '../src/shared/logger';
import { DomainEvent } from '../src/events/event.entity';
import { recordBalanceEvent, type PublishedEvent } from '../src/events/event-recorder';
import { OutboxDispatcher } from '../src/events/outbox';
import { Database } from '../src/persistence/database';
import { databaseKind, openDatabase } from '../src/persistence/orm';
import { createTestDatabase, type TestDatabase } from './support/server';

const quietLog = { error: () => {}, warn: () => {}, info: () => {} } as unknown as Logger;

/** A broker whose behaviour a test switches: take events, refuse them, or never answer. */
class Broker {
  mode: 'take' | 'refuse' | 'hang' = 'take';
  readonly taken: PublishedEvent[] = [];
  async publish(_topic: string, _id: string, event: PublishedEvent): Promise<void> {
    if (this.mode === 'refuse') throw new Error('broker down');
    if (this.mode === 'hang') return new Promise(() => {});
    this.taken.push(event);
  }
}

describe('the outbox', () => {
  let database: TestDatabase;
  let db: Database;
  let n = 0;

  before(async () => {
    database = await createTestDatabase();
    const { orm } = await openDatabase({ databaseUrl: database.url });
    db = new Database(orm, databaseKind(database.url));
  });
  after(async () => {
    await db.orm.close();
    await database.drop();
  });

  /** Commits one balance event of a made-up account and returns its id. */
  async function commitEvent(): Promise<number> {
    const event = await db.transaction(async (tx) =>
      recordBalanceEvent(tx, { id: `acct_outbox_${++n}`, clientId: null, assetCode: 'EUR', assetScale: 2, posted: 1n, reserved: 0n, balanceVersion: 1 }, []),
    );
    return event.id;
  }

  const publishedAt = async (id: number) => (await db.reader().findOneOrFail(DomainEvent, id)).publishedAt;

  it('publishes a commit from memory and marks it published only once the broker took it', async () => {
    const broker = new Broker();
    const outbox = new OutboxDispatcher(db, broker, quietLog);
    const listener = (events: DomainEvent[]) => outbox.dispatch(events);
    db.onCommitted(listener);
    try {
      broker.mode = 'hang';
      const waiting = await commitEvent();
      await sleep(500);
      assert.equal(await publishedAt(waiting), null, 'marked published while the broker had not taken it: a crash now would lose it');

      broker.mode = 'take';
      const taken = await commitEvent();
      await sleep(1200);
      assert.deepEqual(broker.taken.map((e) => e.id), [taken]);
      assert.ok(await publishedAt(taken), 'not marked on its own once no transaction came to carry the mark');
    } finally {
      // Not stopped: stop() waits for publications, and the broker never answers the first one.
      db.offCommitted(listener);
    }
  });

  it('marks published events in the next business transaction, and again alone when that one rolls back', async () => {
    const outbox = new OutboxDispatcher(db, new Broker(), quietLog);
    const listener = (events: DomainEvent[]) => outbox.dispatch(events);
    db.onCommitted(listener);
    const commits: string[] = [];
    db.orm.em.getEventManager().registerSubscriber({ afterTransactionCommit: () => void commits.push('commit') });
    try {
      const first = await commitEvent();
      await sleep(50);
      assert.equal(await publishedAt(first), null);
      commits.length = 0;
      const second = await commitEvent();
      assert.ok(await publishedAt(first), "the first event's mark did not ride in the second event's transaction");
      assert.equal(commits.length, 1, 'the mark took a commit of its own');

      await sleep(600);
      // The mark boards once the work is done; the transaction then fails at its flush (an event with no aggregate).
      await assert.rejects(
        db.transaction(async (tx) => {
          recordBalanceEvent(tx, { id: null as unknown as string, clientId: null, assetCode: 'EUR', assetScale: 2, posted: 1n, reserved: 0n, balanceVersion: 1 }, []);
        }),
      );
      assert.equal(await publishedAt(second), null, 'a mark in a rolled-back transaction was taken as done');
      await sleep(1200);
      assert.ok(await publishedAt(second), 'the mark lost with the rolled-back transaction was never made');
    } finally {
      db.offCommitted(listener);
      await outbox.stop();
    }
  });

  it('publishes again what the broker refused or a crash left behind, once across instances', async () => {
    const refusing = new Broker();
    refusing.mode = 'refuse';
    const writer = new OutboxDispatcher(db, refusing, quietLog);
    const listener = (events: DomainEvent[]) => writer.dispatch(events);
    db.onCommitted(listener);
    const refused = await commitEvent();
    db.offCommitted(listener);
    await writer.stop();
    // Committed, and the instance died before it could publish.
    const lost = await commitEvent();
    assert.equal(await publishedAt(refused), null);
    assert.equal(await publishedAt(lost), null);

    const brokers = [new Broker(), new Broker()];
    const sweepers = brokers.map((b) => new OutboxDispatcher(db, b, quietLog));
    sweepers.forEach((s) => s.start());
    try {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (!(await publishedAt(refused)) || !(await publishedAt(lost)))) await sleep(200);
      // A second sweep round would republish whatever a sweeper took twice.
      await sleep(1500);
      const ids = brokers.flatMap((b) => b.taken.map((e) => e.id)).filter((id) => id === refused || id === lost).sort();
      assert.deepEqual(ids, [refused, lost].sort());
      assert.ok(await publishedAt(refused));
      assert.ok(await publishedAt(lost));
    } finally {
      await Promise.all(sweepers.map((s) => s.stop()));
    }
  });
});
