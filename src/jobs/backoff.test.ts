import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anchoredRetryAt, retryDelayMs, retryWindowMs, scheduleSpanMs } from './backoff';

const policy = { baseMs: 1000, capMs: 10_000 };
const ALMOST_ONE = 1 - Number.EPSILON;

describe('backoff', () => {
  it('doubles each window from the base up to the cap', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 100, 5000].map((n) => retryWindowMs(policy, n)), [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
  });

  it('adds the windows up into the span of a schedule', () => {
    assert.equal(scheduleSpanMs(policy, 0), 0);
    assert.equal(scheduleSpanMs(policy, 1), 1000);
    assert.equal(scheduleSpanMs(policy, 6), 1000 + 2000 + 4000 + 8000 + 10_000 + 10_000);
  });

  it('waits within the upper half of the window (equal jitter): never at once', () => {
    for (const [draw, expected] of [
      [0, 2000],
      [0.5, 3000],
      [ALMOST_ONE, 3999],
    ] as const) {
      assert.equal(retryDelayMs(policy, 3, () => draw), expected);
    }
    for (let i = 0; i < 1000; i++) {
      const delay = retryDelayMs(policy, 4);
      assert.ok(delay >= 4000 && delay < 8000, `delay ${delay}`);
    }
  });

  it('places an anchored retry inside its own window, whatever the draw', () => {
    const anchor = new Date('2026-01-01T00:00:00Z');
    // Retry 3: windows 1 and 2 (3 s) lie before it, its own is 4 s wide; it falls in its upper half.
    assert.equal(anchoredRetryAt(policy, anchor, 3, anchor, () => 0).getTime() - anchor.getTime(), 5000);
    assert.equal(anchoredRetryAt(policy, anchor, 3, anchor, () => ALMOST_ONE).getTime() - anchor.getTime(), 6999);
    for (let i = 0; i < 1000; i++) {
      const offset = anchoredRetryAt(policy, anchor, 3, anchor).getTime() - anchor.getTime();
      assert.ok(offset >= 5000 && offset < 7000, `offset ${offset}`);
    }
  });

  it('waits from now when the anchored instant has already passed', () => {
    const anchor = new Date('2026-01-01T00:00:00Z');
    const now = new Date(anchor.getTime() + 60_000);
    const at = anchoredRetryAt(policy, anchor, 2, now, () => 0.5);
    assert.equal(at.getTime() - now.getTime(), 1500);
  });
});
