import { PaymentState } from '../../payments/payment.entity';
import { StateMachine } from '../../shared/state-machine';

/** iumiCash order statuses. */
export enum OrderStatus {
  CREATED = 'created',
  APPROVED = 'approved',
  /** Part of the total captured; the rest still reserved for further captures (capture mode multiple). */
  PARTIALLY_CAPTURED = 'partially_captured',
  CAPTURED = 'captured',
  COMPLETED = 'completed',
  CANCELLED = 'cancelled',
  /** Approved and never captured in time: the reservation was released. */
  EXPIRED = 'expired',
}

export const orderMachine = new StateMachine<OrderStatus>('order', {
  created: [OrderStatus.APPROVED, OrderStatus.CANCELLED],
  approved: [OrderStatus.PARTIALLY_CAPTURED, OrderStatus.CAPTURED, OrderStatus.CANCELLED, OrderStatus.EXPIRED],
  // Each further capture stays here until the final one (or the authorization's expiry) ends the captures.
  partially_captured: [OrderStatus.PARTIALLY_CAPTURED, OrderStatus.CAPTURED],
  captured: [OrderStatus.COMPLETED],
  completed: [],
  cancelled: [],
  expired: [],
});

/**
 * Approved means the total is reserved (accepted), and so does partially captured (what is left is
 * still reserved); captured means the captures were posted to the vendor and the rest released.
 */
export const ORDER_UNIFIED_STATE: Record<OrderStatus, PaymentState> = {
  created: PaymentState.CREATED,
  approved: PaymentState.ACCEPTED,
  partially_captured: PaymentState.ACCEPTED,
  captured: PaymentState.COMPLETED,
  completed: PaymentState.COMPLETED,
  cancelled: PaymentState.CANCELLED,
  expired: PaymentState.EXPIRED,
};
