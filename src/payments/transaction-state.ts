import { StateMachine } from '../shared/state-machine';
import { TransactionState } from './transaction.entity';

/** The states of a transaction of any flow: a payment's own, a capture or a refund. */
export const transactionMachine = new StateMachine<TransactionState>('transaction', {
  pending: [TransactionState.COMPLETED, TransactionState.DECLINED, TransactionState.FAILED, TransactionState.REVERTED],
  completed: [],
  declined: [],
  failed: [],
  reverted: [],
});
