import { createPubSub } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import Redis from 'ioredis';
import type { PublishedEvent } from './event-recorder';

export type Topics = {
  /** Events of one payment, routed by payment id. */
  PAYMENT_EVENT: [paymentId: string, event: PublishedEvent];
  /** Payment events of every payment an account takes part in, routed by account id. */
  ACCOUNT_PAYMENT_EVENT: [accountId: string, event: PublishedEvent];
  /** Every payment event of the platform, for the operator's dashboard: one routing key, PAYMENT_FEED_KEY. */
  PAYMENT_FEED: [key: string, event: PublishedEvent];
  /** Balance changes of one account, routed by account id. */
  ACCOUNT_BALANCE: [accountId: string, event: PublishedEvent];
};

export type Topic = keyof Topics;

/** The subscribing side, for resolvers. */
export interface EventSubscriber {
  subscribe(topic: Topic, id: string): AsyncIterable<PublishedEvent>;
}

/** Access tokens that stopped working: single tokens, or every token of a consent (its family). */
export interface TokenRevocation {
  tokenIds: string[];
  familyIds: string[];
}

/** One channel that every instance listens to, so that a revocation on one reaches them all. */
export interface RevocationChannel {
  /** Resolves once the broker took the message. */
  publish(revocation: TokenRevocation): Promise<void>;
  listen(listener: (revocation: TokenRevocation) => void): void;
}

export interface PubSubHandle {
  subscriber: EventSubscriber;
  revocations: RevocationChannel;
  /** Resolves once the broker took the event, rejects when it did not (the outbox then retries). */
  publish(topic: Topic, id: string, event: PublishedEvent): Promise<void>;
  /** Resolves when the broker answers (readiness); in-process pub/sub always does. */
  ping(): Promise<void>;
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
    const listeners = new Set<(revocation: TokenRevocation) => void>();
    return {
      revocations: {
        publish: async (revocation) => listeners.forEach((listener) => listener(revocation)),
        listen: (listener) => void listeners.add(listener),
      },
      subscriber: { subscribe: (topic, id) => (pubSub.subscribe as unknown as Subscribe)(topic, id) },
      publish: async (topic, id, event) => (pubSub.publish as (t: string, i: string, e: PublishedEvent) => void)(topic, id, event),
      ping: async () => {},
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
  const revocationChannel = `${prefix}:TOKEN_REVOKED`;
  return {
    revocations: {
      publish: async (revocation) => {
        await publishClient.publish(revocationChannel, JSON.stringify(revocation));
      },
      listen: (listener) => {
        void subscribeClient.subscribe(revocationChannel);
        subscribeClient.on('message', (channel: string, message: string) => {
          if (channel !== revocationChannel) return;
          try {
            const { tokenIds, familyIds } = JSON.parse(message) as Partial<TokenRevocation>;
            listener({ tokenIds: Array.isArray(tokenIds) ? tokenIds.map(String) : [], familyIds: Array.isArray(familyIds) ? familyIds.map(String) : [] });
          } catch (error) {
            onError(error, 'revocation message');
          }
        });
      },
    },
    subscriber: { subscribe: (topic, id) => (pubSub.subscribe as unknown as Subscribe)(`${prefix}:${topic}`, id) },
    // Published directly rather than through the event target, so that a failure is seen and retried.
    publish: async (topic, id, event) => {
      await publishClient.publish(`${prefix}:${topic}:${id}`, JSON.stringify(event));
    },
    ping: async () => {
      await publishClient.ping();
    },
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
