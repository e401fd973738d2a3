import { PaymentState } from '../../payments/payment.entity';
import { StateMachine } from '../../shared/state-machine';

/** iumiCash order statuses. */
export enum OrderStatus {
  CREATED = 'created',
  APPROVED = 'approved',
  CAPTURED = 'captured',
  COMPLETED = 'completed',
  CANCELLED = 'cancelled',
}

export const orderMachine = new StateMachine<OrderStatus>('order', {
  created: [OrderStatus.APPROVED, OrderStatus.CANCELLED],
  approved: [OrderStatus.CAPTURED, OrderStatus.CANCELLED],
  captured: [OrderStatus.COMPLETED],
  completed: [],
  cancelled: [],
});

/** Approved means the total is reserved (accepted); captured means it was posted to the vendor. */
export const ORDER_UNIFIED_STATE: Record<OrderStatus, PaymentState> = {
  created: PaymentState.CREATED,
  approved: PaymentState.ACCEPTED,
  captured: PaymentState.COMPLETED,
  completed: PaymentState.COMPLETED,
  cancelled: PaymentState.CANCELLED,
};
