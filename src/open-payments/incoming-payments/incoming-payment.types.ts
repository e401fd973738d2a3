import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Amount, ConnectionType, IDEMPOTENCY_KEY_DESCRIPTION, UserError, amountOf } from '../../graphql/common.types';
import type { IncomingPaymentRecord } from './incoming-payment.service';
import { IncomingPaymentState } from './incoming-payment.states';

registerEnumType(IncomingPaymentState, { name: 'IncomingPaymentState', description: 'pending → processing (some money arrived) → completed, or expired.' });

@ObjectType('IncomingPayment', { description: 'An Open Payments incoming payment: money a wallet address expects. Also a Payment of flow incoming_payment.' })
export class IncomingPaymentView {
  @Field(() => ID, { description: 'Its payment id, `pay_…` (the Payment of flow incoming_payment).' })
  id!: string;

  @Field({ description: 'Its Open Payments URL, `{base}/op/incoming-payments/{id}`: the receiver of quotes and outgoing payments.' })
  url!: string;

  @Field({ description: 'The wallet address that receives.' })
  walletAddress!: string;

  @Field(() => IncomingPaymentState, { description: 'State in the incoming payment’s own vocabulary.' })
  state!: IncomingPaymentState;

  @Field({ description: 'Whether it accepts no more money (received all it expected, or completed on request).' })
  completed!: boolean;

  @Field(() => Amount, { nullable: true, description: 'The most it may receive; null for an open amount.' })
  incomingAmount!: Amount | null;

  @Field(() => Amount, { description: 'What it received so far.' })
  receivedAmount!: Amount;

  @Field({ description: 'When it stops accepting money.' })
  expiresAt!: Date;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The creator’s metadata.' })
  metadata!: Record<string, unknown> | null;

  @Field({ description: 'When it was created.' })
  createdAt!: Date;
}

export function incomingPaymentView({ payment, details, wallet }: IncomingPaymentRecord, url: string): IncomingPaymentView {
  return {
    id: payment.id,
    url,
    walletAddress: wallet.url,
    state: payment.flowState as IncomingPaymentState,
    completed: payment.flowState === IncomingPaymentState.COMPLETED,
    incomingAmount: details.incomingAmount === null ? null : amountOf(details.incomingAmount, payment.assetCode, payment.assetScale),
    receivedAmount: amountOf(details.receivedAmount, payment.assetCode, payment.assetScale),
    expiresAt: details.expiresAt,
    metadata: details.metadata,
    createdAt: payment.createdAt,
  };
}

@ObjectType({ description: 'A page of incoming payments.' })
export class IncomingPaymentConnection extends ConnectionType('IncomingPayment', IncomingPaymentView) {}

@InputType({ description: 'Creates an incoming payment on one of your wallet addresses.' })
export class CreateIncomingPaymentInput {
  @Field({ description: 'The wallet address URL that receives; its account must be yours.' })
  walletAddress!: string;

  @Field(() => String, { nullable: true, description: 'The most it may receive, in major units of the wallet’s asset, e.g. "25.00"; none for an open amount.' })
  incomingAmount?: string | null;

  @Field(() => Date, { nullable: true, description: 'When it stops accepting money; at most OP_INCOMING_PAYMENT_MAX_EXPIRY_DAYS ahead, which is also the default.' })
  expiresAt?: Date | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Your metadata (a JSON object, at most OP_METADATA_MAX_BYTES as JSON).' })
  metadata?: Record<string, unknown> | null;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@InputType({ description: 'Completes an incoming payment: it accepts no more money.' })
export class CompleteIncomingPaymentInput {
  @Field(() => ID, { description: 'The incoming payment, `pay_…`.' })
  id!: string;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@ObjectType({ description: 'The result of an incoming payment mutation.' })
export class IncomingPaymentPayload {
  @Field(() => IncomingPaymentView, { nullable: true, description: 'The incoming payment as it is after the mutation.' })
  incomingPayment!: IncomingPaymentView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}
