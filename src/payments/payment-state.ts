import type { StateMachine } from '../shared/state-machine';
import type { Payment, PaymentState } from './payment.entity';

/**
 * The one way a payment changes state, whatever its flow: the flow's machine must allow the step
 * (else ILLEGAL_TRANSITION on `field`), and the unified state follows the flow's own.
 */
export function movePayment<S extends string>(
  payment: Payment,
  machine: StateMachine<S>,
  unified: Readonly<Record<S, PaymentState>>,
  to: S,
  now: Date,
  field?: string,
): void {
  machine.assertMove(payment.flowState as S, to, field);
  payment.flowState = to;
  payment.state = unified[to];
  payment.updatedAt = now;
}
