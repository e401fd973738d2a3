import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { feeFor, receiveFor } from './fee';

const policy = (fixed: bigint, basisPoints: bigint) => ({ fixed, basisPoints });

test('feeFor: fixed plus basis points rounded up to the next minor unit', () => {
  const cases: Array<[bigint, bigint, bigint, bigint]> = [
    [0n, 0n, 1000n, 0n],
    [30n, 0n, 1000n, 30n],
    [0n, 100n, 1000n, 10n], // 1% of 10.00 = 0.10 exactly
    [0n, 100n, 1001n, 11n], // 10.01 → 0.1001 rounds up to 0.11
    [0n, 1n, 1n, 1n], // the smallest fee is one minor unit
    [25n, 250n, 9223372036854775n, 25n + 230584300921370n], // bigint, no precision lost
  ];
  for (const [fixed, bps, receive, fee] of cases) assert.equal(feeFor(policy(fixed, bps), receive), fee, `${fixed}+${bps}bps of ${receive}`);
});

test('receiveFor: the largest receive the debit pays for, fee included', () => {
  for (const [fixed, bps] of [[0n, 0n], [30n, 0n], [0n, 100n], [25n, 250n], [1n, 9999n]] as const) {
    for (const debit of [100n, 101n, 1000n, 12345n, 99999n]) {
      const p = policy(fixed, bps);
      const receive = receiveFor(p, debit, 'debitAmount');
      assert.ok(receive + feeFor(p, receive) <= debit, `${fixed}/${bps}/${debit}`);
      assert.ok(receive + 1n + feeFor(p, receive + 1n) > debit, `${fixed}/${bps}/${debit} not the largest`);
    }
  }
});

test('receiveFor: a debit that does not cover the fee is refused', () => {
  assert.throws(() => receiveFor(policy(100n, 0n), 100n, 'debitAmount'), (e: unknown) => e instanceof PaygridError && e.code === ErrorCode.AMOUNT_NOT_POSITIVE);
});
