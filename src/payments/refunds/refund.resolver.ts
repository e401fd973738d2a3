import { Arg, Authorized, Ctx, Field, ID, InputType, Mutation, ObjectType, Resolver } from 'type-graphql';
import { IDEMPOTENCY_KEY_DESCRIPTION, UserError } from '../../graphql/common.types';
import { principal, type Context } from '../../graphql/context';
import { mutate } from '../../graphql/mutation';
import { PaymentView, TransactionView, paymentView, transactionView } from '../payment.types';

@InputType({ description: 'Refunds captured money of a completed account payment or a captured order, in full or in part.' })
export class RefundPaymentInput {
  @Field(() => ID, { description: 'The payment (an order’s id too), `pay_…`.' })
  paymentId!: string;

  @Field(() => String, { nullable: true, description: 'Decimal amount in major units, e.g. "5.00"; absent: all that is left to refund.' })
  amount?: string | null;

  @Field(() => String, { nullable: true, description: 'Free text shown on the refund (≤ 140 characters).' })
  reference?: string | null;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@ObjectType({ description: 'The result of a refund.' })
export class RefundPayload {
  @Field(() => PaymentView, { nullable: true, description: 'The payment after the refund: refundedAmount and refundStatus follow.' })
  payment!: PaymentView | null;

  @Field(() => TransactionView, { nullable: true, description: 'The refund: a transaction of kind REFUND.' })
  refund!: TransactionView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success. REFUND_EXCEEDS_CAPTURED, REFUND_NOT_COVERED (the receiving account cannot pay it back), ILLEGAL_TRANSITION (not captured yet).' })
  userErrors!: UserError[];
}

@Resolver()
export class RefundResolver {
  @Authorized()
  @Mutation(() => RefundPayload, {
    description:
      'Sends captured money back to the payer, from the receiving account: several refunds may follow each other, never more in all than was captured. Each is a transaction of kind REFUND; the payment keeps its state and its refundStatus follows.',
  })
  async refundPayment(@Arg('input', { description: 'The payment, the amount and an idempotency key.' }) input: RefundPaymentInput, @Ctx() ctx: Context): Promise<RefundPayload> {
    const payments = ctx.services.payments;
    return mutate<RefundPayload>(
      async () => {
        const outcome = await ctx.services.refunds.refund(principal(ctx), input);
        // A token that may refund but not read payments (orders:write alone) gets the userErrors only.
        const payment = outcome.payment ? await payments.readableAsWritten(principal(ctx), outcome.payment) : await payments.get(principal(ctx), outcome.paymentId);
        if (!payment) return { payment: null, refund: null };
        const refund = outcome.refund ?? (await payments.getTransaction(principal(ctx), outcome.transactionId));
        return { payment: paymentView(payment), refund: refund && transactionView(refund, payment) };
      },
      { payment: null, refund: null },
    );
  }
}
