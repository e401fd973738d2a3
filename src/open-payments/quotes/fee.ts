import { ErrorCode, PaygridError } from '../../shared/errors';

/** The sending fee: a fixed part plus basis points of what the receiver gets, in the sender's minor units. */
export interface FeePolicy {
  fixed: bigint;
  basisPoints: bigint;
}

/**
 * The fee for receiving `receive`: fixed + ceil(receive × bps / 10 000). The proportional part is
 * rounded up to the next minor unit, so the platform never charges less than its rate.
 */
export function feeFor(policy: FeePolicy, receive: bigint): bigint {
  const scaled = receive * policy.basisPoints;
  return policy.fixed + (scaled + 9999n) / 10000n;
}

/**
 * The largest receive amount that `debit` pays for, fee included (a fixed-send quote); the sender
 * pays exactly `debit`, and what rounding leaves over is part of the fee.
 */
export function receiveFor(policy: FeePolicy, debit: bigint, field: string): bigint {
  let receive = debit - policy.fixed <= 0n ? 0n : ((debit - policy.fixed) * 10000n) / (10000n + policy.basisPoints);
  while (receive > 0n && receive + feeFor(policy, receive) > debit) receive -= 1n;
  while (receive + 1n + feeFor(policy, receive + 1n) <= debit) receive += 1n;
  if (receive <= 0n) throw new PaygridError(ErrorCode.AMOUNT_NOT_POSITIVE, field, 'The debit amount does not cover the fee.');
  return receive;
}
