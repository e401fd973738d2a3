import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, PaygridError } from '../shared/errors';
import { MAX_AMOUNT, currencyAsset, formatAmount, normalizeAmount, parseAmount } from './money';

/** Asserts that `run` throws a PaygridError with this code and field path (and message, when given). */
function assertRefused(run: () => unknown, code: ErrorCode, field: string[], message?: string, label = ''): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof PaygridError, `${label}: expected a PaygridError, got ${String(error)}`);
    assert.equal(error.code, code, label);
    assert.deepEqual(error.field, field, label);
    if (message !== undefined) assert.equal(error.message, message, label);
    return true;
  });
}

describe('parseAmount', () => {
  // [text, scale, minor units or the refusal's code]
  const cases: Array<[string, number, bigint | ErrorCode]> = [
    // accepted, exactly
    ['1', 2, 100n],
    ['50.90', 2, 5090n],
    ['50.9', 2, 5090n],
    ['50.900', 2, 5090n], // trailing zeros add no precision: exact, accepted
    ['0.01', 2, 1n],
    ['0.50', 2, 50n], // a single zero before the point is not a leading zero
    ['10', 2, 1000n],
    ['92233720368547758.07', 2, MAX_AMOUNT],
    ['9223372036854775807', 0, MAX_AMOUNT],
    ['100', 0, 100n], // JPY
    ['100.0', 0, 100n],
    ['1.234', 3, 1234n], // BHD
    ['0.001', 3, 1n],
    ['1.5', 3, 1500n],
    // zero and negatives
    ['0', 2, ErrorCode.AMOUNT_NOT_POSITIVE],
    ['0.00', 2, ErrorCode.AMOUNT_NOT_POSITIVE],
    ['-0', 2, ErrorCode.AMOUNT_NOT_POSITIVE],
    ['-1', 2, ErrorCode.AMOUNT_NOT_POSITIVE],
    ['-0.001', 2, ErrorCode.AMOUNT_NOT_POSITIVE],
    ['-9223372036854775808', 0, ErrorCode.AMOUNT_NOT_POSITIVE],
    // not a plain decimal
    ['1e3', 2, ErrorCode.AMOUNT_INVALID],
    ['1.', 2, ErrorCode.AMOUNT_INVALID],
    ['.5', 2, ErrorCode.AMOUNT_INVALID],
    ['', 2, ErrorCode.AMOUNT_INVALID],
    ['   ', 2, ErrorCode.AMOUNT_INVALID],
    ['12,50', 2, ErrorCode.AMOUNT_INVALID],
    ['+1', 2, ErrorCode.AMOUNT_INVALID],
    ['-abc', 2, ErrorCode.AMOUNT_INVALID],
    ['1.2.3', 2, ErrorCode.AMOUNT_INVALID],
    ['0x10', 2, ErrorCode.AMOUNT_INVALID],
    ['1 000', 2, ErrorCode.AMOUNT_INVALID],
    ['١٢', 2, ErrorCode.AMOUNT_INVALID], // non-ASCII digits
    ['Infinity', 2, ErrorCode.AMOUNT_INVALID],
    ['NaN', 2, ErrorCode.AMOUNT_INVALID],
    ['１', 2, ErrorCode.AMOUNT_INVALID], // full-width digit
    ['1\u00a0000', 2, ErrorCode.AMOUNT_INVALID],
    ['1_000', 2, ErrorCode.AMOUNT_INVALID],
    ['1.000,00', 2, ErrorCode.AMOUNT_INVALID],
    ['1e-2', 2, ErrorCode.AMOUNT_INVALID],
    ['1E3', 2, ErrorCode.AMOUNT_INVALID],
    // blanks and leading zeros: refused, not trimmed or normalized away
    [' 1.00', 2, ErrorCode.AMOUNT_INVALID],
    ['1.00 ', 2, ErrorCode.AMOUNT_INVALID],
    [' 1', 2, ErrorCode.AMOUNT_INVALID],
    ['\t1', 2, ErrorCode.AMOUNT_INVALID],
    ['1\n', 2, ErrorCode.AMOUNT_INVALID],
    ['00001.00', 2, ErrorCode.AMOUNT_INVALID],
    ['00012.30', 2, ErrorCode.AMOUNT_INVALID],
    ['01', 2, ErrorCode.AMOUNT_INVALID],
    ['00', 2, ErrorCode.AMOUNT_INVALID],
    ['00.5', 2, ErrorCode.AMOUNT_INVALID],
    ['-01', 2, ErrorCode.AMOUNT_INVALID],
    // over-long input, refused before any arithmetic
    ['1'.repeat(41), 0, ErrorCode.AMOUNT_INVALID],
    ['1.' + '0'.repeat(100_000), 2, ErrorCode.AMOUNT_INVALID],
    // more decimals than the asset has: refused, never rounded
    ['1.001', 2, ErrorCode.AMOUNT_TOO_PRECISE],
    ['0.001', 2, ErrorCode.AMOUNT_TOO_PRECISE],
    ['100.5', 0, ErrorCode.AMOUNT_TOO_PRECISE],
    ['1.2345', 3, ErrorCode.AMOUNT_TOO_PRECISE],
    // past signed 64-bit
    ['92233720368547758.08', 2, ErrorCode.AMOUNT_TOO_LARGE],
    ['18446744073709551616', 0, ErrorCode.AMOUNT_TOO_LARGE], // 2^64
    ['9223372036854775808', 0, ErrorCode.AMOUNT_TOO_LARGE],
    ['99999999999999999999999', 2, ErrorCode.AMOUNT_TOO_LARGE],
  ];

  for (const [text, scale, expected] of cases) {
    const label = `${JSON.stringify(text)} at scale ${scale}`;
    if (typeof expected === 'bigint') {
      it(`${label} → ${expected}`, () => {
        assert.equal(parseAmount(text, scale, 'amount'), expected);
      });
    } else {
      it(`${label} → ${expected} on the field`, () => {
        assertRefused(() => parseAmount(text, scale, 'amount'), expected, ['amount'], undefined, label);
      });
    }
  }

  it('names the decimals allowed when refusing a too precise amount', () => {
    assertRefused(() => parseAmount('100.5', 0, 'amount'), ErrorCode.AMOUNT_TOO_PRECISE, ['amount'], 'The amount has more than 0 decimal places.');
    assertRefused(() => parseAmount('1.23', 1, 'amount'), ErrorCode.AMOUNT_TOO_PRECISE, ['amount'], 'The amount has more than 1 decimal place.');
    assertRefused(() => parseAmount('1.2345', 3, 'amount'), ErrorCode.AMOUNT_TOO_PRECISE, ['amount'], 'The amount has more than 3 decimal places.');
  });

  it('reports a dotted field as a path', () => {
    assertRefused(() => parseAmount('abc', 2, 'input.amount'), ErrorCode.AMOUNT_INVALID, ['input', 'amount']);
  });

  it('normalizes equal amounts to one text, whatever the currency, for fingerprints', () => {
    for (const [text, normal] of [['10.9', '10.9'], ['10.90', '10.9'], ['10.900', '10.9'], ['1.00', '1'], ['1', '1'], ['0.50', '0.5'], ['0', '0']]) {
      assert.equal(normalizeAmount(text, 'amount'), normal, text);
    }
    assertRefused(() => normalizeAmount('010.9', 'amount'), ErrorCode.AMOUNT_INVALID, ['amount']);
  });

  it('refuses a value that is not a string at all', () => {
    assertRefused(() => parseAmount(12 as unknown as string, 2, 'amount'), ErrorCode.AMOUNT_INVALID, ['amount']);
    assertRefused(() => parseAmount(null as unknown as string, 2, 'amount'), ErrorCode.AMOUNT_INVALID, ['amount']);
  });
});

