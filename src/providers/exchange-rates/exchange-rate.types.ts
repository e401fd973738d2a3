import { Field, InputType, ObjectType } from 'type-graphql';
import { IDEMPOTENCY_KEY_DESCRIPTION, UserError } from '../../graphql/common.types';
import type { JudgedRate } from './exchange-rates';
import { formatRate } from './rate';

@ObjectType('ExchangeRate', { description: 'A rate of the exchange-rate provider: one major unit of `from` is worth `rate` major units of `to`.' })
export class ExchangeRateView {
  @Field({ description: '`FROM:TO`, e.g. `EUR:USD`.' })
  pair!: string;

  @Field({ description: 'The asset converted from (the sender’s).' })
  from!: string;

  @Field({ description: 'The asset converted into (the receiver’s).' })
  to!: string;

  @Field({ description: 'The exact decimal rate, e.g. "1.0843" (never a float).' })
  rate!: string;

  @Field({ description: 'When the provider last set it.' })
  updatedAt!: Date;

  @Field({ description: 'Older than EXCHANGE_RATE_MAX_AGE_SECONDS: quotes between these assets are refused until it is updated.' })
  stale!: boolean;
}

export function exchangeRateView(rate: JudgedRate): ExchangeRateView {
  return { pair: `${rate.from}:${rate.to}`, from: rate.from, to: rate.to, rate: formatRate(rate.rate), updatedAt: rate.updatedAt, stale: rate.stale };
}

@InputType({ description: 'Sets the rate of one pair (one direction).' })
export class SetExchangeRateInput {
  @Field({ description: 'ISO 4217 code of the asset converted from, e.g. "EUR".' })
  from!: string;

  @Field({ description: 'ISO 4217 code of the asset converted into, e.g. "USD".' })
  to!: string;

  @Field({ description: 'A positive decimal: major units of `to` per major unit of `from`, e.g. "1.0843".' })
  rate!: string;

  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@ObjectType({ description: 'The result of setExchangeRate.' })
export class ExchangeRatePayload {
  @Field(() => ExchangeRateView, { nullable: true, description: 'The pair as now stored.' })
  exchangeRate!: ExchangeRateView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}
