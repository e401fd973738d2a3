import type { Rate } from './rate';

/** A rate as a provider gives it: the pair, the exact rate and when the provider last set it. */
export interface ProvidedRate {
  from: string;
  to: string;
  rate: Rate;
  updatedAt: Date;
}

/** An operator's change of one pair (the sandbox's; a live feed would refuse it). */
export interface SetRate {
  from: string;
  to: string;
  /** Decimal, e.g. "1.0843". */
  rate: string;
  idempotencyKey: string;
}

/**
 * An exchange-rate provider (a bank's or market data feed): Paygrid asks it for the rate of a
 * pair and judges its age itself (src/providers/exchange-rates/exchange-rates.ts), so the sandbox
 * can be replaced by a real connector. Each direction is its own pair.
 */
export interface ExchangeRateProvider {
  /** The rate converting `from` into `to`; null when the provider has none. */
  rate(from: string, to: string): Promise<ProvidedRate | null>;
  /** Every pair it has, by pair. */
  list(): Promise<ProvidedRate[]>;
  /** Sets a pair by hand for `by` (the operator's client id), once per idempotency key of theirs. */
  set(by: string, input: SetRate): Promise<ProvidedRate>;
}
