import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Amount, IDEMPOTENCY_KEY_DESCRIPTION, UserError, amountOf } from '../../graphql/common.types';
import type { ResourceUrls } from '../resources/resource-urls';
import type { QuoteRecord } from './quote.service';

@ObjectType('Quote', { description: 'The price of paying an incoming payment from a wallet address: debit = receive + fee.' })
export class QuoteView {
  @Field(() => ID, { description: 'Quote id, `quo_…`.' })
  id!: string;

  @Field({ description: 'Its Open Payments URL, the `quoteId` of an outgoing payment.' })
  url!: string;

  @Field({ description: 'The wallet address that pays.' })
  walletAddress!: string;

  @Field({ description: 'The incoming payment it pays (URL).' })
  receiver!: string;

  @Field(() => Amount, { description: 'What leaves the sender’s account, fee included.' })
  debitAmount!: Amount;

  @Field(() => Amount, { description: 'What reaches the receiver.' })
  receiveAmount!: Amount;

  @Field(() => Amount, { description: 'The platform’s fee: OP_FEE_FIXED + OP_FEE_BASIS_POINTS of the receive amount, rounded up.' })
  fee!: Amount;

  @Field({ description: 'Until when an outgoing payment may use it.' })
  expiresAt!: Date;

  @Field({ description: 'Whether an outgoing payment used it (a quote is used once).' })
  used!: boolean;

  @Field({ description: 'When it was created.' })
  createdAt!: Date;
}

export function quoteView({ quote, wallet }: QuoteRecord, urls: ResourceUrls): QuoteView {
  const amount = (v: bigint) => amountOf(v, quote.assetCode, quote.assetScale);
  return {
    id: quote.id,
    url: urls.quote(quote.id),
    walletAddress: wallet.url,
    receiver: quote.receiverUrl ?? urls.incomingPayment(quote.receiverPaymentId),
    debitAmount: amount(quote.debitAmount),
    receiveAmount: amount(quote.receiveAmount),
    fee: amount(quote.fee),
    expiresAt: quote.expiresAt,
    used: quote.outgoingPaymentId !== null,
    createdAt: quote.createdAt,
  };
}

@InputType({ description: 'Quotes paying an incoming payment on this Paygrid from a wallet address of yours, in the same asset.' })
export class CreateQuoteInput {
  @Field({ description: 'The wallet address URL that pays; its account must be yours.' })
  walletAddress!: string;

  @Field({ description: 'The incoming payment URL to pay.' })
  receiver!: string;

  @Field(() => String, { nullable: true, description: 'Fixed send: what leaves your account, in major units ("25.00"). Not with receiveAmount.' })
  debitAmount?: string | null;

  @Field(() => String, { nullable: true, description: 'Fixed receive: what arrives, in major units. Without either, what the incoming payment still expects.' })
  receiveAmount?: string | null;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@ObjectType({ description: 'The result of createQuote.' })
export class QuotePayload {
  @Field(() => QuoteView, { nullable: true, description: 'The quote.' })
  quote!: QuoteView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}
