import { test } from 'node:test';
import assert from 'node:assert/strict';
import { windowAt } from './interval';

const at = (iso: string) => new Date(iso);

test('windowAt: no interval is the whole grant', () => {
  assert.deepEqual(windowAt(undefined, at('2026-12-02T00:00:00Z')), { key: 'all', start: null, end: null });
});

test('windowAt: monthly windows from a start, by the calendar', () => {
  const w = windowAt('R/2026-01-31T00:00:00Z/P1M', at('2026-03-30T12:00:00Z'))!;
  // Counted from the start each time (start + k months), so the end of January keeps month ends.
  assert.equal(w.key, '2026-02-28T00:00:00.000Z');
  assert.equal(w.end!.toISOString(), '2026-03-31T00:00:00.000Z');
  assert.equal(windowAt('R/2026-01-01T00:00:00Z/P1M', at('2026-12-02T05:00:00Z'))!.key, '2026-12-01T00:00:00.000Z');
});

test('windowAt: a limited number of repetitions ends', () => {
  assert.equal(windowAt('R1/2026-01-01T00:00:00Z/P1D', at('2026-01-02T10:00:00Z'))!.key, '2026-01-02T00:00:00.000Z');
  assert.equal(windowAt('R1/2026-01-01T00:00:00Z/P1D', at('2026-01-03T10:00:00Z')), null);
  assert.equal(windowAt('R0/2026-01-01T00:00:00Z/P1D', at('2026-01-01T10:00:00Z'))!.key, '2026-01-01T00:00:00.000Z');
});

test('windowAt: before the start there is no window', () => {
  assert.equal(windowAt('R/2027-01-01T00:00:00Z/P1D', at('2026-12-02T00:00:00Z')), null);
});

test('windowAt: start/end and duration/end forms', () => {
  assert.equal(windowAt('R/2026-01-01T00:00:00Z/2026-01-02T00:00:00Z', at('2026-01-05T01:00:00Z'))!.key, '2026-01-05T00:00:00.000Z');
  assert.equal(windowAt('R/P1D/2026-01-10T00:00:00Z', at('2026-01-05T01:00:00Z'))!.key, '2026-01-05T00:00:00.000Z');
  assert.equal(windowAt('R/P1D/2026-01-10T00:00:00Z', at('2026-01-11T01:00:00Z')), null);
});

test('windowAt: unreadable intervals have no window', () => {
  for (const bad of ['P1D', 'X/2026-01-01T00:00:00Z/P1D', 'R/nonsense/P1D', 'R/2026-01-01T00:00:00Z/P0D', 'R/2026-01-02T00:00:00Z/2026-01-01T00:00:00Z']) {
    assert.equal(windowAt(bad, at('2026-01-05T00:00:00Z')), null, bad);
  }
});

test('windowAt: a short step over a long time is found without walking every window', () => {
  assert.equal(windowAt('R/2000-01-01T00:00:00Z/PT1S', at('2026-12-02T05:06:07.5Z'))!.key, '2026-12-02T05:06:07.000Z');
});
