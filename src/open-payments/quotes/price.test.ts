import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRate } from '../../providers/exchange-rates/rate';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { priceOf } from './price';

const EUR = { assetCode: 'EUR', assetScale: 2 };
const JPY = { assetCode: 'JPY', assetScale: 0 };
const USD = { assetCode: 'USD', assetScale: 2 };
const amount = (value: string, asset: { assetCode: string; assetScale: number }) => ({ value, ...asset });
const noFee = { fixed: 0n, basisPoints: 0n };
const fee = { fixed: 30n, basisPoints: 100n };

test('within one asset: receive = principal, debit = receive + fee (as before)', () => {
  assert.deepEqual(priceOf(fee, EUR, EUR, { receiveAmount: amount('1000', EUR), remaining: null }, null), { debit: 1040n, receive: 1000n, fee: 40n, receiveAsset: EUR, exchangeRate: null });
  assert.deepEqual(priceOf(fee, EUR, EUR, { debitAmount: amount('1040', EUR), remaining: null }, null), { debit: 1040n, receive: 1000n, fee: 40n, receiveAsset: EUR, exchangeRate: null });
});

test('fixed send EUR → JPY: the principal converts rounded down, the fee stays in EUR', () => {
  const rate = parseRate('162.57');
  const price = priceOf(fee, EUR, JPY, { debitAmount: amount('1040', EUR), remaining: null }, rate);
  // 10.40 EUR: fee 0.30 + 1% of the principal; principal 10.00 EUR → 1625.7 JPY → 1625
  assert.deepEqual(price, { debit: 1040n, receive: 1625n, fee: 40n, receiveAsset: JPY, exchangeRate: '162.57' });
});

test('fixed receive EUR → JPY: the least principal that delivers it, rounded up, then the fee on it', () => {
  const rate = parseRate('162.57');
  const price = priceOf(noFee, EUR, JPY, { receiveAmount: amount('1625', JPY), remaining: null }, rate);
  assert.deepEqual(price, { debit: 1000n, receive: 1625n, fee: 0n, receiveAsset: JPY, exchangeRate: '162.57' });
  const one = priceOf(noFee, EUR, JPY, { receiveAmount: amount('1626', JPY), remaining: null }, rate);
  assert.equal(one.debit, 1001n, '10.01 EUR = 1627.3 JPY ≥ 1626; 10.00 EUR would be short');
  const withFee = priceOf(fee, EUR, JPY, { receiveAmount: amount('1626', JPY), remaining: null }, rate);
  assert.equal(withFee.debit, 1001n + 30n + 11n);
  assert.equal(withFee.fee, 41n);
});

test('what the incoming payment still expects is delivered exactly, in its asset (USD → EUR, the other direction)', () => {
  const price = priceOf(noFee, USD, EUR, { remaining: 2500n }, parseRate('0.9222'));
  assert.equal(price.receive, 2500n);
  assert.equal(price.debit, 2711n); // 27.11 USD = 25.000842 EUR; 27.10 would give 24.99162
});

test('refusals: amounts in the wrong asset, too small to deliver a minor unit, more than the receiver expects', () => {
  const rate = parseRate('0.00615');
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return [(error as PaygridError).code, (error as PaygridError).field?.join('.')];
    }
    return null;
  };
  assert.deepEqual(code(() => priceOf(noFee, JPY, EUR, { debitAmount: amount('1', JPY), remaining: null }, rate)), [ErrorCode.AMOUNT_NOT_POSITIVE, 'debitAmount']);
  assert.deepEqual(code(() => priceOf(noFee, JPY, EUR, { receiveAmount: amount('100', JPY), remaining: null }, rate)), [ErrorCode.ASSET_MISMATCH, 'receiveAmount.assetCode']);
  assert.deepEqual(code(() => priceOf(noFee, JPY, EUR, { debitAmount: amount('100', EUR), remaining: null }, rate)), [ErrorCode.ASSET_MISMATCH, 'debitAmount.assetCode']);
  assert.deepEqual(code(() => priceOf(noFee, JPY, EUR, { debitAmount: amount('100000', JPY), remaining: 600n }, rate)), [ErrorCode.AMOUNT_TOO_LARGE, 'debitAmount']);
  assert.deepEqual(code(() => priceOf(noFee, EUR, JPY, { receiveAmount: amount('9223372036854775807', JPY), remaining: null }, parseRate('0.5'))), [ErrorCode.AMOUNT_TOO_LARGE, 'receiveAmount']);
  assert.deepEqual(code(() => priceOf(noFee, EUR, JPY, { debitAmount: amount('9223372036854775807', EUR), remaining: null }, parseRate('162'))), [ErrorCode.AMOUNT_TOO_LARGE, 'debitAmount']);
});
