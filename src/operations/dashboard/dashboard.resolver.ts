import { Authorized, Ctx, Field, ID, Int, ObjectType, Query, Resolver, Root, Subscription } from 'type-graphql';
import { can } from '../../access';
import { AccountView, accountView } from '../../accounts/account.types';
import type { PublishedEvent } from '../../events/event-recorder';
import { notAllowed, principal, requirePrincipal, type Context } from '../../graphql/context';
import { authorizedStream } from '../../graphql/subscriptions';
import { PaymentFlow, PaymentState } from '../../payments/payment.entity';
import { PaymentEvent, publishedPaymentEventView } from '../../payments/payment.types';
import { PAYMENT_FEED_KEY } from './payment-feed';

@ObjectType({ description: 'How many payments of one flow are in one state.' })
export class PaymentCountView {
  @Field(() => PaymentFlow, { description: 'The flow.' })
  flow!: PaymentFlow;

  @Field(() => PaymentState, { description: 'The unified state.' })
  state!: PaymentState;

  @Field(() => Int, { description: 'Payments of the flow in the state.' })
  count!: number;
}

@ObjectType({ description: 'Scheduled work (webhook attempts, expiries, retries) that is due and not yet run.' })
export class SchedulerBacklogView {
  @Field(() => Int, { description: 'Jobs due now and not yet run: 0 when the scheduler keeps up.' })
  dueJobs!: number;

  @Field(() => Date, { nullable: true, description: 'When the job that has waited longest was due; null when none is.' })
  oldestDueAt!: Date | null;
}

@ObjectType({ description: 'What the operator watches: the platform as the database knows it now.' })
export class OperationsOverviewView {
  @Field(() => [AccountView], { description: 'The settlement accounts (one per asset, one per peer instance) with their balances.' })
  settlementAccounts!: AccountView[];

  @Field(() => [PaymentCountView], { description: 'Payments by flow and state, of every client.' })
  paymentCounts!: PaymentCountView[];

  @Field(() => SchedulerBacklogView, { description: 'The scheduler’s backlog.' })
  schedulerBacklog!: SchedulerBacklogView;
}

@ObjectType({ description: 'A change of any payment of the platform, for the operator’s live list.' })
export class PaymentFeedEvent {
  @Field(() => PaymentEvent, { description: 'The change, as the payment’s own subscription shows it.' })
  event!: PaymentEvent;

  @Field(() => PaymentFlow, { description: 'The payment’s flow.' })
  flow!: PaymentFlow;

  @Field(() => ID, { nullable: true, description: 'The client that created the payment.' })
  clientId!: string | null;
}

@Resolver()
export class DashboardResolver {
  @Authorized()
  @Query(() => OperationsOverviewView, { description: 'Operator: settlement balances, payments by flow and state, and the scheduler’s backlog.' })
  async operationsOverview(@Ctx() ctx: Context): Promise<OperationsOverviewView> {
    if (!can(principal(ctx), 'read', { kind: 'ledger' })) throw notAllowed('Only the operator watches the platform.');
    const { overview } = ctx.services;
    const [accounts, paymentCounts, schedulerBacklog] = [await overview.settlementAccounts(), await overview.paymentCounts(), await overview.schedulerBacklog()];
    return { settlementAccounts: accounts.map(accountView), paymentCounts, schedulerBacklog };
  }

  @Subscription(() => PaymentFeedEvent, {
    description: 'Operator: every change of every payment of the platform, as it commits (the dashboard’s live list).',
    subscribe: ({ context }) => {
      const ctx = context as Context;
      const caller = requirePrincipal(ctx, 'Subscription.paymentFeed');
      return authorizedStream(ctx, caller, ctx.services.events.subscribe('PAYMENT_FEED', PAYMENT_FEED_KEY), 'monitor');
    },
  })
  async paymentFeed(@Root() event: PublishedEvent, @Ctx() ctx: Context): Promise<PaymentFeedEvent> {
    // The flow is not in the event; it never changes, so one read of the row tells it.
    const [payment] = await ctx.services.payments.byIds([event.aggregateId]);
    return { event: publishedPaymentEventView(event), flow: payment.flow, clientId: event.clientId };
  }
}
