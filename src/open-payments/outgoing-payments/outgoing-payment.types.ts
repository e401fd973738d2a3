import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Amount, ConnectionType, IDEMPOTENCY_KEY_DESCRIPTION, UserError, amountOf } from '../../graphql/common.types';
import type { ResourceUrls } from '../resources/resource-urls';
import type { OutgoingPaymentRecord } from './outgoing-payment.service';
import { OutgoingPaymentState } from './outgoing-payment.states';
import { receiveAssetOf } from './outgoing-payment.service';

registerEnumType(OutgoingPaymentState, { name: 'OutgoingPaymentState', description: 'funding → sending → completed, or failed (could not be funded).' });

@ObjectType('OutgoingPayment', { description: 'An Open Payments outgoing payment: a wallet address pays an incoming payment. Also a Payment of flow outgoing_payment.' })
export class OutgoingPaymentView {
  @Field(() => ID, { description: 'Its payment id, `pay_…` (the Payment of flow outgoing_payment).' })
  id!: string;

  @Field({ description: 'Its Open Payments URL.' })
  url!: string;

  @Field({ description: 'The wallet address that pays.' })
  walletAddress!: string;

  @Field(() => ID, { nullable: true, description: 'The quote it used, if any.' })
  quoteId!: string | null;

  @Field({ description: 'The incoming payment it pays (URL).' })
  receiver!: string;

  @Field(() => OutgoingPaymentState, { description: 'State in the outgoing payment’s own vocabulary.' })
  state!: OutgoingPaymentState;

  @Field({ description: 'Whether it failed; nothing moved then.' })
  failed!: boolean;

  @Field(() => Amount, { description: 'What leaves the sender’s account, fee included.' })
  debitAmount!: Amount;

  @Field(() => Amount, { description: 'What reaches the receiver.' })
  receiveAmount!: Amount;

  @Field(() => Amount, { description: 'What was sent to the receiver so far.' })
  sentAmount!: Amount;

  @Field(() => Amount, { description: 'The platform’s fee.' })
  fee!: Amount;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The creator’s metadata.' })
  metadata!: Record<string, unknown> | null;

  @Field({ description: 'When it was created.' })
  createdAt!: Date;
}

export function outgoingPaymentView({ payment, details, wallet }: OutgoingPaymentRecord, urls: ResourceUrls): OutgoingPaymentView {
  const amount = (v: bigint) => amountOf(v, payment.assetCode, payment.assetScale);
  return {
    id: payment.id,
    url: urls.outgoingPayment(payment.id),
    walletAddress: wallet.url,
    quoteId: details.quoteId,
    receiver: details.receiverUrl ?? urls.incomingPayment(details.receiverPaymentId),
    state: payment.flowState as OutgoingPaymentState,
    failed: details.failed,
    debitAmount: amount(details.debitAmount),
    receiveAmount: amountOf(details.receiveAmount, receiveAssetOf(payment, details).assetCode, receiveAssetOf(payment, details).assetScale),
    sentAmount: amount(details.sentAmount),
    fee: amount(details.fee),
    metadata: details.metadata,
    createdAt: payment.createdAt,
  };
}

@ObjectType({ description: 'A page of outgoing payments.' })
export class OutgoingPaymentConnection extends ConnectionType('OutgoingPayment', OutgoingPaymentView) {}

@InputType({ description: 'Pays an incoming payment from a wallet address of yours: from a quote, or for a debit amount.' })
export class CreateOutgoingPaymentInput {
  @Field({ description: 'The wallet address URL that pays; its account must be yours.' })
  walletAddress!: string;

  @Field(() => ID, { nullable: true, description: 'A quote of this wallet address, unexpired and unused (id or URL).' })
  quoteId?: string | null;

  @Field(() => String, { nullable: true, description: 'Without a quote: the incoming payment URL to pay.' })
  incomingPayment?: string | null;

  @Field(() => String, { nullable: true, description: 'Without a quote: what leaves your account, fee included, in major units ("25.00").' })
  debitAmount?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Your metadata (a JSON object).' })
  metadata?: Record<string, unknown> | null;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@ObjectType({ description: 'The result of createOutgoingPayment. A payment that could not be funded is returned failed, with INSUFFICIENT_FUNDS in userErrors.' })
export class OutgoingPaymentPayload {
  @Field(() => OutgoingPaymentView, { nullable: true, description: 'The outgoing payment.' })
  outgoingPayment!: OutgoingPaymentView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}
