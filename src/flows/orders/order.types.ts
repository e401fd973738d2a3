import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Amount, ConnectionType, IDEMPOTENCY_KEY_DESCRIPTION, REQUEST_ID_DESCRIPTION, UserError, amountOf } from '../../graphql/common.types';
import type { Payment } from '../../payments/payment.entity';
import { RefundStatus } from '../../payments/payment.entity';
import { CaptureMode, type OrderDetails } from './order.entity';
import type { OrderLink } from './order.service';
import { OrderStatus } from './order.states';

registerEnumType(OrderStatus, {
  name: 'OrderStatus',
  description: 'iumiCash order status: created → approved → (partially_captured →) captured → completed, or cancelled, or expired (approved, never captured in time).',
});
registerEnumType(CaptureMode, { name: 'CaptureMode', description: 'SINGLE: one capture, of all or part of the total, the rest released; MULTIPLE: several captures up to the total, until one marked final.' });

@ObjectType({ description: 'A line of an order.' })
export class OrderItemView {
  @Field({ description: 'Name of the item.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Description of the item.' })
  description!: string | null;

  @Field(() => Amount, { description: 'Unit price.' })
  amount!: Amount;

  @Field(() => Int, { description: 'How many.' })
  count!: number;
}

@ObjectType({ description: 'Where to go next with an order (HATEOAS).' })
export class OrderLinkView {
  @Field({ description: 'Absolute URL.' })
  link!: string;

  @Field({ description: 'self, approve (the checkout page for the payer), capture or cancel.' })
  rel!: string;

  @Field({ description: 'HTTP method to use.' })
  method!: string;
}

@ObjectType('Order', { description: 'An iumiCash-style order: items a payer approves and a vendor captures.' })
export class OrderView {
  @Field(() => ID, { description: 'Order id (the id of its payment), `pay_…`.' })
  id!: string;

  @Field({ description: 'The vendor’s own id for the order.' })
  externalId!: string;

  @Field(() => OrderStatus, { description: 'Status in iumiCash’s vocabulary.' })
  status!: OrderStatus;

  @Field(() => Amount, { description: 'Sum of the items’ amounts times their counts.' })
  total!: Amount;

  @Field(() => CaptureMode, { description: 'How the order is captured, as chosen at creation.' })
  captureMode!: CaptureMode;

  @Field(() => Amount, { description: 'The sum of the captures so far.' })
  captured!: Amount;

  @Field(() => Amount, { description: 'The sum of the refunds so far.' })
  refunded!: Amount;

  @Field(() => RefundStatus, { nullable: true, description: 'null until a refund; the status stays captured or completed.' })
  refundStatus!: RefundStatus | null;

  @Field(() => ID, { description: 'Your account that receives the captures.' })
  beneficiaryAccountId!: string;

  @Field(() => Date, { nullable: true, description: 'When an approval not fully captured lapses: the rest of the reservation is released. Null once the captures ended or the order was cancelled; after an expiry, the deadline it missed.' })
  authorizationExpiresAt!: Date | null;

  @Field(() => [OrderItemView], { description: 'The items, as sent.' })
  items!: OrderItemView[];

  @Field(() => [OrderLinkView], { description: 'self, approve, capture and cancel links.' })
  links!: OrderLinkView[];

  @Field({ description: 'Where each status change is POSTed, signed.' })
  callbackUrl!: string;

  @Field({ description: 'Where the payer is sent after approving.' })
  successUrl!: string;

  @Field({ description: 'Where the payer is sent after declining.' })
  errorUrl!: string;

  @Field({ description: 'When the order was created.' })
  createdAt!: Date;

  @Field({ description: 'When the order last changed.' })
  updatedAt!: Date;
}

