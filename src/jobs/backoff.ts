/**
 * Exponential backoff with equal jitter, the one retry schedule of Paygrid. Retry `n` (1 for the
 * first retry) has a window of `baseMs · 2^(n-1)`, never wider than `capMs`, and waits a uniformly
 * random time within its upper half: never at once after a failure, and the many retries a failure
 * causes at once spread out instead of returning together.
 */
export interface BackoffPolicy {
  /** Width of the first retry window. */
  baseMs: number;
  /** No window is wider than this. */
  capMs: number;
}

export type Random = () => number;

/** Width of retry window `n` (1-based). */
export function retryWindowMs(policy: BackoffPolicy, n: number): number {
  // 2^(n-1) overflows to Infinity for large n, which the cap then bounds.
  return Math.min(policy.baseMs * 2 ** (n - 1), policy.capMs);
}

/** Where the windows of retries 1…`retries` end when laid end to end: the span of a whole schedule. */
export function scheduleSpanMs(policy: BackoffPolicy, retries: number): number {
  let span = 0;
  for (let n = 1; n <= retries; n++) span += retryWindowMs(policy, n);
  return span;
}

/**
 * How long retry `n` waits from now: a uniformly random time within the upper half of its window
 * ("equal jitter"), so a failing endpoint is never retried at once, while retries still spread out.
 */
export function retryDelayMs(policy: BackoffPolicy, n: number, random: Random = Math.random): number {
  const window = retryWindowMs(policy, n);
  return Math.max(1, Math.floor(window / 2 + (random() * window) / 2));
}

/**
 * When retry `n` of a schedule that started at `anchor` is due. The windows are laid end to end from
 * the anchor and the retry falls at a uniformly random instant of the upper half of its own window, so the jitter of one
 * retry does not push the next ones later: the last retry comes within the last window before the
 * schedule's span, whatever the draws. A retry whose instant has already passed (the previous attempt
 * ran late, or no instance was up) waits from now as `retryDelayMs` says, rather than firing at once.
 */
export function anchoredRetryAt(policy: BackoffPolicy, anchor: Date, n: number, now: Date, random: Random = Math.random): Date {
  const draw = random();
  const window = retryWindowMs(policy, n);
  const due = anchor.getTime() + scheduleSpanMs(policy, n - 1) + Math.floor(window / 2 + (draw * window) / 2);
  if (due > now.getTime()) return new Date(due);
  return new Date(now.getTime() + retryDelayMs(policy, n, () => draw));
}