describe('formatAmount', () => {
  const cases: Array<[bigint, number, string]> = [
    [0n, 2, '0.00'],
    [0n, 0, '0'],
    [0n, 3, '0.000'],
    [1n, 2, '0.01'],
    [5090n, 2, '50.90'],
    [-5n, 2, '-0.05'],
    [-5090n, 2, '-50.90'],
    [100n, 0, '100'],
    [-7n, 0, '-7'],
    [1234n, 3, '1.234'],
    [1n, 3, '0.001'],
    [-1500n, 3, '-1.500'],
    [MAX_AMOUNT, 2, '92233720368547758.07'],
    [-MAX_AMOUNT, 0, '-9223372036854775807'],
  ];
  for (const [minor, scale, expected] of cases) {
    it(`${minor} at scale ${scale} → ${expected}`, () => {
      assert.equal(formatAmount(minor, scale), expected);
    });
  }

  it('round-trips with parseAmount for positive amounts', () => {
    for (const [minor, scale] of [[1n, 2], [5090n, 2], [100n, 0], [1234n, 3], [MAX_AMOUNT, 2], [MAX_AMOUNT, 3]] as const) {
      assert.equal(parseAmount(formatAmount(minor, scale), scale, 'amount'), minor, `${minor} at scale ${scale}`);
    }
  });
});

