import Redis from 'ioredis';
import { Fanout } from './fanout';
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

/**
 * The subscribers of one instance, by channel: one fan-out per channel, made with its first
 * subscriber (`listen`) and dropped with its last (`unlisten`), so that the broker is asked once per
 * channel whatever the number of subscribers. A published event is the same object for all of them.
 */
class SubscriberHub {
  private readonly channels = new Map<string, Fanout<PublishedEvent>>();

  constructor(
    private readonly listen: (channel: string) => void = () => {},
    private readonly unlisten: (channel: string) => void = () => {},
  ) {}

  subscribe(channel: string): AsyncIterable<PublishedEvent> {
    let fanout = this.channels.get(channel);
    if (!fanout) {
      fanout = new Fanout(() => {
        this.channels.delete(channel);
        this.unlisten(channel);
      });
      this.channels.set(channel, fanout);
      this.listen(channel);
    }
    return fanout.subscribe();
  }

  listens(channel: string): boolean {
    return this.channels.has(channel);
  }

  publish(channel: string, event: PublishedEvent): void {
    this.channels.get(channel)?.publish(event);
  }
}

/**
 * In-process by default; over Redis when a URL is given, so that a subscriber on one instance sees
 * what another instance published. Channels are `${prefix}:${topic}:${id}`; `prefix` keeps several
 * deployments (or test runs) on one Redis apart.
 */
export function createPaygridPubSub(redisUrl?: string, prefix = 'paygrid', onError: (error: unknown, what: string) => void = () => {}): PubSubHandle {
  const channelOf = (topic: Topic, id: string) => `${prefix}:${topic}:${id}`;
  if (!redisUrl) {
    const hub = new SubscriberHub();
    const listeners = new Set<(revocation: TokenRevocation) => void>();
    return {
      revocations: {
        publish: async (revocation) => listeners.forEach((listener) => listener(revocation)),
        listen: (listener) => void listeners.add(listener),
      },
      subscriber: { subscribe: (topic, id) => hub.subscribe(channelOf(topic, id)) },
      publish: async (topic, id, event) => hub.publish(channelOf(topic, id), event),
      ping: async () => {},
      close: async () => {},
    };
  }
  // Auto-pipelining sends the outbox's concurrent publishes in one write.
  const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 3, enableAutoPipelining: true });
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  publishClient.on('error', (error) => onError(error, 'publish connection'));
  subscribeClient.on('error', (error) => onError(error, 'subscribe connection'));
  const hub = new SubscriberHub(
    (channel) => void subscribeClient.subscribe(channel).catch((error: unknown) => onError(error, 'subscribe')),
    (channel) => void subscribeClient.unsubscribe(channel).catch((error: unknown) => onError(error, 'unsubscribe')),
  );
  const revocationChannel = `${prefix}:TOKEN_REVOKED`;
  const revocationListeners = new Set<(revocation: TokenRevocation) => void>();
  subscribeClient.on('message', (channel: string, message: string) => {
    if (channel === revocationChannel) {
      try {
        const { tokenIds, familyIds } = JSON.parse(message) as Partial<TokenRevocation>;
        const revocation = { tokenIds: Array.isArray(tokenIds) ? tokenIds.map(String) : [], familyIds: Array.isArray(familyIds) ? familyIds.map(String) : [] };
        revocationListeners.forEach((listener) => listener(revocation));
      } catch (error) {
        onError(error, 'revocation message');
      }
      return;
    }
    if (!hub.listens(channel)) return;
    let event: PublishedEvent;
    try {
      event = JSON.parse(message) as PublishedEvent;
    } catch (error) {
      onError(error, 'event message');
      return;
    }
    hub.publish(channel, event);
  });
  return {
    revocations: {
      publish: async (revocation) => {
        await publishClient.publish(revocationChannel, JSON.stringify(revocation));
      },
      listen: (listener) => {
        if (!revocationListeners.size) void subscribeClient.subscribe(revocationChannel).catch((error: unknown) => onError(error, 'subscribe'));
        revocationListeners.add(listener);
      },
    },
    subscriber: { subscribe: (topic, id) => hub.subscribe(channelOf(topic, id)) },
    publish: async (topic, id, event) => {
      await publishClient.publish(channelOf(topic, id), JSON.stringify(event));
    },
    ping: async () => {
      await publishClient.ping();
    },
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
