import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Amount, IDEMPOTENCY_KEY_DESCRIPTION, UserError, amountOf } from '../../graphql/common.types';
import type { ResourceUrls } from '../resources/resource-urls';
import { receiveAssetOf, type QuoteRecord } from './quote.service';

@ObjectType('Quote', { description: 'The price of paying an incoming payment from a wallet address: debit = principal + fee (sender’s asset), receive = principal at the exchange rate (receiver’s asset).' })
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

  @Field(() => Amount, { description: 'What reaches the receiver, in the receiver’s asset.' })
  receiveAmount!: Amount;

  @Field(() => Amount, { description: 'The platform’s fee, in the sender’s asset: OP_FEE_FIXED + OP_FEE_BASIS_POINTS of the principal (debit − fee), rounded up.' })
  fee!: Amount;

  @Field(() => String, { nullable: true, description: 'Between two assets: the exact rate used, major units of the receiver’s asset per major unit of the sender’s ("1.0843"); null within one asset. The receive amount is rounded down, the debit for a fixed receive amount up.' })
  exchangeRate!: string | null;

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
    receiveAmount: amountOf(quote.receiveAmount, receiveAssetOf(quote).assetCode, receiveAssetOf(quote).assetScale),
    fee: amount(quote.fee),
    exchangeRate: quote.exchangeRate,
    expiresAt: quote.expiresAt,
    used: quote.outgoingPaymentId !== null,
    createdAt: quote.createdAt,
  };
}

@InputType({ description: 'Quotes paying an incoming payment (here or on a peer instance) from a wallet address of yours; between two assets at the exchange rate.' })
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
