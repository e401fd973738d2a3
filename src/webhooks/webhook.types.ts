import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType, UserError } from '../graphql/common.types';
import type { WebhookAttempt } from './webhook-attempt.entity';
import { SignatureScheme, WebhookDelivery, WebhookDeliveryState } from './webhook-delivery.entity';

registerEnumType(WebhookDeliveryState, {
  name: 'WebhookDeliveryState',
  description: 'PENDING while attempts remain, DELIVERED once an attempt got a 2xx answer, DEAD once the attempts ran out (dead-lettered).',
});
registerEnumType(SignatureScheme, {
  name: 'WebhookSignatureScheme',
  description: 'Which signature a delivery carries besides the Standard Webhooks headers: IUMICASH (`iumicash-signature`), POWENS (`BI-Signature`), or STANDARD alone.',
});

@ObjectType('WebhookAttempt', { description: 'One HTTP request of a webhook delivery and how it ended.' })
export class WebhookAttemptView {
  @Field(() => Int, { description: 'Position among the delivery’s attempts: 1, 2, 3…' })
  number!: number;

  @Field({ description: 'When the request was signed and sent (its `webhook-timestamp`).' })
  attemptedAt!: Date;

  @Field(() => Int, { nullable: true, description: 'HTTP status the endpoint answered with; null when it did not answer.' })
  status!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the attempt failed without a usable answer (timeout, connection refused, redirect).' })
  error!: string | null;

  @Field(() => Int, { description: 'Milliseconds from sending the request to the answer or the failure.' })
  durationMs!: number;

  @Field({ description: 'Whether you asked for this attempt with resendWebhookDelivery.' })
  resend!: boolean;
}

export function webhookAttemptView(a: WebhookAttempt): WebhookAttemptView {
  return { number: a.number, attemptedAt: a.attemptedAt, status: a.status, error: a.error, durationMs: a.durationMs, resend: a.resend };
}

@ObjectType('WebhookDelivery', { description: 'A message Paygrid sends to your endpoint, with its attempts: retried with backoff for about three days, then dead-lettered.' })
export class WebhookDeliveryView {
  @Field(() => ID, { description: 'Delivery id, `whd_…`; sent as the `webhook-id` header, the same on every attempt: drop repeats by it.' })
  id!: string;

  @Field(() => ID, { nullable: true, description: 'The payment the message is about, if any.' })
  paymentId!: string | null;

  @Field({ description: 'What the message reports, e.g. PAYMENT_STATE_UPDATED.' })
  eventType!: string;

  @Field({ description: 'The endpoint it is POSTed to.' })
  url!: string;

  @Field({ description: 'The request body exactly as sent (JSON): the signatures cover these bytes.' })
  body!: string;

  @Field(() => SignatureScheme, { description: 'Which signature headers it carries.' })
  signatureScheme!: SignatureScheme;

  @Field(() => WebhookDeliveryState, { description: 'Where the delivery stands.' })
  state!: WebhookDeliveryState;

  @Field(() => Int, { description: 'Attempts made so far, re-sends included.' })
  attemptCount!: number;

  @Field(() => Date, { nullable: true, description: 'When the next attempt is due, while PENDING.' })
  nextAttemptAt!: Date | null;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the latest attempt, when the endpoint answered.' })
  lastStatus!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the latest attempt failed without a usable answer.' })
  lastError!: string | null;

  @Field({ description: 'When the delivery was recorded, with the change it reports.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When an attempt last got a 2xx answer.' })
  deliveredAt!: Date | null;
}

export function webhookDeliveryView(d: WebhookDelivery): WebhookDeliveryView {
  return {
    id: d.id,
    paymentId: d.paymentId,
    eventType: d.eventType,
    url: d.url,
    body: d.body,
    signatureScheme: d.scheme,
    state: d.state,
    attemptCount: d.attempts,
    nextAttemptAt: d.nextAttemptAt,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    createdAt: d.createdAt,
    deliveredAt: d.deliveredAt,
  };
}

@ObjectType({ description: 'A page of webhook deliveries.' })
export class WebhookDeliveryConnection extends ConnectionType('WebhookDelivery', WebhookDeliveryView) {}

@InputType({ description: 'Sends a delivered or dead-lettered webhook delivery once more.' })
export class ResendWebhookDeliveryInput {
  @Field(() => ID, { description: 'One of your deliveries, `whd_…`.' })
  deliveryId!: string;
}

@ObjectType({ description: 'The result of resendWebhookDelivery.' })
export class ResendWebhookDeliveryPayload {
  @Field(() => WebhookDeliveryView, { nullable: true, description: 'The delivery, PENDING with an attempt due now; null on an error.' })
  delivery!: WebhookDeliveryView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success. NOT_FOUND, or ILLEGAL_TRANSITION while the delivery is still pending.' })
  userErrors!: UserError[];
}
