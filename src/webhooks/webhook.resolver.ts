import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PageArgs } from '../accounts/account.resolver';
import { connectionOf } from '../graphql/common.types';
import { principal, type Context } from '../graphql/context';
import { mutate } from '../graphql/mutation';
import { WebhookDeliveryState } from './webhook-delivery.entity';
import {
  ResendWebhookDeliveryInput,
  ResendWebhookDeliveryPayload,
  WebhookAttemptView,
  WebhookDeliveryConnection,
  WebhookDeliveryView,
  webhookAttemptView,
  webhookDeliveryView,
} from './webhook.types';

@Resolver(() => WebhookDeliveryView)
export class WebhookResolver {
  @Authorized()
  @Query(() => WebhookDeliveryConnection, { description: 'Webhook deliveries to your endpoints, newest first; an operator holding clients:manage sees every client’s (its dead letters).' })
  async webhookDeliveries(
    @Args() page: PageArgs,
    @Ctx() ctx: Context,
    @Arg('paymentId', () => ID, { nullable: true, description: 'Only deliveries about this payment, `pay_…`.' }) paymentId?: string | null,
    @Arg('state', () => WebhookDeliveryState, { nullable: true, description: 'Only deliveries in this state, e.g. DEAD.' }) state?: WebhookDeliveryState | null,
  ): Promise<WebhookDeliveryConnection> {
    return connectionOf(await ctx.services.webhooks.list(principal(ctx), { paymentId, state }, page), webhookDeliveryView);
  }

  @Authorized()
  @Query(() => WebhookDeliveryView, { nullable: true, description: 'One of your webhook deliveries (an operator holding clients:manage: any client’s); null if it does not exist or is not yours.' })
  async webhookDelivery(@Arg('id', () => ID, { description: 'Delivery id, `whd_…`.' }) id: string, @Ctx() ctx: Context): Promise<WebhookDeliveryView | null> {
    const delivery = await ctx.services.webhooks.get(principal(ctx), id);
    return delivery && webhookDeliveryView(delivery);
  }

  @FieldResolver(() => [WebhookAttemptView], { description: 'The delivery’s attempts, oldest first.' })
  async attempts(@Root() delivery: WebhookDeliveryView, @Ctx() ctx: Context): Promise<WebhookAttemptView[]> {
    return (await ctx.loaders.webhookAttempts.load(delivery.id)).map(webhookAttemptView);
  }

  @Authorized()
  @Mutation(() => ResendWebhookDeliveryPayload, {
    description:
      'Sends a delivered or dead-lettered delivery once more, with the same id and body and fresh signatures: one attempt, due now, without retries. An operator holding clients:manage re-sends any client’s.',
  })
  async resendWebhookDelivery(
    @Arg('input', { description: 'The delivery to send again.' }) input: ResendWebhookDeliveryInput,
    @Ctx() ctx: Context,
  ): Promise<ResendWebhookDeliveryPayload> {
    return mutate<ResendWebhookDeliveryPayload>(
      async () => ({ delivery: webhookDeliveryView(await ctx.services.webhooks.resend(principal(ctx), input.deliveryId)) }),
      { delivery: null },
    );
  }
}
