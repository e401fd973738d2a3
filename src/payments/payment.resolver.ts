import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root, Subscription } from 'type-graphql';
import { can, accountObject } from '../access';
import { AccountView, accountView } from '../accounts/account.types';
import { PageArgs } from '../accounts/account.resolver';
import type { PublishedEvent } from '../events/event-recorder';
import { connectionOf } from '../graphql/common.types';
import { notFound, principal, requirePrincipal, type Context } from '../graphql/context';
import { authorizedStream } from '../graphql/subscriptions';
import {
  PaymentConnection,
  PaymentFilter,
  PaymentEvent,
  PaymentView,
  TransactionView,
  paymentEventView,
  publishedPaymentEventView,
  paymentView,
  transactionView,
} from './payment.types';

@Resolver(() => PaymentView)
export class PaymentResolver {
  @Authorized()
  @Query(() => PaymentView, { nullable: true, description: 'One of your payments; null if it does not exist or is not yours.' })
  async payment(@Arg('id', () => ID, { description: 'Payment id, `pay_…`.' }) id: string, @Ctx() ctx: Context): Promise<PaymentView | null> {
    const payment = await ctx.services.payments.get(principal(ctx), id);
    return payment && paymentView(payment);
  }

  @Authorized()
  @Query(() => PaymentConnection, {
    description: 'Your payments across flows (those you created, and those paying or paid into your accounts), newest first, narrowed by `filter`.',
  })
  async payments(
    @Args() page: PageArgs,
    @Ctx() ctx: Context,
    @Arg('filter', () => PaymentFilter, { nullable: true, description: 'Flow, state, account and creation time.' }) filter?: PaymentFilter | null,
  ): Promise<PaymentConnection> {
    const result = await ctx.services.payments.list(principal(ctx), filter ?? {}, page);
    for (const payment of result.nodes) ctx.loaders.payment.prime(payment.id, payment);
    return connectionOf(result, paymentView);
  }

  @Authorized()
  @Query(() => TransactionView, { nullable: true, description: 'One of your transactions; null if it does not exist or is not yours.' })
  async transaction(@Arg('id', () => ID, { description: 'Transaction id, `txn_…`.' }) id: string, @Ctx() ctx: Context): Promise<TransactionView | null> {
    const transaction = await ctx.services.payments.getTransaction(principal(ctx), id);
    if (!transaction) return null;
    const payment = await ctx.loaders.payment.load(transaction.paymentId);
    return transactionView(transaction, payment!);
  }

  @Authorized()
  @FieldResolver(() => AccountView, { nullable: true, description: 'The paying account, when it is yours.' })
  async payerAccount(@Root() payment: PaymentView, @Ctx() ctx: Context): Promise<AccountView | null> {
    return this.ownAccount(payment.payerAccountId, ctx);
  }

  @Authorized()
  @FieldResolver(() => AccountView, { nullable: true, description: 'The receiving account, when it is yours (otherwise only its id is shown).' })
  async beneficiaryAccount(@Root() payment: PaymentView, @Ctx() ctx: Context): Promise<AccountView | null> {
    return this.ownAccount(payment.beneficiaryAccountId, ctx);
  }

  @FieldResolver(() => [TransactionView], { description: 'The payment’s transactions, oldest first.' })
  async transactions(@Root() payment: PaymentView, @Ctx() ctx: Context): Promise<TransactionView[]> {
    const rows = await ctx.loaders.transactions.load(payment.id);
    return rows.map((t) => transactionView(t, payment.amount));
  }

  @FieldResolver(() => [PaymentEvent], { description: 'The payment’s history, oldest first; pass the last sequence you saw to catch up.' })
  async events(
    @Root() payment: PaymentView,
    @Ctx() ctx: Context,
    @Arg('afterSequence', () => Int, { nullable: true, description: 'Only events after this sequence number.' }) afterSequence?: number | null,
  ): Promise<PaymentEvent[]> {
    const rows = await ctx.loaders.events.load(payment.id);
    return rows.filter((e) => e.sequence > (afterSequence ?? 0)).map(paymentEventView);
  }

  @Subscription(() => PaymentEvent, {
    description: 'Every change of one of your payments, as it commits.',
    subscribe: async ({ args, context }) => {
      const ctx = context as Context;
      const caller = requirePrincipal(ctx, 'Subscription.paymentUpdated');
      // The policy lets payments:admin watch bank initiations only, and a payment-scoped token its own payment.
      const payment = await ctx.services.payments.get(caller, args.paymentId);
      if (!payment) throw notFound('payment');
      return authorizedStream(ctx, caller, ctx.services.events.subscribe('PAYMENT_EVENT', payment.id));
    },
  })
  paymentUpdated(@Root() event: PublishedEvent, @Arg('paymentId', () => ID, { description: 'One of your payments, `pay_…`.' }) _paymentId: string): PaymentEvent {
    return publishedPaymentEventView(event);
  }

  @Subscription(() => PaymentEvent, {
    description: 'Every change of your payments that one of your accounts pays or receives.',
    subscribe: async ({ args, context }) => {
      const ctx = context as Context;
      const caller = requirePrincipal(ctx, 'Subscription.accountPaymentUpdated');
      const account = await ctx.services.accounts.get(caller, args.accountId);
      if (!account) throw notFound('account');
      return authorizedStream(ctx, caller, ctx.services.events.subscribe('ACCOUNT_PAYMENT_EVENT', account.id));
    },
  })
  accountPaymentUpdated(@Root() event: PublishedEvent, @Arg('accountId', () => ID, { description: 'One of your accounts, `acct_…`: payments it pays or receives.' }) _accountId: string): PaymentEvent {
    return publishedPaymentEventView(event);
  }

  private async ownAccount(id: string | null, ctx: Context): Promise<AccountView | null> {
    if (!id) return null;
    const account = await ctx.loaders.account.load(id);
    return account && can(principal(ctx), 'read', accountObject(account)) ? accountView(account) : null;
  }
}

@Resolver(() => AccountView)
export class AccountPaymentsFieldResolver {
  @Authorized()
  @FieldResolver(() => PaymentConnection, { description: 'Payments this account pays or receives that you may read, newest first.' })
  async payments(@Root() account: AccountView, @Args() page: PageArgs, @Ctx() ctx: Context): Promise<PaymentConnection> {
    const result = await ctx.loaders.accountPayments.load({ principal: principal(ctx), accountId: account.id, first: page.first, after: page.after });
    return connectionOf(result, paymentView);
  }
}
