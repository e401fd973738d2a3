import { PaymentState } from '../../payments/payment.entity';
import { StateMachine } from '../../shared/state-machine';

/** The account payment's own vocabulary (reference 004 plus the authorized and declined steps). */
export enum AccountPaymentStatus {
  PENDING = 'pending',
  AUTHORIZED = 'authorized',
  COMPLETED = 'completed',
  DECLINED = 'declined',
  CANCELLED = 'cancelled',
  /** Authorized and never executed in time: the reservation was released. */
  EXPIRED = 'expired',
}

export const accountPaymentMachine = new StateMachine<AccountPaymentStatus>('payment', {
  pending: [AccountPaymentStatus.AUTHORIZED, AccountPaymentStatus.DECLINED, AccountPaymentStatus.CANCELLED],
  authorized: [AccountPaymentStatus.COMPLETED, AccountPaymentStatus.CANCELLED, AccountPaymentStatus.EXPIRED],
  completed: [],
  declined: [],
  cancelled: [],
  expired: [],
});

/** How each flow state reads in the unified vocabulary shared by every flow. */
export const UNIFIED_STATE: Record<AccountPaymentStatus, PaymentState> = {
  pending: PaymentState.PENDING,
  authorized: PaymentState.ACCEPTED,
  completed: PaymentState.COMPLETED,
  declined: PaymentState.REJECTED,
  cancelled: PaymentState.CANCELLED,
  expired: PaymentState.EXPIRED,
};

export { transactionMachine } from '../../payments/transaction-state';
