import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { connectionOf } from '../../graphql/common.types';
import { principal, type Context } from '../../graphql/context';
import { mutate } from '../../graphql/mutation';
import { PaymentView, paymentView } from '../../payments/payment.types';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { WalletPageArgs } from '../incoming-payments/incoming-payment.resolver';
import { asTopLevelError, keyOf, mayReadAccount, opAmountOf, walletFor } from '../resources/resource-graphql';
import { CreateOutgoingPaymentInput, OutgoingPaymentConnection, OutgoingPaymentPayload, OutgoingPaymentView, outgoingPaymentView } from './outgoing-payment.types';

@Resolver(() => OutgoingPaymentView)
export class OutgoingPaymentResolver {
  @Authorized()
  @Query(() => OutgoingPaymentView, { nullable: true, description: 'An outgoing payment from an account you may read; null otherwise.' })
  async outgoingPayment(@Arg('id', () => ID, { description: 'Its payment id, `pay_…`.' }) id: string, @Ctx() ctx: Context): Promise<OutgoingPaymentView | null> {
    const record = await ctx.services.outgoingPayments.get(id);
    return record && (await mayReadAccount(ctx, record.wallet.accountId)) ? outgoingPaymentView(record, ctx.services.resourceUrls) : null;
  }

  @Authorized()
  @Query(() => OutgoingPaymentConnection, { description: 'The outgoing payments of a wallet address whose account you may read, newest first.' })
  async outgoingPayments(@Args() args: WalletPageArgs, @Ctx() ctx: Context): Promise<OutgoingPaymentConnection> {
    const wallet = await walletFor(ctx, args.walletAddress, 'read', 'walletAddress').catch(asTopLevelError);
    const page = await ctx.services.outgoingPayments.list(wallet, { first: args.first, cursor: args.after }, undefined).catch(asTopLevelError);
    // The page read its unified payments already: their `payment` fields need not read them again.
    for (const r of page.nodes) ctx.loaders.payment.prime(r.payment.id, r.payment);
    return connectionOf({ ...page, nodes: page.nodes.map((r) => ({ ...r, id: r.payment.id })) }, (r) => outgoingPaymentView(r, ctx.services.resourceUrls));
  }

  @Authorized()
  @FieldResolver(() => PaymentView, { nullable: true, description: 'The same payment in the unified model (flow outgoing_payment), with its events.' })
  async payment(@Root() outgoing: OutgoingPaymentView, @Ctx() ctx: Context): Promise<PaymentView | null> {
    // Batched across a page; the policy decides from what the payment says, reading its accounts only when a rule needs them.
    const loaded = await ctx.loaders.payment.load(outgoing.id);
    const payment = loaded && (await ctx.services.payments.readableAsWritten(principal(ctx), loaded));
    return payment ? paymentView(payment) : null;
  }

  @Authorized()
  @Mutation(() => OutgoingPaymentPayload, { description: 'Pays an incoming payment on this Paygrid from a wallet address of yours, from a quote or for a debit amount.' })
  async createOutgoingPayment(@Arg('input', { description: 'The paying wallet address, a quote or an incoming payment with a debit amount, and an idempotency key.' }) input: CreateOutgoingPaymentInput, @Ctx() ctx: Context): Promise<OutgoingPaymentPayload> {
    return mutate<OutgoingPaymentPayload>(async () => {
      const wallet = await walletFor(ctx, input.walletAddress, 'sendFrom', 'walletAddress');
      const { record } = await ctx.services.outgoingPayments.create(
        { clientKey: null, grantId: null, clientId: ctx.caller!.clientId },
        wallet,
        {
          quoteId: input.quoteId ?? undefined,
          incomingPayment: input.incomingPayment ?? undefined,
          debitAmount: opAmountOf(input.debitAmount, wallet, 'debitAmount'),
          metadata: input.metadata ?? undefined,
        },
        null,
        keyOf(ctx, input.idempotencyKey),
      );
      const outgoingPayment = outgoingPaymentView(record, ctx.services.resourceUrls);
      const failed = record.details.failed ? [new PaygridError(ErrorCode.INSUFFICIENT_FUNDS, 'walletAddress')] : [];
      return { outgoingPayment, userErrors: failed.map((e) => ({ code: e.code, field: e.field, message: e.message })) };
    }, { outgoingPayment: null });
  }
}
