import { ErrorCode, PaygridError } from '../shared/errors';
import { currencyScale } from './currencies';

/** Largest amount a ledger column holds (signed 64-bit). */
export const MAX_AMOUNT = 9223372036854775807n;

export interface Asset {
  assetCode: string;
  assetScale: number;
}

/**
 * The only amount syntax Paygrid reads: ASCII digits, no leading zero (but "0.50"), an optional
 * fraction of at least one digit. No blanks, signs, exponents, separators or other digits.
 */
const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;
/** Longer than any amount of an int64 column with its decimals: refused before any arithmetic. */
const MAX_AMOUNT_TEXT = 40;

/**
 * The amount written the one way Paygrid compares amounts ("10.90" and "10.9" → "10.9", "1.00" →
 * "1"), independent of any currency: idempotency fingerprints are made on it. Refuses what
 * `parseAmount` refuses for its syntax.
 */
export function normalizeAmount(text: unknown, field: string): string {
  if (typeof text !== 'string' || text.length > MAX_AMOUNT_TEXT) throw new PaygridError(ErrorCode.AMOUNT_INVALID, field);
  const match = DECIMAL.exec(text);
  if (!match) {
    if (text.startsWith('-') && DECIMAL.test(text.slice(1))) throw new PaygridError(ErrorCode.AMOUNT_NOT_POSITIVE, field);
    throw new PaygridError(ErrorCode.AMOUNT_INVALID, field);
  }
  const [, whole, fraction = ''] = match;
  const significant = fraction.replace(/0+$/, '');
  return significant ? `${whole}.${significant}` : whole;
}

/**
 * Parses a decimal string in major units ("50.90") into minor units of the given scale, exactly.
 * More decimals than the scale allows is an error, never a rounding; so are blanks, signs,
 * exponents, leading zeros, separators, non-ASCII digits, zero and values past int64.
 */
export function parseAmount(text: unknown, scale: number, field: string): bigint {
  const [whole, significant = ''] = normalizeAmount(text, field).split('.');
  if (significant.length > scale) {
    throw new PaygridError(
      ErrorCode.AMOUNT_TOO_PRECISE,
      field,
      `The amount has more than ${scale} decimal place${scale === 1 ? '' : 's'}.`,
    );
  }
  const minor = BigInt(whole + significant.padEnd(scale, '0'));
  if (minor === 0n) throw new PaygridError(ErrorCode.AMOUNT_NOT_POSITIVE, field);
  if (minor > MAX_AMOUNT) throw new PaygridError(ErrorCode.AMOUNT_TOO_LARGE, field);
  return minor;
}

/** Formats minor units as a decimal string in major units: 5090n, 2 → "50.90". */
export function formatAmount(minor: bigint, scale: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
  const whole = scale === 0 ? digits : digits.slice(0, -scale);
  const fraction = scale === 0 ? '' : `.${digits.slice(-scale)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Resolves an ISO 4217 code to its asset, refusing unknown codes and a scale that disagrees. */
export function currencyAsset(code: string, field: string, requestedScale?: number | null, scaleField?: string): Asset {
  const assetCode = typeof code === 'string' ? code.trim().toUpperCase() : '';
  const scale = currencyScale(assetCode);
  if (scale === undefined || code.trim() !== assetCode) {
    throw new PaygridError(ErrorCode.CURRENCY_UNKNOWN, field, `"${code}" is not a known ISO 4217 currency code (upper case, e.g. "EUR").`);
  }
  if (requestedScale != null && requestedScale !== scale) {
    throw new PaygridError(
      ErrorCode.ASSET_SCALE_MISMATCH,
      scaleField ?? field,
      `${assetCode} has ${scale} decimal place${scale === 1 ? '' : 's'}, not ${requestedScale}.`,
    );
  }
  return { assetCode, assetScale: scale };
}
