/** Thrown by `ConcurrencyLimit.run` when every slot is busy and the waiting line is full. */
export class QueueFull extends Error {
  constructor(what: string) {
    super(`${what}: every slot is busy and the queue is full`);
    this.name = 'QueueFull';
  }
}

/**
 * At most `maxActive` runs of some costly work at once in this process; up to `maxQueued` more wait
 * their turn (first come, first served); beyond that, `run` refuses at once with `QueueFull`, so a
 * flood costs a counter check, not memory or threads.
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** How many runs have started since the process started (for tests and metrics). */
  started = 0;

  constructor(
    readonly what: string,
    readonly maxActive: number,
    readonly maxQueued: number,
  ) {
    if (!(maxActive >= 1) || !(maxQueued >= 0)) throw new Error(`${what}: maxActive must be ≥ 1 and maxQueued ≥ 0`);
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.maxActive) {
      this.active++;
    } else {
      if (this.waiting.length >= this.maxQueued) throw new QueueFull(this.what);
      // The slot is handed over by the run that ends: `active` stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.started++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
