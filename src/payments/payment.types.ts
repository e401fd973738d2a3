import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { PublishedEvent } from '../events/event-recorder';
import { Amount, ConnectionType, UserError, amountOf } from '../graphql/common.types';
import { Payment, PaymentFlow, PaymentState, RefundStatus } from './payment.entity';
import { PaymentTransaction, TransactionKind, TransactionState } from './transaction.entity';

registerEnumType(PaymentFlow, { name: 'PaymentFlow', description: 'Which payment system a payment belongs to.' });
registerEnumType(PaymentState, {
  name: 'PaymentState',
  description: 'The state every flow maps onto: created → pending → accepted/completed, or rejected, cancelled, expired, failed.',
});
registerEnumType(RefundStatus, {
  name: 'RefundStatus',
  description: 'How much of the captured money went back to the payer. The payment’s own state does not change: a refund adds refund transactions to it.',
});
registerEnumType(TransactionKind, { name: 'TransactionKind', description: 'payment: money paid into the payment; capture: part of an authorization taken; refund: money sent back to the payer.' });
registerEnumType(TransactionState, { name: 'TransactionState', description: 'State of a transaction on a payment.' });

@ObjectType('Payment', { description: 'A payment of any flow, with its amounts, parties and history.' })
export class PaymentView {
  @Field(() => ID, { description: 'Payment id, `pay_…`.' })
  id!: string;

  @Field(() => PaymentFlow, { description: 'The payment system the payment belongs to.' })
  flow!: PaymentFlow;

  @Field(() => PaymentState, { description: 'State in the vocabulary shared by every flow.' })
  state!: PaymentState;

  @Field({ description: 'State in the flow’s own vocabulary (account payments: pending, authorized, completed, declined, cancelled).' })
  flowState!: string;

  @Field(() => String, { nullable: true, description: 'Your own id for the payment (`request_id`), unique per client.' })
  requestId!: string | null;

  @Field(() => Amount, { description: 'Total of the payment: its transactions, less those cancelled one by one.' })
  amount!: Amount;

  @Field(() => String, { nullable: true, description: 'Free text shown on the payment.' })
  reference!: string | null;

  @Field(() => Amount, { description: 'What reached the beneficiary: the amount once executed, or the sum of an order’s captures.' })
  capturedAmount!: Amount;

  @Field(() => Amount, { description: 'What was refunded to the payer; never more than capturedAmount.' })
  refundedAmount!: Amount;

  @Field(() => RefundStatus, { nullable: true, description: 'null until a refund; then PARTIALLY_REFUNDED or REFUNDED. `state` and `flowState` stay as they were.' })
  refundStatus!: RefundStatus | null;

  @Field(() => Date, { nullable: true, description: 'When the authorization lapses if it is not captured or executed by then (its reservation released, the payment expired); null once captured, executed or cancelled; after an expiry, the deadline it missed.' })
  authorizationExpiresAt!: Date | null;

  @Field(() => ID, { nullable: true, description: 'The account that pays.' })
  payerAccountId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The account that receives (`seller_id`).' })
  beneficiaryAccountId!: string | null;

  @Field(() => Int, { description: 'Sequence number of the latest event: catch up from here after a reconnect.' })
  lastSequence!: number;

  @Field({ description: 'When the payment was created.' })
  createdAt!: Date;

  @Field({ description: 'When the payment last changed.' })
  updatedAt!: Date;
}

