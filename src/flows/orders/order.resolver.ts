import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { PageArgs } from '../../accounts/account.resolver';
import { connectionOf } from '../../graphql/common.types';
import { PaymentFlow } from '../../payments/payment.entity';
import { payerRequired, principal, requirePrincipal, type Context } from '../../graphql/context';
import { mutate } from '../../graphql/mutation';
import { Scope } from '../../oauth/scopes';
import type { OrderDetails } from './order.entity';
import { CaptureOrderInput, CreateOrderInput, OrderConnection, OrderFilter, OrderPayload, OrderStepInput, OrderView, orderView } from './order.types';

@Resolver(() => OrderView)
export class OrderResolver {
  @Authorized()
  @Query(() => OrderView, { nullable: true, description: 'One of your orders; null if it does not exist or is not yours.' })
  async order(@Arg('id', () => ID, { description: 'Order id, `pay_…`.' }) id: string, @Ctx() ctx: Context): Promise<OrderView | null> {
    return this.read(ctx, id);
  }

  @Authorized()
  @Query(() => OrderConnection, { description: 'Your orders, newest first, narrowed by `filter`.' })
  async orders(
    @Args() page: PageArgs,
    @Ctx() ctx: Context,
    @Arg('filter', () => OrderFilter, { nullable: true, description: 'Status, account and creation time.' }) filter?: OrderFilter | null,
  ): Promise<OrderConnection> {
    const result = await ctx.services.payments.list(principal(ctx), { accountId: filter?.accountId, createdAfter: filter?.createdAfter, createdBefore: filter?.createdBefore, flow: PaymentFlow.ORDER, flowState: filter?.status ?? null }, page);
    const details = new Map<string, OrderDetails>();
    for (const found of await ctx.loaders.orderDetails.loadMany(result.nodes.map((p) => p.id))) {
      if (found instanceof Error) throw found;
      if (found) details.set(found.paymentId, found);
    }
    return connectionOf(result, (p) => orderView(p, details.get(p.id)!, ctx.services.orders.links(p.id)));
  }

  @Mutation(() => OrderPayload, {
    description:
      'Creates an order for the payer who granted your token (authorization code grant, scope orders:write). It waits for the payer’s approval on the `approve` link, unless the payer consented to orders:recurrent.',
  })
  async createOrder(@Arg('input', { description: 'The order.' }) input: CreateOrderInput, @Ctx() ctx: Context): Promise<OrderPayload> {
    const caller = requirePrincipal(ctx, 'Mutation.createOrder');
    if (caller.kind !== 'payer') throw payerRequired();
    const recurrent = caller.scopes.has(Scope.ORDERS_RECURRENT);
    return mutate<OrderPayload>(async () => {
      const { paymentId } = await ctx.services.orders.create({ clientId: caller.clientId, userId: caller.userId, recurrent }, input);
      return { order: await this.read(ctx, paymentId) };
    }, { order: null });
  }

  @Authorized()
  @Mutation(() => OrderPayload, {
    description:
      'Takes an approved order’s money, all that is left or a part: posted to your beneficiary account. The final capture releases the rest of the reservation; the order completes once settled.',
  })
  async captureOrder(@Arg('input', { description: 'The order, and optionally the amount and whether it is the final capture.' }) input: CaptureOrderInput, @Ctx() ctx: Context): Promise<OrderPayload> {
    return mutate<OrderPayload>(async () => {
      await ctx.services.orders.capture(principal(ctx), input.orderId, input.idempotencyKey, { amount: input.amount, final: input.final });
      return { order: await this.read(ctx, input.orderId) };
    }, { order: null });
  }

  @Authorized()
  @Mutation(() => OrderPayload, { description: 'Cancels an order not captured yet; a reservation on the payer’s account is released.' })
  async cancelOrder(@Arg('input', { description: 'The order.' }) input: OrderStepInput, @Ctx() ctx: Context): Promise<OrderPayload> {
    return mutate<OrderPayload>(async () => {
      await ctx.services.orders.cancel(principal(ctx), input.orderId, input.idempotencyKey);
      return { order: await this.read(ctx, input.orderId) };
    }, { order: null });
  }

  private async read(ctx: Context, id: string): Promise<OrderView | null> {
    const payment = await ctx.services.payments.get(principal(ctx), id);
    if (!payment) return null;
    const [order] = await ctx.services.orders.details([id]);
    return order ? orderView(payment, order, ctx.services.orders.links(id)) : null;
  }
}
