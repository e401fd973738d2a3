import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingPaymentState as S, incomingPaymentMachine } from './incoming-payment.states';
import { OutgoingPaymentState as O, outgoingPaymentMachine } from '../outgoing-payments/outgoing-payment.states';

test('incoming payment: money arrives while pending or processing; completed and expired are final', () => {
  const allowed: Array<[S, S]> = [
    [S.PENDING, S.PROCESSING],
    [S.PENDING, S.COMPLETED],
    [S.PENDING, S.EXPIRED],
    [S.PROCESSING, S.COMPLETED],
    [S.PROCESSING, S.EXPIRED],
  ];
  for (const from of Object.values(S)) {
    for (const to of Object.values(S)) {
      assert.equal(incomingPaymentMachine.canMove(from, to), allowed.some(([f, t]) => f === from && t === to), `${from} → ${to}`);
    }
  }
  assert.ok(incomingPaymentMachine.isFinal(S.COMPLETED) && incomingPaymentMachine.isFinal(S.EXPIRED));
});

test('outgoing payment: funding → sending → completed, failed from either; final states never change', () => {
  const allowed: Array<[O, O]> = [
    [O.FUNDING, O.SENDING],
    [O.FUNDING, O.FAILED],
    [O.SENDING, O.COMPLETED],
    [O.SENDING, O.FAILED],
  ];
  for (const from of Object.values(O)) {
    for (const to of Object.values(O)) {
      assert.equal(outgoingPaymentMachine.canMove(from, to), allowed.some(([f, t]) => f === from && t === to), `${from} → ${to}`);
    }
  }
  assert.throws(() => outgoingPaymentMachine.assertMove(O.COMPLETED, O.FAILED), /final state/);
});
