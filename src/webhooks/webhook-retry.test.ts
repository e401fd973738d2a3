import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/config';
import { anchoredRetryAt, retryWindowMs, scheduleSpanMs, type Random } from '../jobs/backoff';
import { webhookRetryPolicy } from './webhook.service';

const DAY = 86_400_000;
const config = loadConfig({});
const policy = webhookRetryPolicy(config.webhookRetryBaseMs);
const retries = config.webhookMaxAttempts - 1;

/** Offsets from the delivery's creation of each retry, when every attempt fails at once. */
function schedule(random: Random): number[] {
  const anchor = new Date('2026-03-01T00:00:00Z');
  const offsets: number[] = [];
  let now = anchor;
  for (let n = 1; n <= retries; n++) {
    now = anchoredRetryAt(policy, anchor, n, now, random);
    offsets.push(now.getTime() - anchor.getTime());
  }
  return offsets;
}

describe('the webhook retry schedule (defaults)', () => {
  it('is 18 attempts over about three days', () => {
    assert.equal(config.webhookMaxAttempts, 18);
    assert.equal(config.webhookRetryBaseMs, 60_000);
    const span = scheduleSpanMs(policy, retries);
    assert.ok(span > 2.9 * DAY && span < 3.1 * DAY, `span ${span / DAY} days`);
  });

  it('backs off exponentially: windows of 1, 2, 4… minutes, then 8 h', () => {
    const minutes = Array.from({ length: retries }, (_, i) => retryWindowMs(policy, i + 1) / 60_000);
    assert.deepEqual(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 480, 480, 480, 480, 480, 480, 480, 480]);
  });

  it('keeps every retry within its window and the last one within 2.6 to 3.1 days, whatever the draws', () => {
    const draws: Random[] = [() => 0, () => 1 - Number.EPSILON, () => 0.5, Math.random];
    for (let i = 0; i < 200; i++) draws.push(Math.random);
    for (const random of draws) {
      const offsets = schedule(random);
      offsets.forEach((offset, i) => {
        const start = scheduleSpanMs(policy, i);
        assert.ok(offset >= start && offset < start + retryWindowMs(policy, i + 1), `retry ${i + 1} at ${offset} ms`);
        if (i > 0) assert.ok(offset > offsets[i - 1], 'retries keep their order');
      });
      const last = offsets[offsets.length - 1];
      assert.ok(last >= 2.6 * DAY && last < 3.1 * DAY, `last retry after ${last / DAY} days`);
    }
  });

  it('spreads deliveries that failed together', () => {
    const firstRetries = new Set(Array.from({ length: 100 }, () => schedule(Math.random)[0]));
    assert.ok(firstRetries.size > 90, `${firstRetries.size} distinct instants for 100 deliveries`);
  });
});
