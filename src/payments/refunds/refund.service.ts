import { can, type TokenPrincipal } from '../../access';
import { recordPaymentEvent } from '../../events/event-recorder';
import type { LedgerService } from '../../ledger/ledger.service';
import { formatAmount, normalizeAmount, parseAmount } from '../../money/money';
import type { Database, Tx } from '../../persistence/database';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError, isPaygridError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { once, validateIdempotencyKey } from '../../shared/idempotency/idempotency';
import { optionalText } from '../../shared/text';
import { Payment, REFERENCE_MAX, RefundStatus, type PaymentFlow } from '../payment.entity';
import { paymentFactsOf } from '../payment.service';
import { transactionMachine } from '../transaction-state';
import { PaymentTransaction, TransactionKind, TransactionState } from '../transaction.entity';

export interface RefundInput {
  paymentId: string;
  /** Decimal in major units; absent: all that is left to refund. */
  amount?: string | null;
  reference?: string | null;
  idempotencyKey: string;
}

/** How a flow takes refunds: in which of its states, and what it adds in the refund's transaction (an order's callback). */
export interface RefundableFlow {
  states: readonly string[];
  refunded?(tx: Tx, payment: Payment, refund: PaymentTransaction, eventType: string): Promise<void>;
}

export interface RefundOutcome {
  paymentId: string;
  transactionId: string;
  /** As the refund left them; absent on a replay, whose answer is the payment as it is now. */
  payment?: Payment;
  refund?: PaymentTransaction;
}

export const REFUNDED_EVENT = 'payment.refunded';
export const PARTIALLY_REFUNDED_EVENT = 'payment.partially_refunded';

/**
 * Refunds of any flow that moved money inside Paygrid: each is a transaction of kind refund on the
 * payment, backed by a ledger transfer from the beneficiary back to the payer (reserved, then
 * posted, in the refund's transaction). The payment's flow state stays where it is (a final state
 * stays final); its `refundedAmount` and `refundStatus` follow. Concurrent refunds of one payment
 * queue on its row lock, and each checks what is left against what the previous one left, so
 * together they never refund more than was captured.
 */
export class RefundService {
  private readonly flows = new Map<PaymentFlow, RefundableFlow>();

  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
  ) {}

  register(flow: PaymentFlow, rules: RefundableFlow): void {
    this.flows.set(flow, rules);
  }

  async refund(principal: TokenPrincipal, input: RefundInput): Promise<RefundOutcome> {
    validateIdempotencyKey(input.idempotencyKey, 'idempotencyKey');
    const amountText = input.amount == null || input.amount === '' ? null : normalizeAmount(input.amount, 'amount');
    const reference = optionalText(input.reference, 'reference', { max: REFERENCE_MAX, name: 'reference' });
    return this.db.transaction(async (tx) => {
      let written: RefundOutcome | undefined;
      const { result, replayed } = await once(
        tx,
        {
          scope: `${principal.clientId}:idempotency`,
          key: input.idempotencyKey,
          keyField: 'idempotencyKey',
          operation: 'refundPayment',
          request: { paymentId: input.paymentId, amount: amountText, reference },
          workFirst: true,
        },
        async () => {
          written = await this.apply(tx, principal, input.paymentId, amountText, reference);
          return { paymentId: written.paymentId, transactionId: written.transactionId };
        },
      );
      return replayed ? { paymentId: String(result.paymentId), transactionId: String(result.transactionId) } : written!;
    });
  }

  private async apply(tx: Tx, principal: TokenPrincipal, paymentId: string, amountText: string | null, reference: string | null): Promise<RefundOutcome> {
    const found = await tx.em.findOne(Payment, { id: paymentId });
    const facts = found && (await paymentFactsOf(tx.em, [found])).get(paymentId)!;
    if (!facts || !can(principal, 'refund', { kind: 'payment', payment: facts })) throw new PaygridError(ErrorCode.NOT_FOUND, 'paymentId');
    const payment = await tx.em.findOneOrFail(Payment, { id: paymentId }, { lockMode: tx.forUpdate, refresh: true });
    const rules = this.flows.get(payment.flow);
    if (!rules) throw new PaygridError(ErrorCode.REFUND_NOT_ALLOWED, 'paymentId', `A ${payment.flow} payment moves no money inside Paygrid: there is nothing to refund here.`);
    if (!rules.states.includes(payment.flowState)) {
      throw new PaygridError(ErrorCode.ILLEGAL_TRANSITION, 'paymentId', `The payment cannot be refunded: it is ${payment.flowState}, and only ${rules.states.join(' or ')} payments can.`);
    }
    const left = payment.capturedAmount - payment.refundedAmount;
    const amount = amountText === null ? left : parseAmount(amountText, payment.assetScale, 'amount');
    if (left <= 0n || amount > left) {
      throw new PaygridError(
        ErrorCode.REFUND_EXCEEDS_CAPTURED,
        amountText === null ? 'paymentId' : 'amount',
        `At most ${formatAmount(left, payment.assetScale)} ${payment.assetCode} is left to refund.`,
      );
    }

    const now = this.clock.now();
    const refund = tx.em.create(PaymentTransaction, {
      id: newId('txn'),
      paymentId: payment.id,
      clientId: payment.clientId,
      kind: TransactionKind.REFUND,
      amount,
      state: TransactionState.PENDING,
      reference,
      transferId: null,
      emittedAt: now,
      updatedAt: now,
    });
    try {
      const [transfer] = await this.ledger.reserve(tx, {
        debitAccountId: payment.beneficiaryAccountId!,
        creditAccountId: payment.payerAccountId!,
        purpose: 'refund',
        legs: [{ amount, reference }],
        field: 'amount',
      });
      await this.ledger.post(tx, [transfer.id]);
      refund.transferId = transfer.id;
    } catch (error) {
      if (isPaygridError(error) && error.code === ErrorCode.INSUFFICIENT_FUNDS) throw new PaygridError(ErrorCode.REFUND_NOT_COVERED, 'amount');
      throw error;
    }
    transactionMachine.assertMove(refund.state, TransactionState.COMPLETED);
    refund.state = TransactionState.COMPLETED;

    payment.refundedAmount += amount;
    payment.refundStatus = payment.refundedAmount === payment.capturedAmount ? RefundStatus.REFUNDED : RefundStatus.PARTIALLY_REFUNDED;
    payment.updatedAt = now;
    const type = payment.refundStatus === RefundStatus.REFUNDED ? REFUNDED_EVENT : PARTIALLY_REFUNDED_EVENT;
    recordPaymentEvent(tx, payment, type, {
      transactionId: refund.id,
      refundAmount: amount.toString(),
      refundedAmount: payment.refundedAmount.toString(),
      capturedAmount: payment.capturedAmount.toString(),
      refundStatus: payment.refundStatus,
    });
    await rules.refunded?.(tx, payment, refund, type);
    return { paymentId: payment.id, transactionId: refund.id, payment, refund };
  }
}
