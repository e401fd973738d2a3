import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertDown, formatRate, parseConfiguredRates, parseRate, sourceFor } from './rate';

test('parseRate: an exact fraction of a positive decimal, never a float', () => {
  assert.deepEqual(parseRate('1.0843'), { numerator: 10843n, denominator: 10000n });
  assert.deepEqual(parseRate('162'), { numerator: 162n, denominator: 1n });
  assert.deepEqual(parseRate('0.000000000001'), { numerator: 1n, denominator: 10n ** 12n });
  // 0.1 + 0.2 style drift cannot happen: the digits are kept as given.
  assert.equal(formatRate(parseRate('0.30000000000')), '0.3');
  assert.equal(formatRate(parseRate('162.50')), '162.5');
  assert.equal(formatRate(parseRate('1.0843')), '1.0843');
  for (const bad of ['0', '0.000', '-1', '1e3', '1.', '.5', '01.5', '1,5', ' 1.5', '1.0000000000001', 'NaN', 'Infinity', '']) {
    assert.throws(() => parseRate(bad), Error, bad);
  }
});

test('convertDown: minor units across scales, rounded down (EUR scale 2 → JPY scale 0, USD, and back)', () => {
  const eurJpy = parseRate('162.57');
  // 10.00 EUR = 1625.7 JPY → 1625 JPY (the receiver never gets more than the rate gives)
  assert.equal(convertDown(1000n, eurJpy, 2, 0), 1625n);
  assert.equal(convertDown(1n, eurJpy, 2, 0), 1n); // 0.01 EUR = 1.6257 JPY
  const jpyEur = parseRate('0.00615');
  // 1000 JPY = 6.15 EUR exactly
  assert.equal(convertDown(1000n, jpyEur, 0, 2), 615n);
  assert.equal(convertDown(1n, jpyEur, 0, 2), 0n); // 1 JPY buys less than a cent
  const eurUsd = parseRate('1.0843');
  assert.equal(convertDown(2500n, eurUsd, 2, 2), 2710n); // 27.1075 USD → 27.10
  assert.equal(convertDown(10000n, eurUsd, 2, 2), 10843n); // exact: nothing lost
  // Scale 2 → 3 (e.g. EUR → KWD-like): more places on the receiver's side.
  assert.equal(convertDown(1n, parseRate('0.333'), 2, 3), 3n);
  // Large amounts stay exact in bigint (no 2^53 limit).
  assert.equal(convertDown(9223372036854775807n, parseRate('1'), 2, 2), 9223372036854775807n);
  assert.equal(convertDown(9007199254740993n, parseRate('1.5'), 2, 2), 13510798882111489n);
});

test('sourceFor: the least source amount that converts to at least the target, rounded up', () => {
  const cases: Array<[string, number, number, bigint]> = [
    ['162.57', 2, 0, 1625n],
    ['162.57', 2, 0, 1626n],
    ['1.0843', 2, 2, 2710n],
    ['1.0843', 2, 2, 10843n],
    ['0.00615', 0, 2, 615n],
    ['0.00615', 0, 2, 1n],
    ['0.333', 2, 3, 1000n],
  ];
  for (const [text, fromScale, toScale, target] of cases) {
    const rate = parseRate(text);
    const source = sourceFor(target, rate, fromScale, toScale);
    assert.ok(convertDown(source, rate, fromScale, toScale) >= target, `${source} at ${text} delivers ${target}`);
    assert.ok(convertDown(source - 1n, rate, fromScale, toScale) < target, `${source - 1n} at ${text} would not: the sender pays no more than needed`);
  }
  assert.equal(sourceFor(10843n, parseRate('1.0843'), 2, 2), 10000n, 'exact when the rate divides');
  assert.equal(sourceFor(1625n, parseRate('162.57'), 2, 0), 1000n); // 9.99 EUR gives 1624.07 JPY: one cent short
  assert.equal(sourceFor(1n, parseRate('0.00615'), 0, 2), 2n); // 1 JPY = 0.615 cent, 2 JPY = 1.23 cents
  assert.equal(sourceFor(100n, parseRate('0.00615'), 0, 2), 163n); // 163 JPY = 1.00245 EUR, 162 JPY = 0.9963
});

test('parseConfiguredRates: FROM:TO=RATE pairs, each direction its own, checked', () => {
  assert.deepEqual(parseConfiguredRates('EUR:USD=1.0843, EUR:JPY=162.5'), [
    { from: 'EUR', to: 'USD', rate: { numerator: 10843n, denominator: 10000n } },
    { from: 'EUR', to: 'JPY', rate: { numerator: 1625n, denominator: 10n } },
  ]);
  assert.throws(() => parseConfiguredRates('EUR-USD=1.1'), /FROM:TO=RATE/);
  assert.throws(() => parseConfiguredRates('EUR:XXY=1.1'), /XXY/);
  assert.throws(() => parseConfiguredRates('EUR:EUR=1'), /into itself/);
  assert.throws(() => parseConfiguredRates('EUR:USD=1.1,EUR:USD=1.2'), /twice/);
  assert.throws(() => parseConfiguredRates('EUR:USD=1.1.1'), /positive decimal/);
  assert.throws(() => parseConfiguredRates('EUR:USD=0'), /greater than zero|positive decimal/);
});
