import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PaymentState } from '../../payments/payment.entity';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { DepositState as S, TX_STATE, UNIFIED_DEPOSIT_STATE, depositMachine } from './deposit.states';

/** The steps the flow is meant to allow, written out independently of the machine; every other pair is refused. */
const STEPS: Array<[S, S]> = [
  [S.STARTED, S.IDENTIFIED],
  [S.STARTED, S.REJECTED],
  [S.STARTED, S.CANCELLED],
  [S.IDENTIFIED, S.SIGNED_IN],
  [S.IDENTIFIED, S.REJECTED],
  [S.IDENTIFIED, S.CANCELLED],
  [S.SIGNED_IN, S.AUTHORIZED],
  [S.SIGNED_IN, S.DECLINED],
  [S.SIGNED_IN, S.CANCELLED],
  [S.AUTHORIZED, S.DEPOSITED],
  [S.AUTHORIZED, S.CANCELLED],
  [S.DEPOSITED, S.COMPLETED],
];
const FINALS = [S.COMPLETED, S.REJECTED, S.DECLINED, S.CANCELLED];

describe('1-Click deposit state machine', () => {
  it('allows exactly the steps of the flow', () => {
    for (const from of Object.values(S)) {
      for (const to of Object.values(S)) {
        const legal = STEPS.some(([a, b]) => a === from && b === to);
        assert.equal(depositMachine.canMove(from, to), legal, `${from} → ${to}`);
        if (!legal) {
          assert.throws(() => depositMachine.assertMove(from, to, 'paymentId'), (e: unknown) => e instanceof PaygridError && e.code === ErrorCode.ILLEGAL_TRANSITION);
        }
      }
    }
  });

  it('never moves a final state, and a deposit once in moves only to completed', () => {
    for (const state of Object.values(S)) assert.equal(depositMachine.isFinal(state), FINALS.includes(state), state);
    assert.deepEqual(Object.values(S).filter((to) => depositMachine.canMove(S.DEPOSITED, to)), [S.COMPLETED]);
  });

  it('reads in the shared vocabulary and as PaymentIQ tx_state', () => {
    assert.equal(UNIFIED_DEPOSIT_STATE.deposited, PaymentState.ACCEPTED);
    assert.equal(UNIFIED_DEPOSIT_STATE.completed, PaymentState.COMPLETED);
    assert.equal(UNIFIED_DEPOSIT_STATE.declined, PaymentState.REJECTED);
    assert.equal(UNIFIED_DEPOSIT_STATE.cancelled, PaymentState.CANCELLED);
    assert.equal(TX_STATE.rejected, 'FAILED');
    assert.equal(TX_STATE.cancelled, 'CANCELLED');
  });
});
