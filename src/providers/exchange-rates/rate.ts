import { currencyAsset } from '../../money/money';

/**
 * An exchange rate as an exact fraction: one major unit of the source asset is worth
 * numerator / denominator major units of the target asset. Never a float: "1.0843" is 10843 / 10000.
 */
export interface Rate {
  numerator: bigint;
  denominator: bigint;
}

/** Up to 12 digits before the point and 12 after: wide enough for any currency pair, bounded for int64 products. */
const DECIMAL = /^(0|[1-9]\d{0,11})(?:\.(\d{1,12}))?$/;

/** A positive decimal rate ("1.0843"), or an Error saying why not. */
export function parseRate(text: string): Rate {
  const match = DECIMAL.exec(text);
  if (!match) throw new Error(`a rate is a positive decimal such as "1.0843", not "${text}"`);
  const fraction = match[2] ?? '';
  const rate = { numerator: BigInt(match[1] + fraction), denominator: 10n ** BigInt(fraction.length) };
  if (rate.numerator === 0n) throw new Error('a rate must be greater than zero');
  return rate;
}

/** The rate as the shortest decimal that is exactly it ("1.0843", "162.5"). */
export function formatRate({ numerator, denominator }: Rate): string {
  const digits = denominator.toString().length - 1;
  const whole = numerator / denominator;
  const fraction = (numerator % denominator).toString().padStart(digits, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

const pow10 = (n: number) => 10n ** BigInt(n);

/**
 * `amount` minor units of the source (scale `fromScale`) in minor units of the target (scale
 * `toScale`), rounded down: the receiver never gets more than the rate gives.
 */
export function convertDown(amount: bigint, rate: Rate, fromScale: number, toScale: number): bigint {
  return (amount * rate.numerator * pow10(toScale)) / (rate.denominator * pow10(fromScale));
}

/**
 * The least source amount that converts (rounded down) to at least `target`: rounded up, so the
 * sender never pays less than the rate asks for what the receiver gets.
 */
export function sourceFor(target: bigint, rate: Rate, fromScale: number, toScale: number): bigint {
  const numerator = target * rate.denominator * pow10(fromScale);
  const denominator = rate.numerator * pow10(toScale);
  return (numerator + denominator - 1n) / denominator;
}

/** One configured pair: `from` is converted into `to` at `rate`. */
export interface ConfiguredRate {
  from: string;
  to: string;
  rate: Rate;
}

/**
 * EXCHANGE_RATES: comma-separated `FROM:TO=RATE` pairs, e.g. `EUR:USD=1.0843,EUR:JPY=162.5`, each
 * direction its own pair (a provider quotes each side with its own spread, so no inverse is implied).
 */
export function parseConfiguredRates(text: string): ConfiguredRate[] {
  const rates: ConfiguredRate[] = [];
  for (const item of text.split(',').map((s) => s.trim())) {
    const match = /^([A-Z]{3}):([A-Z]{3})=(.+)$/.exec(item);
    if (!match) throw new Error(`each pair is FROM:TO=RATE (e.g. EUR:USD=1.0843), not "${item}"`);
    const [, from, to, rate] = match;
    for (const code of [from, to]) {
      try {
        currencyAsset(code, 'EXCHANGE_RATES');
      } catch {
        throw new Error(`"${code}" is not a known ISO 4217 currency code`);
      }
    }
    if (from === to) throw new Error(`${from}:${to} converts an asset into itself`);
    if (rates.some((r) => r.from === from && r.to === to)) throw new Error(`${from}:${to} is given twice`);
    rates.push({ from, to, rate: parseRate(rate) });
  }
  return rates;
}
