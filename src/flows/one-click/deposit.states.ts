import { PaymentState } from '../../payments/payment.entity';
import { StateMachine } from '../../shared/state-machine';

/**
 * The 1-Click deposit's own vocabulary (reference open-payments.md D.1, the proposed session
 * states, folded into one machine): the identity provider identifies the player, the operator
 * accepts the sign-in and authorizes the deposit, the provider's payment step takes the money,
 * the operator books it.
 */
export enum DepositState {
  /** The browser is at the identity provider. */
  STARTED = 'started',
  /** The provider identified the player and returned KYC data; signin goes to the operator. */
  IDENTIFIED = 'identified',
  /** The operator accepted the sign-in with its userId; authorize goes to the operator. */
  SIGNED_IN = 'signed_in',
  /** The operator authorized the deposit; the player pays at the provider's payment step. */
  AUTHORIZED = 'authorized',
  /** The provider took the money; it is in the operator's account; transfer goes to the operator until it accepts. */
  DEPOSITED = 'deposited',
  /** The operator booked the transfer. */
  COMPLETED = 'completed',
  /** The player denied, the provider refused the identity, or the operator refused the sign-in. */
  REJECTED = 'rejected',
  /** The operator declined authorize: no money moved. */
  DECLINED = 'declined',
  /** Stopped after authorize (the payment failed) or by the operator: no money moved; cancel goes to the operator when it had authorized. */
  CANCELLED = 'cancelled',
}

export const depositMachine = new StateMachine<DepositState>('deposit', {
  started: [DepositState.IDENTIFIED, DepositState.REJECTED, DepositState.CANCELLED],
  identified: [DepositState.SIGNED_IN, DepositState.REJECTED, DepositState.CANCELLED],
  signed_in: [DepositState.AUTHORIZED, DepositState.DECLINED, DepositState.CANCELLED],
  authorized: [DepositState.DEPOSITED, DepositState.CANCELLED],
  deposited: [DepositState.COMPLETED],
  completed: [],
  rejected: [],
  declined: [],
  cancelled: [],
});

export const UNIFIED_DEPOSIT_STATE: Record<DepositState, PaymentState> = {
  started: PaymentState.CREATED,
  identified: PaymentState.PENDING,
  signed_in: PaymentState.PENDING,
  authorized: PaymentState.PENDING,
  deposited: PaymentState.ACCEPTED,
  completed: PaymentState.COMPLETED,
  rejected: PaymentState.REJECTED,
  declined: PaymentState.REJECTED,
  cancelled: PaymentState.CANCELLED,
};

/** PaymentIQ's transaction state shown as `tx_state` in the error redirect (statesandstatuscodes). */
export const TX_STATE: Record<DepositState, string> = {
  started: 'WAITING_INPUT',
  identified: 'PROCESSING',
  signed_in: 'PROCESSING',
  authorized: 'WAITING_INPUT',
  deposited: 'SUCCESSFUL',
  completed: 'SUCCESSFUL',
  rejected: 'FAILED',
  declined: 'FAILED',
  cancelled: 'CANCELLED',
};
