import type { Asset } from '../../money/money';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import type { ExchangeRateProvider, ProvidedRate, SetRate } from './exchange-rate-provider';
import type { Rate } from './rate';

/** A provider's rate with Paygrid's judgement of its age. */
export interface JudgedRate extends ProvidedRate {
  /** Older than EXCHANGE_RATE_MAX_AGE_SECONDS: no quote uses it. */
  stale: boolean;
}

/** What a quote converts with. */
export interface UsableRate {
  rate: Rate;
  /** The provider's update the quote used. */
  updatedAt: Date;
}

/**
 * The rates quotes may use: the provider's, refused when missing (EXCHANGE_RATE_UNAVAILABLE) or
 * older than the age limit (EXCHANGE_RATE_STALE), so no quote is priced on a rate nobody vouches
 * for any more.
 */
export class ExchangeRates {
  constructor(
    private readonly provider: ExchangeRateProvider,
    private readonly clock: Clock,
    private readonly maxAgeMs: number,
  ) {}

  async usable(from: Asset, to: Asset, field: string): Promise<UsableRate> {
    const found = await this.provider.rate(from.assetCode, to.assetCode);
    if (!found) throw new PaygridError(ErrorCode.EXCHANGE_RATE_UNAVAILABLE, field, `No exchange rate from ${from.assetCode} to ${to.assetCode} is known.`);
    if (this.isStale(found)) {
      throw new PaygridError(ErrorCode.EXCHANGE_RATE_STALE, field, `The ${from.assetCode} to ${to.assetCode} rate was last updated at ${found.updatedAt.toISOString()}, longer ago than the limit of ${this.maxAgeMs / 1000} s.`);
    }
    return { rate: found.rate, updatedAt: found.updatedAt };
  }

  async list(): Promise<JudgedRate[]> {
    return (await this.provider.list()).map((r) => ({ ...r, stale: this.isStale(r) }));
  }

  async set(by: string, input: SetRate): Promise<JudgedRate> {
    const rate = await this.provider.set(by, input);
    return { ...rate, stale: this.isStale(rate) };
  }

  private isStale(rate: ProvidedRate): boolean {
    return this.clock.now().getTime() - rate.updatedAt.getTime() > this.maxAgeMs;
  }
}
