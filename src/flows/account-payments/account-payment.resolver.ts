import { Arg, Authorized, Ctx, Field, ID, InputType, Mutation, Resolver } from 'type-graphql';
import { principal, type Context } from '../../graphql/context';
import { mutate } from '../../graphql/mutation';
import { IDEMPOTENCY_KEY_DESCRIPTION, REQUEST_ID_DESCRIPTION, userErrorOf } from '../../graphql/common.types';
import { PaymentPayload, paymentView, transactionView } from '../../payments/payment.types';
import type { StepOutcome } from './account-payment.service';

@InputType({ description: 'Creates an account payment (reference: POST account/{id}/payment).' })
export class CreateAccountPaymentInput {
  @Field(() => ID, { description: 'The buyer’s account, which pays; it must be yours.' })
  accountId!: string;

  @Field({ description: REQUEST_ID_DESCRIPTION })
  requestId!: string;

  @Field(() => ID, { description: 'The receiving account (`seller_id`).' })
  sellerId!: string;

  @Field({ description: 'ISO 4217 code; both accounts must hold it.' })
  currency!: string;

  @Field(() => String, { nullable: true, description: 'Free text shown on the payment (≤ 140 characters).' })
  reference?: string | null;
}

@InputType({ description: 'Adds a transaction to a pending payment.' })
export class AddPaymentTransactionInput {
  @Field(() => ID, { description: 'The payment.' })
  paymentId!: string;

  @Field({ description: 'Decimal amount in major units, e.g. "50.90"; no more decimals than the currency has.' })
  amount!: string;

  @Field(() => String, { nullable: true, description: 'Free text shown on the transaction (≤ 140 characters).' })
  reference?: string | null;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@InputType({ description: 'Cancels one transaction of a payment.' })
export class CancelPaymentTransactionInput {
  @Field(() => ID, { description: 'The payment.' })
  paymentId!: string;

  @Field(() => ID, { description: 'The transaction to cancel.' })
  transactionId!: string;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@InputType({ description: 'One step on a payment: authorize, execute or cancel.' })
export class PaymentStepInput {
  @Field(() => ID, { description: 'The payment.' })
  paymentId!: string;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@Resolver()
export class AccountPaymentResolver {
  @Authorized()
  @Mutation(() => PaymentPayload, { description: 'Creates a pending account payment from one of your accounts to a seller’s account.' })
  async createAccountPayment(@Arg('input', { description: 'The buyer and seller accounts, the currency and your request id.' }) input: CreateAccountPaymentInput, @Ctx() ctx: Context): Promise<PaymentPayload> {
    return this.respond(ctx, () => ctx.services.accountPayments.create(principal(ctx), input));
  }

  @Authorized()
  @Mutation(() => PaymentPayload, { description: 'Adds a pending transaction to a payment that is not authorized yet.' })
  async addPaymentTransaction(@Arg('input', { description: 'The payment, the amount and an idempotency key.' }) input: AddPaymentTransactionInput, @Ctx() ctx: Context): Promise<PaymentPayload> {
    return this.respond(ctx, () => ctx.services.accountPayments.addTransaction(principal(ctx), input));
  }

  @Authorized()
  @Mutation(() => PaymentPayload, { description: 'Cancels a pending transaction; its reserved funds, if any, are released.' })
  async cancelPaymentTransaction(@Arg('input', { description: 'The payment and the transaction to cancel.' }) input: CancelPaymentTransactionInput, @Ctx() ctx: Context): Promise<PaymentPayload> {
    return this.respond(ctx, () => ctx.services.accountPayments.cancelTransaction(principal(ctx), input));
  }

  @Authorized()
  @Mutation(() => PaymentPayload, {
    description: 'Reserves the payment’s total on the buyer’s account. When it cannot be covered the payment is declined (final) with INSUFFICIENT_FUNDS.',
  })
  async authorizePayment(@Arg('input', { description: 'The payment to authorize.' }) input: PaymentStepInput, @Ctx() ctx: Context): Promise<PaymentPayload> {
    return this.respond(ctx, () => ctx.services.accountPayments.authorize(principal(ctx), input));
  }

  @Authorized()
  @Mutation(() => PaymentPayload, { description: 'Posts the reserved funds to the seller: the payment completes.' })
  async executePayment(@Arg('input', { description: 'The payment to execute.' }) input: PaymentStepInput, @Ctx() ctx: Context): Promise<PaymentPayload> {
    return this.respond(ctx, () => ctx.services.accountPayments.execute(principal(ctx), input));
  }

  @Authorized()
  @Mutation(() => PaymentPayload, { description: 'Cancels a payment that is pending or authorized; reservations are released.' })
  async cancelPayment(@Arg('input', { description: 'The payment to cancel.' }) input: PaymentStepInput, @Ctx() ctx: Context): Promise<PaymentPayload> {
    return this.respond(ctx, () => ctx.services.accountPayments.cancel(principal(ctx), input));
  }

  /**
   * Answers with the payment (and transaction) as the step left them, read again only on a replay
   * or when reading them needs more than the step holds, and maps a recorded decline to userErrors.
   */
  private async respond(ctx: Context, step: () => Promise<StepOutcome>): Promise<PaymentPayload> {
    const payments = ctx.services.payments;
    return mutate<PaymentPayload>(
      async () => {
        const outcome = await step();
        const payment = (outcome.payment ? await payments.readableAsWritten(principal(ctx), outcome.payment) : await payments.get(principal(ctx), outcome.paymentId))!;
        const transaction = outcome.transaction
          ? await payments.transactionReadableAsWritten(principal(ctx), outcome.payment!, outcome.transaction)
          : outcome.transactionId
            ? await payments.getTransaction(principal(ctx), outcome.transactionId)
            : null;
        return {
          payment: paymentView(payment),
          transaction: transaction && transactionView(transaction, payment),
          userErrors: outcome.declined ? [userErrorOf(outcome.declined)] : [],
        };
      },
      { payment: null, transaction: null },
    );
  }
}
