import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { connectionOf } from '../../graphql/common.types';
import { principal, type Context } from '../../graphql/context';
import { mutate } from '../../graphql/mutation';
import { PaymentView, paymentView } from '../../payments/payment.types';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { asTopLevelError, keyOf, mayReadAccount, opAmountOf, walletFor } from '../resources/resource-graphql';
import type { IncomingPaymentRecord } from './incoming-payment.service';
import {
  CompleteIncomingPaymentInput,
  CreateIncomingPaymentInput,
  IncomingPaymentConnection,
  IncomingPaymentPayload,
  IncomingPaymentView,
  incomingPaymentView,
} from './incoming-payment.types';

@ArgsType()
export class WalletPageArgs {
  @Field({ description: 'The wallet address URL; its account must be one you may read.' })
  walletAddress!: string;

  @Field(() => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last node of the previous page.' })
  after?: string | null;
}

const view = (ctx: Context, record: IncomingPaymentRecord) => incomingPaymentView(record, ctx.services.resourceUrls.incomingPayment(record.payment.id));

@Resolver(() => IncomingPaymentView)
export class IncomingPaymentResolver {
  @Authorized()
  @Query(() => IncomingPaymentView, { nullable: true, description: 'An incoming payment into an account you may read; null otherwise.' })
  async incomingPayment(@Arg('id', () => ID, { description: 'Its payment id, `pay_…`.' }) id: string, @Ctx() ctx: Context): Promise<IncomingPaymentView | null> {
    const record = await ctx.services.incomingPayments.get(id);
    return record && (await mayReadAccount(ctx, record.wallet.accountId)) ? view(ctx, record) : null;
  }

  @Authorized()
  @Query(() => IncomingPaymentConnection, { description: 'The incoming payments of a wallet address whose account you may read, newest first.' })
  async incomingPayments(@Args() args: WalletPageArgs, @Ctx() ctx: Context): Promise<IncomingPaymentConnection> {
    const wallet = await walletFor(ctx, args.walletAddress, 'read', 'walletAddress').catch(asTopLevelError);
    const page = await ctx.services.incomingPayments.list(wallet, { first: args.first, cursor: args.after }, undefined).catch(asTopLevelError);
    // The page read its unified payments already: their `payment` fields need not read them again.
    for (const r of page.nodes) ctx.loaders.payment.prime(r.payment.id, r.payment);
    return connectionOf({ ...page, nodes: page.nodes.map((r) => ({ ...r, id: r.payment.id })) }, (r) => view(ctx, r));
  }

  @Authorized()
  @FieldResolver(() => PaymentView, { nullable: true, description: 'The same payment in the unified model (flow incoming_payment), with its events.' })
  async payment(@Root() incoming: IncomingPaymentView, @Ctx() ctx: Context): Promise<PaymentView | null> {
    // Batched across a page; the policy decides from what the payment says, reading its accounts only when a rule needs them.
    const loaded = await ctx.loaders.payment.load(incoming.id);
    const payment = loaded && (await ctx.services.payments.readableAsWritten(principal(ctx), loaded));
    return payment ? paymentView(payment) : null;
  }

  @Authorized()
  @Mutation(() => IncomingPaymentPayload, { description: 'Creates an incoming payment on a wallet address of yours (Open Payments POST /incoming-payments).' })
  async createIncomingPayment(@Arg('input', { description: 'The wallet address, the amount expected and an idempotency key.' }) input: CreateIncomingPaymentInput, @Ctx() ctx: Context): Promise<IncomingPaymentPayload> {
    return mutate<IncomingPaymentPayload>(async () => {
      const wallet = await walletFor(ctx, input.walletAddress, 'receiveInto', 'walletAddress');
      const record = await ctx.services.incomingPayments.create(
        { clientKey: null, grantId: null, clientId: ctx.caller!.clientId },
        wallet,
        { incomingAmount: opAmountOf(input.incomingAmount, wallet, 'incomingAmount'), expiresAt: input.expiresAt ?? undefined, metadata: input.metadata ?? undefined },
        keyOf(ctx, input.idempotencyKey),
      );
      return { incomingPayment: view(ctx, record) };
    }, { incomingPayment: null });
  }

  @Authorized()
  @Mutation(() => IncomingPaymentPayload, { description: 'Completes an incoming payment into an account of yours: it accepts no more money.' })
  async completeIncomingPayment(@Arg('input', { description: 'The incoming payment and an idempotency key.' }) input: CompleteIncomingPaymentInput, @Ctx() ctx: Context): Promise<IncomingPaymentPayload> {
    return mutate<IncomingPaymentPayload>(async () => {
      const found = await ctx.services.incomingPayments.get(input.id);
      if (!found) throw new PaygridError(ErrorCode.NOT_FOUND, 'id');
      await walletFor(ctx, found.wallet.url, 'receiveInto', 'id');
      return { incomingPayment: view(ctx, await ctx.services.incomingPayments.complete(input.id, keyOf(ctx, input.idempotencyKey))) };
    }, { incomingPayment: null });
  }
}
