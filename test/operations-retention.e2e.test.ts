import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DomainEvent } from '../src/events/event.entity';
import { JobState, ScheduledJob } from '../src/jobs/scheduled-job.entity';
import { LedgerEntry } from '../src/ledger/entry.entity';
import { AccessToken } from '../src/oauth/access-token.entity';
import { RETENTION_JOB } from '../src/operations/retention';
import { IdempotencyRecord } from '../src/shared/idempotency/idempotency-record.entity';
import { ManualClock } from '../src/shared/clock';
import { createPayment, fund, openAccount, step } from './support/flows';
import { startServer, type TestServer } from './support/server';

const DAY = 86_400_000;

describe('retention', () => {
  let server: TestServer;
  let clock: ManualClock;

  before(async () => {
    clock = new ManualClock();
    server = await startServer({ clock, config: { schedulerPollMs: 3_600_000, retentionDays: 30, idempotencyRetentionDays: 7, retentionIntervalMinutes: 60 } });
  });
  after(() => server.close());

  it('a sweep is scheduled once per interval slot, whichever instance asks', async () => {
    const em = server.app.services.db.reader();
    const pending = await em.find(ScheduledJob, { kind: RETENTION_JOB, state: JobState.PENDING });
    assert.equal(pending.length, 1);
    assert.ok(pending[0].runAt.getTime() > clock.now().getTime());
    assert.ok(pending[0].runAt.getTime() - clock.now().getTime() <= 3_600_000);
  });

  it('deletes expired tokens, finished jobs and idempotency records past their window, keeps events and ledger entries, and schedules the next sweep', async () => {
    const merchant = await server.client();
    const operator = await server.operator();
    const buyer = await openAccount(server, merchant);
    const seller = await openAccount(server, merchant);
    await fund(server, operator, buyer, '10.00');
    const { payment } = await createPayment(server, merchant, { accountId: buyer, sellerId: seller, requestId: 'kept-1' });
    await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '2.00' });
    await step(server, merchant, 'authorizePayment', { paymentId: payment.id });
    await step(server, merchant, 'executePayment', { paymentId: payment.id });
    const em = () => server.app.services.db.reader();
    const counts = async () => ({
      tokens: await em().count(AccessToken, {}),
      idempotency: await em().count(IdempotencyRecord, {}),
      events: await em().count(DomainEvent, {}),
      entries: await em().count(LedgerEntry, {}),
    });
    const before = await counts();
    assert.ok(before.tokens >= 2 && before.idempotency >= 1);

    // Eight days on: idempotency records are past their 7-day window; tokens (expired) are within 30 days.
    clock.advance(8 * DAY);
    await server.app.services.scheduler.runDue();
    const mid = await counts();
    assert.equal(mid.idempotency, 0);
    assert.equal(mid.tokens, before.tokens);

    // Thirty-one days on: the expired tokens go too; events and ledger entries stay.
    clock.advance(23 * DAY);
    await server.app.services.scheduler.runDue();
    const late = await counts();
    assert.equal(late.tokens, 0);
    assert.equal(late.events, before.events);
    assert.equal(late.entries, before.entries);
    const next = await em().find(ScheduledJob, { kind: RETENTION_JOB, state: JobState.PENDING });
    assert.equal(next.length, 1);
    assert.ok(next[0].runAt.getTime() > clock.now().getTime());
  });
});