export function orderView(payment: Payment, order: OrderDetails, links: OrderLink[]): OrderView {
  return {
    id: payment.id,
    externalId: order.externalId,
    status: payment.flowState as OrderStatus,
    total: amountOf(payment.amount, payment.assetCode, payment.assetScale),
    captureMode: order.captureMode,
    captured: amountOf(payment.capturedAmount, payment.assetCode, payment.assetScale),
    refunded: amountOf(payment.refundedAmount, payment.assetCode, payment.assetScale),
    refundStatus: payment.refundStatus,
    beneficiaryAccountId: payment.beneficiaryAccountId!,
    authorizationExpiresAt: payment.authorizationExpiresAt,
    items: order.items.map((i) => ({ name: i.name, description: i.description, amount: amountOf(BigInt(i.amount), payment.assetCode, payment.assetScale), count: i.count })),
    links,
    callbackUrl: order.callbackUrl,
    successUrl: order.successUrl,
    errorUrl: order.errorUrl,
    createdAt: payment.createdAt,
    updatedAt: payment.updatedAt,
  };
}

@InputType({ description: 'An amount in major units with its currency.' })
export class OrderAmountInput {
  @Field({ description: 'Decimal amount, e.g. "12.50"; no more decimals than the currency has.' })
  value!: string;

  @Field({ description: 'ISO 4217 code; every item of an order has the same.' })
  currencyCode!: string;
}

@InputType({ description: 'A line of a new order.' })
export class OrderItemInput {
  @Field({ description: 'Name (≤ 200 characters).' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Description (≤ 1000 characters).' })
  description?: string | null;

  @Field(() => OrderAmountInput, { description: 'Unit price.' })
  amount!: OrderAmountInput;

  @Field(() => Int, { description: 'How many, 1 to 10000.' })
  count!: number;
}

@InputType({ description: 'Creates an order for the payer who granted your token.' })
export class CreateOrderInput {
  @Field({ description: 'Your own id for the order (≤ 255 characters).' })
  externalId!: string;

  @Field(() => [OrderItemInput], { description: '1 to 100 items, all in one currency.' })
  items!: OrderItemInput[];

  @Field({ description: 'Absolute http(s) URL that receives each status change, signed; not on a loopback, private or reserved address (URL_NOT_ALLOWED).' })
  callbackUrl!: string;

  @Field({ description: 'Absolute URL the payer returns to after approving.' })
  successUrl!: string;

  @Field({ description: 'Absolute URL the payer returns to after declining.' })
  errorUrl!: string;

  @Field({ description: `${REQUEST_ID_DESCRIPTION} The REST links take the same as iumiCash's \`RequestId\` header.` })
  requestId!: string;

  @Field(() => CaptureMode, { nullable: true, description: 'SINGLE (default) or MULTIPLE captures.' })
  captureMode?: CaptureMode | null;

  @Field(() => ID, { nullable: true, description: 'Your account that receives the money, in the order’s currency; default: your oldest account in that currency.' })
  beneficiaryAccountId?: string | null;
}

@InputType({ description: 'Captures an approved order, all that is left or a part.' })
export class CaptureOrderInput {
  @Field(() => ID, { description: 'The order.' })
  orderId!: string;

  @Field(() => String, { nullable: true, description: 'Decimal amount in major units, e.g. "10.00"; absent: all that is left of the authorization.' })
  amount?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'MULTIPLE mode: this is the last capture, release the rest. A SINGLE-mode capture, or one taking all that is left, is always final.' })
  final?: boolean | null;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@InputType({ description: 'A vendor’s step on an order.' })
export class OrderStepInput {
  @Field(() => ID, { description: 'The order.' })
  orderId!: string;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@ObjectType({ description: 'A page of orders.' })
export class OrderConnection extends ConnectionType('Order', OrderView) {}

@InputType({ description: 'Narrows a list of orders; every condition is optional and they all apply.' })
export class OrderFilter {
  @Field(() => OrderStatus, { nullable: true, description: 'Orders in this status only.' })
  status?: OrderStatus | null;

  @Field(() => ID, { nullable: true, description: 'Orders paid from or into this account.' })
  accountId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Created at or after this time (ISO 8601).' })
  createdAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Created before this time (ISO 8601).' })
  createdBefore?: Date | null;
}

@ObjectType({ description: 'The result of an order mutation.' })
export class OrderPayload {
  @Field(() => OrderView, { nullable: true, description: 'The order as it is after the mutation.' })
  order!: OrderView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}
