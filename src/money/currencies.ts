/**
 * ISO 4217 minor units for the currencies Paygrid accepts. The scale of an asset is fixed by its
 * currency: an account in EUR has scale 2, in JPY scale 0, in BHD scale 3.
 */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  AED: 2, AUD: 2, BGN: 2, BHD: 3, BRL: 2, CAD: 2, CHF: 2, CLP: 0, CNY: 2, CZK: 2, DKK: 2, EUR: 2,
  GBP: 2, HKD: 2, HUF: 2, IDR: 2, ILS: 2, INR: 2, ISK: 0, JOD: 3, JPY: 0, KRW: 0, KWD: 3, MAD: 2,
  MXN: 2, MYR: 2, NOK: 2, NZD: 2, OMR: 3, PHP: 2, PLN: 2, RON: 2, SAR: 2, SBD: 2, SEK: 2, SGD: 2,
  THB: 2, TND: 3, TRY: 2, TWD: 2, UAH: 2, USD: 2, VND: 0, XAF: 0, XOF: 0, ZAR: 2,
};

export function currencyScale(code: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(MINOR_UNITS, code) ? MINOR_UNITS[code] : undefined;
}
