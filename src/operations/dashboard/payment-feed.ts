import type { PubSubHandle } from '../../events/pubsub';

/** The one routing key of the PAYMENT_FEED topic: the feed is not split by anything. */
export const PAYMENT_FEED_KEY = 'all';

/**
 * The broker as the outbox sees it, with every payment event also published to the operator's
 * feed: one more message per payment event, to a channel only operators' dashboards listen to.
 */
export function withPaymentFeed(pubSub: Pick<PubSubHandle, 'publish'>): Pick<PubSubHandle, 'publish'> {
  return {
    publish: async (topic, id, event) => {
      if (topic !== 'PAYMENT_EVENT') return pubSub.publish(topic, id, event);
      await Promise.all([pubSub.publish(topic, id, event), pubSub.publish('PAYMENT_FEED', PAYMENT_FEED_KEY, event)]);
    },
  };
}
