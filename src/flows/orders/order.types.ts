import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Amount, IDEMPOTENCY_KEY_DESCRIPTION, REQUEST_ID_DESCRIPTION, UserError, amountOf } from '../../graphql/common.types';
import type { Payment } from '../../payments/payment.entity';
import type { OrderDetails } from './order.entity';
import type { OrderLink } from './order.service';
import { OrderStatus } from './order.states';

registerEnumType(OrderStatus, { name: 'OrderStatus', description: 'iumiCash order status: created → approved → captured → completed, or cancelled.' });

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
}

@InputType({ description: 'A vendor’s step on an order.' })
export class OrderStepInput {
  @Field(() => ID, { description: 'The order.' })
  orderId!: string;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@ObjectType({ description: 'The result of an order mutation.' })
export class OrderPayload {
  @Field(() => OrderView, { nullable: true, description: 'The order as it is after the mutation.' })
  order!: OrderView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}
