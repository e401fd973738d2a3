import { PaymentState } from '../../payments/payment.entity';
import { StateMachine } from '../../shared/state-machine';

/** The incoming payment's own vocabulary (Rafiki's): money arrives while it is pending or processing. */
export enum IncomingPaymentState {
  PENDING = 'pending',
  /** Some money arrived, not all that is expected. */
  PROCESSING = 'processing',
  COMPLETED = 'completed',
  EXPIRED = 'expired',
}

export const incomingPaymentMachine = new StateMachine<IncomingPaymentState>('incoming payment', {
  pending: [IncomingPaymentState.PROCESSING, IncomingPaymentState.COMPLETED, IncomingPaymentState.EXPIRED],
  processing: [IncomingPaymentState.COMPLETED, IncomingPaymentState.EXPIRED],
  completed: [],
  expired: [],
});

export const INCOMING_UNIFIED_STATE: Record<IncomingPaymentState, PaymentState> = {
  pending: PaymentState.PENDING,
  processing: PaymentState.ACCEPTED,
  completed: PaymentState.COMPLETED,
  expired: PaymentState.EXPIRED,
};