describe('currencyAsset', () => {
  it('resolves known codes to their ISO 4217 scale', () => {
    assert.deepEqual(currencyAsset('EUR', 'currency'), { assetCode: 'EUR', assetScale: 2 });
    assert.deepEqual(currencyAsset('JPY', 'currency'), { assetCode: 'JPY', assetScale: 0 });
    assert.deepEqual(currencyAsset('BHD', 'currency'), { assetCode: 'BHD', assetScale: 3 });
  });

  it('accepts a requested scale that agrees, or none', () => {
    assert.deepEqual(currencyAsset('EUR', 'assetCode', 2, 'assetScale'), { assetCode: 'EUR', assetScale: 2 });
    assert.deepEqual(currencyAsset('JPY', 'assetCode', 0, 'assetScale'), { assetCode: 'JPY', assetScale: 0 });
    assert.deepEqual(currencyAsset('EUR', 'assetCode', null, 'assetScale'), { assetCode: 'EUR', assetScale: 2 });
  });

  for (const code of ['eur', 'Eur', 'EURO', 'XXX', '', 'E', 'constructor', 'TOSTRING']) {
    it(`refuses ${JSON.stringify(code)} as CURRENCY_UNKNOWN on the field`, () => {
      assertRefused(() => currencyAsset(code, 'currency'), ErrorCode.CURRENCY_UNKNOWN, ['currency'], undefined, code);
    });
  }

  it('names the code it refused', () => {
    assertRefused(
      () => currencyAsset('eur', 'currency'),
      ErrorCode.CURRENCY_UNKNOWN,
      ['currency'],
      '"eur" is not a known ISO 4217 currency code (upper case, e.g. "EUR").',
    );
  });

  it('refuses a scale that disagrees with the currency, on the scale field', () => {
    assertRefused(() => currencyAsset('EUR', 'assetCode', 3, 'assetScale'), ErrorCode.ASSET_SCALE_MISMATCH, ['assetScale'], 'EUR has 2 decimal places, not 3.');
    assertRefused(() => currencyAsset('JPY', 'assetCode', 2, 'assetScale'), ErrorCode.ASSET_SCALE_MISMATCH, ['assetScale'], 'JPY has 0 decimal places, not 2.');
    assertRefused(() => currencyAsset('BHD', 'assetCode', 2, 'assetScale'), ErrorCode.ASSET_SCALE_MISMATCH, ['assetScale'], 'BHD has 3 decimal places, not 2.');
  });

  it('falls back to the code field for a scale mismatch when no scale field is named', () => {
    assertRefused(() => currencyAsset('EUR', 'assetCode', 0), ErrorCode.ASSET_SCALE_MISMATCH, ['assetCode']);
  });

  it('checks the code before the scale', () => {
    assertRefused(() => currencyAsset('XXX', 'assetCode', 2, 'assetScale'), ErrorCode.CURRENCY_UNKNOWN, ['assetCode']);
  });
});