export function paymentView(p: Payment): PaymentView {
  return {
    id: p.id,
    flow: p.flow,
    state: p.state,
    flowState: p.flowState,
    requestId: p.requestId,
    amount: amountOf(p.amount, p.assetCode, p.assetScale),
    reference: p.reference,
    capturedAmount: amountOf(p.capturedAmount, p.assetCode, p.assetScale),
    refundedAmount: amountOf(p.refundedAmount, p.assetCode, p.assetScale),
    refundStatus: p.refundStatus,
    authorizationExpiresAt: p.authorizationExpiresAt,
    payerAccountId: p.payerAccountId,
    beneficiaryAccountId: p.beneficiaryAccountId,
    lastSequence: p.lastSequence,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

@InputType({ description: 'Narrows a list of payments; every condition is optional and they all apply.' })
export class PaymentFilter {
  @Field(() => PaymentFlow, { nullable: true, description: 'Payments of this flow only.' })
  flow?: PaymentFlow | null;

  @Field(() => PaymentState, { nullable: true, description: 'Payments in this unified state only.' })
  state?: PaymentState | null;

  @Field(() => ID, { nullable: true, description: 'Payments this account pays or receives.' })
  accountId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Created at or after this time (ISO 8601).' })
  createdAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Created before this time (ISO 8601).' })
  createdBefore?: Date | null;
}

@ObjectType({ description: 'A page of payments.' })
export class PaymentConnection extends ConnectionType('Payment', PaymentView) {}

@ObjectType('Transaction', { description: 'A movement of money attached to a payment.' })
export class TransactionView {
  @Field(() => ID, { description: 'Transaction id, `txn_…`.' })
  id!: string;

  @Field(() => ID, { description: 'The payment it belongs to (`id_payment`).' })
  paymentId!: string;

  @Field(() => TransactionKind, { description: 'What the transaction does: payment, capture or refund.' })
  kind!: TransactionKind;

  @Field(() => Amount, { description: 'Amount of the transaction.' })
  amount!: Amount;

  @Field(() => TransactionState, { description: 'pending until the payment is executed, declined or cancelled; captures and refunds are completed when written.' })
  state!: TransactionState;

  @Field(() => String, { nullable: true, description: 'Free text shown on the transaction.' })
  reference!: string | null;

  @Field({ description: 'When the transaction was created (`emission_date`).' })
  emittedAt!: Date;

  @Field({ description: 'When the transaction last changed (`update_date`).' })
  updatedAt!: Date;
}

export function transactionView(t: PaymentTransaction, payment: { assetCode: string; assetScale: number }): TransactionView {
  return {
    id: t.id,
    paymentId: t.paymentId,
    kind: t.kind,
    amount: amountOf(t.amount, payment.assetCode, payment.assetScale),
    state: t.state,
    reference: t.reference,
    emittedAt: t.emittedAt,
    updatedAt: t.updatedAt,
  };
}

@ObjectType({ description: 'One entry of a payment’s append-only history.' })
export class PaymentEvent {
  @Field(() => ID, { description: 'Event id, unique across the platform.' })
  id!: string;

  @Field(() => ID, { description: 'The payment.' })
  paymentId!: string;

  @Field(() => Int, { description: 'Position in the payment’s history: 1, 2, 3… without gaps.' })
  sequence!: number;

  @Field({ description: 'What happened, e.g. payment.authorized.' })
  type!: string;

  @Field(() => PaymentState, { description: 'Unified state after the event.' })
  state!: PaymentState;

  @Field({ description: 'Flow state after the event.' })
  flowState!: string;

  @Field(() => Amount, { description: 'Payment amount after the event.' })
  amount!: Amount;

  @Field(() => GraphQLJSONObject, { description: 'Details of the event (transaction id, decline reason…).' })
  data!: Record<string, unknown>;

  @Field({ description: 'When it was committed.' })
  occurredAt!: Date;
}

export function paymentEventView(e: Pick<PublishedEvent, 'id' | 'aggregateId' | 'sequence' | 'type' | 'payload'> & { occurredAt: Date | string }): PaymentEvent {
  const { state, flowState, amount, assetCode, assetScale, ...data } = e.payload as {
    state: PaymentState;
    flowState: string;
    amount: string;
    assetCode: string;
    assetScale: number;
  } & Record<string, unknown>;
  return {
    id: String(e.id),
    paymentId: e.aggregateId,
    sequence: e.sequence,
    type: e.type,
    state,
    flowState,
    amount: amountOf(BigInt(amount), assetCode, assetScale),
    data,
    occurredAt: new Date(e.occurredAt),
  };
}

const publishedViews = new WeakMap<PublishedEvent, PaymentEvent>();

/**
 * The view of an event as the pub/sub delivers it: one object to every subscriber of an instance,
 * so its view is built once, however many subscribers receive it.
 */
export function publishedPaymentEventView(event: PublishedEvent): PaymentEvent {
  let view = publishedViews.get(event);
  if (!view) publishedViews.set(event, (view = paymentEventView(event)));
  return view;
}

@ObjectType({ description: 'The result of a payment mutation.' })
export class PaymentPayload {
  @Field(() => PaymentView, { nullable: true, description: 'The payment as it is after the mutation; set on a decline too.' })
  payment!: PaymentView | null;

  @Field(() => TransactionView, { nullable: true, description: 'The transaction the mutation acted on, if any.' })
  transaction!: TransactionView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success. A declined authorization lists INSUFFICIENT_FUNDS.' })
  userErrors!: UserError[];
}
