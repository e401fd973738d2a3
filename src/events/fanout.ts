import { ErrorCode, PaygridError } from '../shared/errors';

/** How far a subscriber may fall behind before it is ended: beyond it, memory would grow without bound. */
export const MAX_EVENTS_BEHIND = 10_000;
/** Subscribers handed an event per turn of the event loop, so that a large fan-out leaves the mutations room. */
const SUBSCRIBERS_PER_TURN = 100;

/**
 * One stream of values handed to many subscribers, each with its own small queue: a value is
 * queued for every subscriber in chunks of SUBSCRIBERS_PER_TURN with `setImmediate` between them,
 * values in the order they were published. `onIdle` is called once, when the last subscriber left.
 */
export class Fanout<T> {
  private readonly queues = new Set<SubscriberQueue<T>>();
  private pending: T[] = [];
  private dispatching = false;
  private ending: { error?: unknown } | null = null;

  constructor(private readonly onIdle: () => void) {}

  /** Ended, or left by its last subscriber: it takes no more. */
  get ended(): boolean {
    return this.ending !== null;
  }

  /**
   * A stream of what is published from now on; `return()` leaves. `refusal` is the subscriber's own
   * check, run as values are handed to it: an error it returns ends the stream with it, what was
   * queued unread dropped.
   */
  subscribe(refusal: () => unknown = () => undefined): AsyncIterableIterator<T> {
    const queue = new SubscriberQueue<T>(() => this.leave(queue), refusal);
    if (this.ending && !this.dispatching) queue.close(this.ending.error);
    else this.queues.add(queue);
    return queue;
  }

  publish(value: T): void {
    if (this.ending) return;
    this.pending.push(value);
    if (!this.dispatching) void this.dispatch();
  }

  /** Ends every stream once what was published before is queued: done, or failing with `error`. */
  end(error?: unknown): void {
    this.ending ??= { error };
    if (!this.dispatching) this.closeAll();
  }

  private async dispatch(): Promise<void> {
    this.dispatching = true;
    while (this.pending.length) {
      const values = this.pending;
      this.pending = [];
      const queues = [...this.queues];
      for (let from = 0; from < queues.length; from += SUBSCRIBERS_PER_TURN) {
        if (from) await new Promise<void>((resolve) => setImmediate(resolve));
        for (let i = from; i < Math.min(from + SUBSCRIBERS_PER_TURN, queues.length); i++) queues[i].push(values);
      }
    }
    this.dispatching = false;
    if (this.ending) this.closeAll();
  }

  private closeAll(): void {
    for (const queue of [...this.queues]) queue.close(this.ending!.error);
  }

  private leave(queue: SubscriberQueue<T>): void {
    if (!this.queues.delete(queue) || this.queues.size) return;
    this.ending ??= {};
    this.onIdle();
  }
}

/** One subscriber's queue and the stream that reads it. */
class SubscriberQueue<T> implements AsyncIterableIterator<T> {
  private buffered: T[] = [];
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | null = null;
  private closed: { error?: unknown } | null = null;

  constructor(
    private readonly leave: () => void,
    private readonly refusal: () => unknown,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  push(values: readonly T[]): void {
    if (this.closed) return;
    const refused = this.refusal();
    if (refused) return this.fail(refused);
    let from = 0;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: values[from++], done: false });
    }
    // What is queued is dropped at once: the subscriber catches up from the event history.
    if (this.buffered.length + values.length - from > MAX_EVENTS_BEHIND) return this.fail(new PaygridError(ErrorCode.SUBSCRIBER_TOO_SLOW));
    for (let i = from; i < values.length; i++) this.buffered.push(values[i]);
  }

  private fail(error: unknown): void {
    this.buffered = [];
    this.close(error);
  }

  /** No more values: what is queued is still read, then the stream is done or fails with `error`. */
  close(error?: unknown): void {
    if (this.closed) return;
    this.closed = { error };
    this.leave();
    if (this.waiting && !this.buffered.length) this.settle();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length) return Promise.resolve({ value: this.buffered.shift()!, done: false });
    if (this.closed) return this.finish();
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.buffered = [];
    this.close();
    this.closed = {};
    if (this.waiting) this.settle();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(error);
  }

  private settle(): void {
    const { resolve, reject } = this.waiting!;
    this.waiting = null;
    this.finish().then(resolve, reject);
  }

  /** The end, told once: a failure is thrown by the first read after the queue, later reads are done. */
  private finish(): Promise<IteratorResult<T>> {
    const { error } = this.closed!;
    this.closed = {};
    return error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error);
  }
}
