import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccountPaymentStatus, accountPaymentMachine, transactionMachine } from '../flows/account-payments/account-payment.states';
import { InitiationState, initiationMachine } from '../flows/initiation/initiation.states';
import { OrderStatus, orderMachine } from '../flows/orders/order.states';
import { TransactionState } from '../payments/transaction.entity';
import { ErrorCode, PaygridError } from './errors';
import type { StateMachine } from './state-machine';

/**
 * The steps each flow is meant to allow, written out here independently of the machines: a step
 * added to or dropped from a machine without changing this table fails the test.
 */
interface Spec<S extends string> {
  machine: StateMachine<S>;
  states: readonly S[];
  steps: ReadonlyArray<readonly [S, S]>;
  finals: readonly S[];
}

const accountPayment: Spec<AccountPaymentStatus> = {
  machine: accountPaymentMachine,
  states: Object.values(AccountPaymentStatus),
  steps: [
    [AccountPaymentStatus.PENDING, AccountPaymentStatus.AUTHORIZED],
    [AccountPaymentStatus.PENDING, AccountPaymentStatus.DECLINED],
    [AccountPaymentStatus.PENDING, AccountPaymentStatus.CANCELLED],
    [AccountPaymentStatus.AUTHORIZED, AccountPaymentStatus.COMPLETED],
    [AccountPaymentStatus.AUTHORIZED, AccountPaymentStatus.CANCELLED],
    [AccountPaymentStatus.AUTHORIZED, AccountPaymentStatus.EXPIRED],
  ],
  finals: [AccountPaymentStatus.COMPLETED, AccountPaymentStatus.DECLINED, AccountPaymentStatus.CANCELLED, AccountPaymentStatus.EXPIRED],
};

const order: Spec<OrderStatus> = {
  machine: orderMachine,
  states: Object.values(OrderStatus),
  steps: [
    [OrderStatus.CREATED, OrderStatus.APPROVED],
    [OrderStatus.CREATED, OrderStatus.CANCELLED],
    [OrderStatus.APPROVED, OrderStatus.PARTIALLY_CAPTURED],
    [OrderStatus.APPROVED, OrderStatus.CAPTURED],
    [OrderStatus.APPROVED, OrderStatus.CANCELLED],
    [OrderStatus.APPROVED, OrderStatus.EXPIRED],
    [OrderStatus.PARTIALLY_CAPTURED, OrderStatus.PARTIALLY_CAPTURED],
    [OrderStatus.PARTIALLY_CAPTURED, OrderStatus.CAPTURED],
    [OrderStatus.CAPTURED, OrderStatus.COMPLETED],
  ],
  finals: [OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.EXPIRED],
};

const transaction: Spec<TransactionState> = {
  machine: transactionMachine,
  states: Object.values(TransactionState),
  steps: [
    [TransactionState.PENDING, TransactionState.COMPLETED],
    [TransactionState.PENDING, TransactionState.DECLINED],
    [TransactionState.PENDING, TransactionState.FAILED],
    [TransactionState.PENDING, TransactionState.REVERTED],
  ],
  finals: [TransactionState.COMPLETED, TransactionState.DECLINED, TransactionState.FAILED, TransactionState.REVERTED],
};

const initiation: Spec<InitiationState> = {
  machine: initiationMachine,
  states: Object.values(InitiationState),
  steps: [
    [InitiationState.CREATED, InitiationState.VALIDATING],
    [InitiationState.CREATED, InitiationState.REJECTED],
    [InitiationState.CREATED, InitiationState.EXPIRED],
    [InitiationState.VALIDATING, InitiationState.PENDING],
    [InitiationState.VALIDATING, InitiationState.REJECTED],
    [InitiationState.VALIDATING, InitiationState.EXPIRED],
    [InitiationState.PENDING, InitiationState.DONE],
    [InitiationState.PENDING, InitiationState.ACCEPTED],
    [InitiationState.PENDING, InitiationState.PARTIAL],
    [InitiationState.PENDING, InitiationState.REJECTED],
    [InitiationState.PENDING, InitiationState.EXPIRED],
  ],
  finals: [InitiationState.DONE, InitiationState.ACCEPTED, InitiationState.REJECTED, InitiationState.EXPIRED, InitiationState.PARTIAL],
};

function checkMachine<S extends string>(spec: Spec<S>): void {
  const { machine, states, steps, finals } = spec;
  const declared = new Set(steps.map(([from, to]) => `${from}→${to}`));

  for (const [from, to] of steps) {
    it(`allows ${from} → ${to}`, () => {
      assert.equal(machine.canMove(from, to), true);
      assert.doesNotThrow(() => machine.assertMove(from, to, 'paymentId'));
    });
  }

  it('refuses every undeclared pair of states, itself included, with ILLEGAL_TRANSITION', () => {
    let refused = 0;
    for (const from of states) {
      for (const to of states) {
        if (declared.has(`${from}→${to}`)) continue;
        refused++;
        assert.equal(machine.canMove(from, to), false, `${from} → ${to}`);
        assert.throws(
          () => machine.assertMove(from, to, 'paymentId'),
          (error: unknown) => {
            assert.ok(error instanceof PaygridError, `${from} → ${to}`);
            assert.equal(error.code, ErrorCode.ILLEGAL_TRANSITION, `${from} → ${to}`);
            assert.deepEqual(error.field, ['paymentId']);
            assert.match(error.message, new RegExp(`cannot become ${to}: it is ${from}`));
            return true;
          },
        );
      }
    }
    assert.equal(refused, states.length * states.length - steps.length);
  });

  for (const state of states) {
    const final = finals.includes(state);
    it(`${state} is ${final ? 'final: no exits' : 'not final'}`, () => {
      assert.equal(machine.isFinal(state), final);
      const exits = states.filter((to) => machine.canMove(state, to));
      if (final) assert.deepEqual(exits, []);
      else assert.notDeepEqual(exits, []);
    });
  }

  it('says so when refusing to leave a final state', () => {
    for (const from of finals) {
      assert.throws(() => machine.assertMove(from, states[0]), new RegExp(`it is ${from}, a final state`));
    }
  });
}

describe('account payment state machine', () => checkMachine(accountPayment));
describe('order state machine', () => checkMachine(order));
describe('transaction state machine', () => checkMachine(transaction));
describe('bank payment initiation state machine', () => checkMachine(initiation));
