import { PaymentState } from '../../payments/payment.entity';
import { StateMachine } from '../../shared/state-machine';

/** The outgoing payment's own vocabulary (Rafiki's, without the ILP retries: Paygrid settles on its ledger). */
export enum OutgoingPaymentState {
  /** Created; its debit is being reserved on the sender's account. */
  FUNDING = 'funding',
  /** Reserved; being posted to the receiver. */
  SENDING = 'sending',
  COMPLETED = 'completed',
  FAILED = 'failed',
}

export const outgoingPaymentMachine = new StateMachine<OutgoingPaymentState>('outgoing payment', {
  funding: [OutgoingPaymentState.SENDING, OutgoingPaymentState.FAILED],
  sending: [OutgoingPaymentState.COMPLETED, OutgoingPaymentState.FAILED],
  completed: [],
  failed: [],
});

export const OUTGOING_UNIFIED_STATE: Record<OutgoingPaymentState, PaymentState> = {
  funding: PaymentState.CREATED,
  sending: PaymentState.ACCEPTED,
  completed: PaymentState.COMPLETED,
  failed: PaymentState.FAILED,
};
