import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConcurrencyLimit, QueueFull } from './concurrency-limit';

/** A piece of work the test finishes by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimit', () => {
  it('runs at most maxActive at once, queues up to maxQueued in order, and refuses the rest at once', async () => {
    const limit = new ConcurrencyLimit('test', 2, 3);
    const gates = Array.from({ length: 6 }, gate);
    const order: number[] = [];
    let running = 0;
    let most = 0;
    const runs = gates.map((g, i) =>
      limit.run(async () => {
        order.push(i);
        running++;
        most = Math.max(most, running);
        await g.promise;
        running--;
        return i;
      }),
    );
    const sixth = runs[5].then(() => null, (error: unknown) => error);
    await tick();
    assert.deepEqual(order, [0, 1]);
    assert.equal(limit.running, 2);
    assert.equal(limit.queued, 3);
    assert.ok((await sixth) instanceof QueueFull, 'the sixth finds two running and three waiting');

    gates[1].open();
    await tick();
    assert.deepEqual(order, [0, 1, 2], 'a finished run hands its slot to the first in line');
    for (const g of gates) g.open();
    assert.deepEqual(await Promise.all(runs.slice(0, 5)), [0, 1, 2, 3, 4]);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    assert.equal(most, 2);
    assert.equal(limit.started, 5);
    assert.equal(limit.running, 0);
    assert.equal(limit.queued, 0);
  });

  it('frees the slot of a run that fails', async () => {
    const limit = new ConcurrencyLimit('test', 1, 0);
    await assert.rejects(limit.run(async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(limit.running, 0);
    assert.equal(await limit.run(async () => 'next'), 'next');
  });

  it('with no queue, refuses the second while the first runs', async () => {
    const limit = new ConcurrencyLimit('test', 1, 0);
    const g = gate();
    const first = limit.run(() => g.promise);
    await assert.rejects(limit.run(async () => undefined), QueueFull);
    g.open();
    await first;
    await limit.run(async () => undefined);
    assert.equal(limit.started, 2);
  });
});
