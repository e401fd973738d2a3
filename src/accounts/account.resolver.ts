import { Arg, Args, ArgsType, Authorized, Ctx, Field, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { PublishedEvent } from '../events/event-recorder';
import { notAllowed, notFound, principal, requirePrincipal, type Context } from '../graphql/context';
import { can } from '../access';
import { authorizedStream } from '../graphql/subscriptions';
import { connectionOf } from '../graphql/common.types';
import { mutate } from '../graphql/mutation';
import {
  AccountBalanceEvent,
  AccountConnection,
  AccountPayload,
  AccountView,
  CreateAccountInput,
  FundAccountInput,
  accountView,
  balanceOf,
} from './account.types';

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last node of the previous page.' })
  after?: string | null;
}

@Resolver(() => AccountView)
export class AccountResolver {
  @Authorized()
  @Query(() => AccountView, { nullable: true, description: 'One of your accounts; null if it does not exist or is not yours.' })
  async account(@Arg('id', () => ID, { description: 'Account id, `acct_…`.' }) id: string, @Ctx() ctx: Context): Promise<AccountView | null> {
    const account = await ctx.services.accounts.get(principal(ctx), id);
    return account && accountView(account);
  }

  @Authorized()
  @Query(() => AccountConnection, { description: 'Your accounts, newest first.' })
  async accounts(@Args() page: PageArgs, @Ctx() ctx: Context): Promise<AccountConnection> {
    return connectionOf(await ctx.services.accounts.list(principal(ctx), page), accountView);
  }

  @Authorized()
  @Mutation(() => AccountPayload, { description: 'Opens an account in one asset, with zero balances.' })
  async createAccount(@Arg('input', { description: 'The asset, and optionally the scale and a name.' }) input: CreateAccountInput, @Ctx() ctx: Context): Promise<AccountPayload> {
    return mutate<AccountPayload>(async () => ({ account: accountView(await ctx.services.accounts.create(ctx.caller!, input)) }), { account: null });
  }

  @Authorized()
  @Mutation(() => AccountPayload, {
    description: 'Operator: records a deposit from outside, moving money from the asset’s settlement account to the account.',
  })
  async fundAccount(@Arg('input', { description: 'The account, the amount and an idempotency key.' }) input: FundAccountInput, @Ctx() ctx: Context): Promise<AccountPayload> {
    if (!can(principal(ctx), 'fund', { kind: 'account', account: { id: input.accountId, clientId: null, userId: null } })) throw notAllowed('Only the operator records deposits.');
    return mutate<AccountPayload>(async () => ({ account: accountView(await ctx.services.accounts.fund(ctx.caller!.clientId, input)) }), { account: null });
  }

  @Subscription(() => AccountBalanceEvent, {
    description: 'Balance changes of one of your accounts, as they commit.',
    subscribe: async ({ args, context }) => {
      const ctx = context as Context;
      const caller = requirePrincipal(ctx, 'Subscription.accountBalanceUpdated');
      const account = await ctx.services.accounts.get(caller, args.accountId);
      if (!account) throw notFound('account');
      return authorizedStream(ctx, caller, ctx.services.events.subscribe('ACCOUNT_BALANCE', account.id));
    },
  })
  accountBalanceUpdated(@Root() event: PublishedEvent, @Arg('accountId', () => ID, { description: 'One of your accounts, `acct_…`.' }) _accountId: string): AccountBalanceEvent {
    const p = event.payload as { posted: string; reserved: string; assetCode: string; assetScale: number };
    return {
      accountId: event.aggregateId,
      sequence: event.sequence,
      balance: balanceOf({ posted: BigInt(p.posted), reserved: BigInt(p.reserved), assetCode: p.assetCode, assetScale: p.assetScale }),
      occurredAt: new Date(event.occurredAt),
    };
  }
}

