import { createPubSub } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import Redis from 'ioredis';
import type { PublishedEvent } from './event-recorder';

export type Topics = {
  /** Events of one payment, routed by payment id. */
  PAYMENT_EVENT: [paymentId: string, event: PublishedEvent];
  /** Payment events of every payment an account takes part in, routed by account id. */
  ACCOUNT_PAYMENT_EVENT: [accountId: string, event: PublishedEvent];
  /** Balance changes of one account, routed by account id. */
  ACCOUNT_BALANCE: [accountId: string, event: PublishedEvent];
};

export type Topic = keyof Topics;

/** The subscribing side, for resolvers. */
export interface EventSubscriber {
  subscribe(topic: Topic, id: string): AsyncIterable<PublishedEvent>;
}

export interface PubSubHandle {
  subscriber: EventSubscriber;
  /** Resolves once the broker took the event, rejects when it did not (the outbox then retries). */
  publish(topic: Topic, id: string, event: PublishedEvent): Promise<void>;
  close(): Promise<void>;
}

type Subscribe = (routingKey: string, id: string) => AsyncIterable<PublishedEvent>;

/**
 * In-process by default; over Redis when a URL is given, so that a subscriber on one instance sees
 * what another instance published. Channels are `${prefix}:${topic}:${id}`; `prefix` keeps several
 * deployments (or test runs) on one Redis apart.
 */
export function createPaygridPubSub(redisUrl?: string, prefix = 'paygrid', onError: (error: unknown, what: string) => void = () => {}): PubSubHandle {
  if (!redisUrl) {
    const pubSub = createPubSub<Topics>();
    return {
      subscriber: { subscribe: (topic, id) => (pubSub.subscribe as unknown as Subscribe)(topic, id) },
      publish: async (topic, id, event) => (pubSub.publish as (t: string, i: string, e: PublishedEvent) => void)(topic, id, event),
      close: async () => {},
    };
  }
  const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  publishClient.on('error', (error) => onError(error, 'publish connection'));
  subscribeClient.on('error', (error) => onError(error, 'subscribe connection'));
  // The event target fires SUBSCRIBE/UNSUBSCRIBE without awaiting them: catch what they reject with.
  for (const method of ['subscribe', 'unsubscribe'] as const) {
    const original = (subscribeClient[method] as (...args: unknown[]) => Promise<unknown>).bind(subscribeClient);
    (subscribeClient as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
      original(...args).catch((error: unknown) => onError(error, method));
  }
  const pubSub = createPubSub<Topics>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) });
  return {
    subscriber: { subscribe: (topic, id) => (pubSub.subscribe as unknown as Subscribe)(`${prefix}:${topic}`, id) },
    // Published directly rather than through the event target, so that a failure is seen and retried.
    publish: async (topic, id, event) => {
      await publishClient.publish(`${prefix}:${topic}:${id}`, JSON.stringify(event));
    },
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
