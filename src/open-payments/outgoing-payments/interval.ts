import { DateTime, Duration } from 'luxon';

export interface IntervalWindow {
  /** `all` for a grant without an interval; otherwise the window's ISO start (UTC). */
  key: string;
  start: Date | null;
  end: Date | null;
}

const WHOLE_GRANT: IntervalWindow = { key: 'all', start: null, end: null };

/**
 * The window of an ISO 8601 repeating interval (`R<n>/<start>/<duration>`, `R<n>/<start>/<end>`,
 * `R<n>/<duration>/<end>`; `R` or `R-1` repeat without end, `R<n>` gives n repetitions after the
 * first window) that holds `now`; null when `now` is outside every window or the interval cannot
 * be read. Spending limits count per window.
 */
export function windowAt(interval: string | undefined | null, now: Date): IntervalWindow | null {
  if (!interval) return WHOLE_GRANT;
  const parts = interval.split('/');
  if (parts.length !== 3) return null;
  const [repeat, a, b] = parts;
  const count = /^R(-1)?$/.test(repeat) ? Infinity : /^R\d{1,9}$/.test(repeat) ? Number(repeat.slice(1)) : NaN;
  if (Number.isNaN(count)) return null;
  const at = DateTime.fromJSDate(now, { zone: 'utc' });
  const backwards = a.startsWith('P');
  const anchor = DateTime.fromISO(backwards ? b : a, { zone: 'utc', setZone: true });
  if (!anchor.isValid) return null;
  let duration: Duration;
  if (backwards) duration = Duration.fromISO(a);
  else if (b.startsWith('P')) duration = Duration.fromISO(b);
  else {
    const end = DateTime.fromISO(b, { zone: 'utc', setZone: true });
    if (!end.isValid || end <= anchor) return null;
    duration = Duration.fromMillis(end.toMillis() - anchor.toMillis());
  }
  const approxMs = duration.isValid ? duration.as('milliseconds') : 0;
  if (!(approxMs > 0)) return null;
  const step = (k: number) => duration.mapUnits((x) => x * k);
  const elapsed = backwards ? anchor.toMillis() - at.toMillis() : at.toMillis() - anchor.toMillis();
  if (backwards ? elapsed <= 0 : elapsed < 0) return null;
  // Calendar units (months) vary in length: start two windows early by the average length, then step.
  for (let k = Math.max(0, Math.floor(elapsed / approxMs) - 2); k <= count; k++) {
    const [start, end] = backwards ? [anchor.minus(step(k + 1)), anchor.minus(step(k))] : [anchor.plus(step(k)), anchor.plus(step(k + 1))];
    if (at >= start && at < end) return { key: start.toUTC().toISO()!, start: start.toJSDate(), end: end.toJSDate() };
    if (!backwards && start > at) return null;
    if (backwards && end <= at) return null;
  }
  return null;
}
