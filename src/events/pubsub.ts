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

export type PaygridPubSub = ReturnType<typeof createPubSub<Topics>>;

export interface PubSubHandle {
  pubSub: PaygridPubSub;
  close(): Promise<void>;
}

/**
 * In-process by default; over Redis when a URL is given, so that a subscriber on one instance
 * sees what another instance published. `prefix` keeps several deployments on one Redis apart.
 */
export function createPaygridPubSub(redisUrl?: string, prefix = 'paygrid'): PubSubHandle {
  if (!redisUrl) return { pubSub: createPubSub<Topics>(), close: async () => {} };
  const publishClient = new Redis(redisUrl, { keyPrefix: undefined, lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  const pubSub = createPubSub<Topics>({ eventTarget });
  const prefixed = {
    publish: ((topic: string, ...args: unknown[]) =>
      (pubSub.publish as (t: string, ...a: unknown[]) => void)(`${prefix}:${topic}`, ...args)) as unknown as PaygridPubSub['publish'],
    subscribe: ((topic: string, id?: string) =>
      (pubSub.subscribe as unknown as (t: string, i?: string) => AsyncIterable<unknown>)(`${prefix}:${topic}`, id)) as unknown as PaygridPubSub['subscribe'],
  };
  return {
    pubSub: prefixed,
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
