import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import Redis from 'ioredis';
import type { PublishedEvent } from '../src/events/event-recorder';
import { EventAggregate } from '../src/events/event.entity';
import { MAX_EVENTS_BEHIND } from '../src/events/fanout';
import { createPaygridPubSub, type PubSubHandle } from '../src/events/pubsub';
import { ErrorCode, PaygridError } from '../src/shared/errors';

const REDIS_URL = process.env.REDIS_URL;

const paymentEvent = (sequence: number, paymentId = 'pay_1'): PublishedEvent => ({
  id: sequence,
  aggregateType: EventAggregate.PAYMENT,
  aggregateId: paymentId,
  sequence,
  type: 'PAYMENT_CREATED',
  clientId: 'cli_1',
  accountIds: ['acct_1'],
  payload: {},
  occurredAt: new Date().toISOString(),
});

async function take(stream: AsyncIterator<PublishedEvent>, count: number): Promise<PublishedEvent[]> {
  const taken: PublishedEvent[] = [];
  while (taken.length < count) {
    const next = await stream.next();
    assert.equal(next.done, false, 'the stream ended early');
    taken.push(next.value);
  }
  return taken;
}

async function eventually(predicate: () => Promise<boolean>, what: string, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The hub's behaviour, the same in-process and over Redis. */
function behaves(open: () => PubSubHandle, ready: (pubSub: PubSubHandle) => Promise<void>): void {
  it('hands every subscriber of a channel each event once, in order, as one object; other channels get nothing', async () => {
    const pubSub = open();
    try {
      const streams = Array.from({ length: 250 }, () => pubSub.subscriber.subscribe('ACCOUNT_PAYMENT_EVENT', 'acct_1')[Symbol.asyncIterator]());
      const other = pubSub.subscriber.subscribe('ACCOUNT_PAYMENT_EVENT', 'acct_2')[Symbol.asyncIterator]();
      await ready(pubSub);
      for (let sequence = 1; sequence <= 5; sequence++) await pubSub.publish('ACCOUNT_PAYMENT_EVENT', 'acct_1', paymentEvent(sequence));
      const received = await Promise.all(streams.map((stream) => take(stream, 5)));
      for (const events of received) assert.deepEqual(events.map((e) => e.sequence), [1, 2, 3, 4, 5]);
      for (let i = 0; i < 5; i++) assert.ok(received.every((events) => events[i] === received[0][i]), 'one parsed event for all subscribers');
      const nothing = await Promise.race([other.next(), new Promise((resolve) => setTimeout(() => resolve('quiet'), 200))]);
      assert.equal(nothing, 'quiet');
      await Promise.all([...streams, other].map((stream) => stream.return!()));
    } finally {
      await pubSub.close();
    }
  });

  it('gives the event loop turns while it hands an event to many subscribers', async () => {
    const pubSub = open();
    try {
      const streams = Array.from({ length: 250 }, () => pubSub.subscriber.subscribe('PAYMENT_EVENT', 'pay_1')[Symbol.asyncIterator]());
      await ready(pubSub);
      let received = 0;
      let receivedAtTurn = -1;
      const reads = streams.map((stream) => stream.next().then(() => received++));
      // The turn is asked for once the first subscribers have the event: the others get it later.
      const turn = reads[0].then(() => new Promise<void>((resolve) => setImmediate(() => resolve(void (receivedAtTurn = received)))));
      await pubSub.publish('PAYMENT_EVENT', 'pay_1', paymentEvent(1));
      await Promise.all([turn, ...reads]);
      assert.equal(received, 250);
      assert.ok(receivedAtTurn > 0 && receivedAtTurn < 250, `a turn came in between (${receivedAtTurn} of 250 had the event)`);
      await Promise.all(streams.map((stream) => stream.return!()));
    } finally {
      await pubSub.close();
    }
  });

  it(`ends a subscriber more than ${MAX_EVENTS_BEHIND} events behind with SUBSCRIBER_TOO_SLOW; the others keep receiving`, async () => {
    const pubSub = open();
    try {
      const slow = pubSub.subscriber.subscribe('PAYMENT_EVENT', 'pay_1')[Symbol.asyncIterator]();
      const keeping = pubSub.subscriber.subscribe('PAYMENT_EVENT', 'pay_1')[Symbol.asyncIterator]();
      await ready(pubSub);
      const published = MAX_EVENTS_BEHIND + 10;
      const kept = take(keeping, published);
      for (let sequence = 1; sequence <= published; sequence++) await pubSub.publish('PAYMENT_EVENT', 'pay_1', paymentEvent(sequence));
      assert.deepEqual((await kept).map((e) => e.sequence), Array.from({ length: published }, (_, i) => i + 1));
      await assert.rejects(slow.next(), (error: unknown) => error instanceof PaygridError && error.code === ErrorCode.SUBSCRIBER_TOO_SLOW);
      assert.deepEqual(await slow.next(), { value: undefined, done: true });
      await keeping.return!();
    } finally {
      await pubSub.close();
    }
  });
}

describe('subscriber hub, in-process', () => {
  behaves(() => createPaygridPubSub(), async () => {});
});

describe('subscriber hub over Redis', { skip: !REDIS_URL && 'needs REDIS_URL' }, () => {
  const prefixes: string[] = [];
  const open = () => {
    prefixes.push(`test-${randomUUID()}`);
    return createPaygridPubSub(REDIS_URL, prefixes.at(-1));
  };
  /** Waits until the broker holds the instance's subscription of every channel it listens to. */
  const ready = async () => {
    const admin = new Redis(REDIS_URL!);
    try {
      await eventually(async () => ((await admin.pubsub('CHANNELS', `${prefixes.at(-1)}:*`)) as string[]).length > 0, 'the channels are subscribed');
    } finally {
      admin.disconnect();
    }
  };
  behaves(open, ready);

  it('sends one SUBSCRIBE per channel for any number of subscribers, and one UNSUBSCRIBE after the last left', async () => {
    const pubSub = open();
    const channel = `${prefixes.at(-1)}:ACCOUNT_PAYMENT_EVENT:acct_1`;
    const admin = new Redis(REDIS_URL!);
    const monitor = await admin.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[1] === channel) commands.push(args[0].toLowerCase());
    });
    try {
      const streams = Array.from({ length: 500 }, () => pubSub.subscriber.subscribe('ACCOUNT_PAYMENT_EVENT', 'acct_1')[Symbol.asyncIterator]());
      await ready();
      await pubSub.publish('ACCOUNT_PAYMENT_EVENT', 'acct_1', paymentEvent(1));
      await Promise.all(streams.map((stream) => take(stream, 1)));
      await Promise.all(streams.slice(1).map((stream) => stream.return!()));
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(commands, ['subscribe', 'publish'], 'still subscribed while one subscriber is left');
      await streams[0].return!();
      await eventually(async () => commands.length === 3, 'the channel is unsubscribed');
      assert.deepEqual(commands, ['subscribe', 'publish', 'unsubscribe']);
      const again = pubSub.subscriber.subscribe('ACCOUNT_PAYMENT_EVENT', 'acct_1')[Symbol.asyncIterator]();
      await eventually(async () => commands.length === 4, 'the channel is subscribed again');
      assert.equal(commands[3], 'subscribe');
      await again.return!();
    } finally {
      monitor.disconnect();
      admin.disconnect();
      await pubSub.close();
    }
  });
});
