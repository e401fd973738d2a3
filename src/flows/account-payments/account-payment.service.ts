import { accessFilter, accountFacts, can, type TokenPrincipal } from '../../access';
import { accountDirectory, type AccountIdentity } from '../../accounts/account-directory';
import { AccountKind } from '../../accounts/account.entity';
import { recordPaymentEvent } from '../../events/event-recorder';
import type { LedgerService } from '../../ledger/ledger.service';
import { currencyAsset, MAX_AMOUNT, normalizeAmount, parseAmount } from '../../money/money';
import type { Database, Tx } from '../../persistence/database';
import { Payment, PaymentFlow, REFERENCE_MAX, REQUEST_ID_MAX } from '../../payments/payment.entity';
import { movePayment } from '../../payments/payment-state';
import { PaymentTransaction, TransactionState } from '../../payments/transaction.entity';
import type { AuthorizationExpiry } from '../../payments/authorization-expiry';
import type { RefundService } from '../../payments/refunds/refund.service';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError, isPaygridError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { once, validateIdempotencyKey } from '../../shared/idempotency/idempotency';
import { AccountPaymentStatus, UNIFIED_STATE, accountPaymentMachine, transactionMachine } from './account-payment.states';

export interface CreateAccountPaymentInput {
  accountId: string;
  requestId: string;
  sellerId: string;
  currency: string;
  reference?: string | null;
}

export interface AddTransactionInput {
  paymentId: string;
  amount: string;
  reference?: string | null;
  idempotencyKey: string;
}

export interface PaymentStepInput {
  paymentId: string;
  /** Required: a retry after a timeout gets the first answer, not ILLEGAL_TRANSITION. */
  idempotencyKey: string;
}

export interface CancelTransactionInput extends PaymentStepInput {
  transactionId: string;
}

/** A step's outcome: the payment as it is now, and a business refusal recorded with it (a decline). */
export interface StepOutcome {
  paymentId: string;
  transactionId?: string;
  declined?: PaygridError;
  /**
   * The payment and transaction as the step left them, so that the answer needs no read; absent on
   * a replay, whose answer is the payment as it is now.
   */
  payment?: Payment;
  transaction?: PaymentTransaction;
}

function cleanReference(reference: string | null | undefined): string | null {
  const value = reference?.trim() || null;
  if (value && value.length > REFERENCE_MAX) {
    throw new PaygridError(ErrorCode.REFERENCE_TOO_LONG, 'reference', `The reference is longer than ${REFERENCE_MAX} characters.`);
  }
  return value;
}

/** The ledger transfer that reserves a transaction's funds: `trf_` and the transaction's own id. */
const TRANSFER_OF_TRANSACTION = "'trf_' || substr(id, 5)";

/** A pending transaction as a step's set-based update returns it. */
interface PendingTransaction {
  id: string;
  amount: bigint;
  reference: string | null;
  transferId: string | null;
}

type StoredOutcome = { paymentId: string; transactionId?: string; declined?: { code: ErrorCode; field: string[] | null; message: string } };

function toStored(outcome: StepOutcome): StoredOutcome {
  const { declined, payment: _payment, transaction: _transaction, ...rest } = outcome;
  return declined ? { ...rest, declined: { code: declined.code, field: declined.field, message: declined.message } } : rest;
}

function fromStored(stored: StoredOutcome): StepOutcome {
  const { declined, ...rest } = stored;
  return declined ? { ...rest, declined: new PaygridError(declined.code, declined.field, declined.message) } : rest;
}

/**
 * Account payments (reference 004): a buyer's account pays a seller's account. Transactions are added
 * while the payment is pending; authorizing reserves their total on the buyer's account (or declines
 * the payment when it cannot be covered); executing posts the reservations to the seller.
 */
export interface AccountPaymentOptions {
  /** How long an authorization holds the buyer's funds before it lapses (ACCOUNT_PAYMENT_AUTHORIZATION_MINUTES). */
  authorizationMs: number;
}

export class AccountPaymentService {
  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
    private readonly options: AccountPaymentOptions,
    refunds: RefundService,
    expiry: AuthorizationExpiry,
  ) {
    refunds.register(PaymentFlow.ACCOUNT_PAYMENT, { states: [AccountPaymentStatus.COMPLETED] });
    expiry.register(PaymentFlow.ACCOUNT_PAYMENT, { states: [AccountPaymentStatus.AUTHORIZED], expire: (paymentId) => this.expire(paymentId) });
  }

  /** Creates a pending payment, idempotent on the client's `requestId`: a repeat returns the same payment. */
  async create(principal: TokenPrincipal, input: CreateAccountPaymentInput): Promise<StepOutcome> {
    const { clientId } = principal;
    validateIdempotencyKey(input.requestId, 'requestId', REQUEST_ID_MAX, ErrorCode.REQUEST_ID_INVALID);
    const asset = currencyAsset(input.currency, 'currency');
    const reference = cleanReference(input.reference);
    return this.db.transaction(async (tx) => {
      let created: Payment | undefined;
      const { result, replayed } = await once(
        tx,
        {
          scope: `${clientId}:request_id`,
          key: input.requestId,
          keyField: 'requestId',
          operation: 'createAccountPayment',
          request: { accountId: input.accountId, sellerId: input.sellerId, currency: asset.assetCode, reference },
          workFirst: true,
        },
        async () => {
          const { buyer, seller } = await this.parties(tx, principal, input);
          if (!buyer) throw new PaygridError(ErrorCode.NOT_FOUND, 'accountId');
          if (!seller) throw new PaygridError(ErrorCode.NOT_FOUND, 'sellerId');
          if (seller.id === buyer.id) throw new PaygridError(ErrorCode.SAME_ACCOUNT, 'sellerId');
          if (buyer.assetCode !== asset.assetCode) {
            throw new PaygridError(ErrorCode.ASSET_MISMATCH, 'currency', `The buyer's account holds ${buyer.assetCode}, not ${asset.assetCode}.`);
          }
          if (seller.assetCode !== asset.assetCode) {
            throw new PaygridError(ErrorCode.ASSET_MISMATCH, 'sellerId', `The seller's account holds ${seller.assetCode}, not ${asset.assetCode}.`);
          }
          const payment = tx.em.create(Payment, {
            id: newId('pay'),
            flow: PaymentFlow.ACCOUNT_PAYMENT,
            state: UNIFIED_STATE.pending,
            flowState: AccountPaymentStatus.PENDING,
            clientId,
            requestId: input.requestId,
            payerAccountId: buyer.id,
            beneficiaryAccountId: seller.id,
            ...asset,
            amount: 0n,
            reference,
            lastSequence: 0,
            version: 1,
            createdAt: this.clock.now(),
            updatedAt: this.clock.now(),
          });
          recordPaymentEvent(tx, payment, 'payment.created', { requestId: input.requestId });
          created = payment;
          return { paymentId: payment.id };
        },
      );
      return { paymentId: String(result.paymentId), payment: replayed ? undefined : created };
    });
  }

  /** The buyer's account, if the principal may pay from it, and the seller's, both customer accounts. */
  private async parties(tx: Tx, principal: TokenPrincipal, input: CreateAccountPaymentInput): Promise<{ buyer?: AccountIdentity; seller?: AccountIdentity }> {
    const accounts = await accountDirectory(this.db).of([input.accountId, input.sellerId], tx);
    const customer = (id: string) => {
      const account = accounts.get(id);
      return account?.kind === AccountKind.CUSTOMER ? account : undefined;
    };
    const buyer = customer(input.accountId);
    return { buyer: buyer && can(principal, 'payFrom', { kind: 'account', account: accountFacts(buyer) }) ? buyer : undefined, seller: customer(input.sellerId) };
  }

  /** Adds a pending transaction; only while the payment is pending (not yet authorized). */
  async addTransaction(actor: TokenPrincipal, input: AddTransactionInput): Promise<StepOutcome> {
    const reference = cleanReference(input.reference);
    const amountText = normalizeAmount(input.amount, 'amount');
    return this.step(actor, 'addPaymentTransaction', input, { amount: amountText, reference }, async (tx, payment) => {
      if (payment.flowState !== AccountPaymentStatus.PENDING) {
        throw new PaygridError(
          ErrorCode.ILLEGAL_TRANSITION,
          'paymentId',
          `Transactions can be added only while the payment is pending; it is ${payment.flowState}.`,
        );
      }
      const amount = parseAmount(amountText, payment.assetScale, 'amount');
      if (payment.amount + amount > MAX_AMOUNT) throw new PaygridError(ErrorCode.AMOUNT_TOO_LARGE, 'amount', 'The payment total would exceed the largest amount Paygrid can hold.');
      const transaction = tx.em.create(PaymentTransaction, {
        id: newId('txn'),
        paymentId: payment.id,
        clientId: actor.clientId,
        amount,
        state: TransactionState.PENDING,
        reference,
        transferId: null,
        emittedAt: new Date(),
        updatedAt: new Date(),
      });
      payment.amount += amount;
      recordPaymentEvent(tx, payment, 'payment.transaction_added', { transactionId: transaction.id, transactionAmount: amount.toString() });
      return { paymentId: payment.id, transactionId: transaction.id, payment, transaction };
    });
  }

  /** Cancels one pending transaction; an authorized one has its reservation voided. */
  async cancelTransaction(actor: TokenPrincipal, input: CancelTransactionInput): Promise<StepOutcome> {
    return this.step(actor, 'cancelPaymentTransaction', input, { transactionId: input.transactionId }, async (tx, payment) => {
      const transaction = await tx.em.findOne(PaymentTransaction, { id: input.transactionId, paymentId: payment.id });
      if (!transaction) throw new PaygridError(ErrorCode.NOT_FOUND, 'transactionId');
      transactionMachine.assertMove(transaction.state, TransactionState.REVERTED, 'transactionId');
      if (transaction.transferId) await this.ledger.void(tx, [transaction.transferId]);
      transaction.state = TransactionState.REVERTED;
      payment.amount -= transaction.amount;
      recordPaymentEvent(tx, payment, 'payment.transaction_cancelled', { transactionId: transaction.id });
      return { paymentId: payment.id, transactionId: transaction.id, payment, transaction };
    });
  }

  /**
   * Reserves the total of the pending transactions on the buyer's account. When the account cannot
   * cover it, the payment is declined (a final state, recorded) and the outcome says why.
   */
  async authorize(actor: TokenPrincipal, input: PaymentStepInput): Promise<StepOutcome> {
    return this.step(actor, 'authorizePayment', input, {}, async (tx, payment) => {
      accountPaymentMachine.assertMove(payment.flowState as AccountPaymentStatus, AccountPaymentStatus.AUTHORIZED, 'paymentId');
      // Each transaction's transfer is named after it, so that one statement both reads the
      // transactions and points them at their transfers.
      const transactions = await this.updatePending(tx, payment, `transfer_id = ${TRANSFER_OF_TRANSACTION}`, []);
      try {
        await this.ledger.reserve(tx, {
          debitAccountId: payment.payerAccountId!,
          creditAccountId: payment.beneficiaryAccountId!,
          purpose: 'payment',
          legs: transactions.map((t) => ({ id: t.transferId!, amount: t.amount, reference: t.reference })),
          field: 'paymentId',
        });
        this.move(payment, AccountPaymentStatus.AUTHORIZED);
        payment.authorizationExpiresAt = new Date(this.clock.now().getTime() + this.options.authorizationMs);
        recordPaymentEvent(tx, payment, 'payment.authorized', { authorizationExpiresAt: payment.authorizationExpiresAt.toISOString() });
        return { paymentId: payment.id, payment };
      } catch (error) {
        if (!isPaygridError(error) || error.code !== ErrorCode.INSUFFICIENT_FUNDS) throw error;
        transactionMachine.assertMove(TransactionState.PENDING, TransactionState.DECLINED);
        await this.updatePending(tx, payment, 'state = ?, transfer_id = null', [TransactionState.DECLINED]);
        this.move(payment, AccountPaymentStatus.DECLINED);
        recordPaymentEvent(tx, payment, 'payment.declined', { reason: ErrorCode.INSUFFICIENT_FUNDS });
        return { paymentId: payment.id, declined: error, payment };
      }
    });
  }

  /** Posts every reserved transaction to the seller: the payment completes. */
  async execute(actor: TokenPrincipal, input: PaymentStepInput): Promise<StepOutcome> {
    return this.step(actor, 'executePayment', input, {}, async (tx, payment) => {
      accountPaymentMachine.assertMove(payment.flowState as AccountPaymentStatus, AccountPaymentStatus.COMPLETED, 'paymentId');
      transactionMachine.assertMove(TransactionState.PENDING, TransactionState.COMPLETED);
      const transactions = await this.updatePending(tx, payment, 'state = ?', [TransactionState.COMPLETED]);
      await this.ledger.post(tx, transactions.map((t) => t.transferId!));
      this.move(payment, AccountPaymentStatus.COMPLETED);
      payment.capturedAmount = payment.amount;
      payment.authorizationExpiresAt = null;
      recordPaymentEvent(tx, payment, 'payment.completed');
      return { paymentId: payment.id, payment };
    });
  }

  /** Cancels a payment that is not final yet: reservations are voided, open transactions reverted. */
  async cancel(actor: TokenPrincipal, input: PaymentStepInput): Promise<StepOutcome> {
    return this.step(actor, 'cancelPayment', input, {}, async (tx, payment) => {
      accountPaymentMachine.assertMove(payment.flowState as AccountPaymentStatus, AccountPaymentStatus.CANCELLED, 'paymentId');
      const transactions = await tx.em.find(PaymentTransaction, { paymentId: payment.id, state: TransactionState.PENDING });
      const reserved = transactions.filter((t) => t.transferId).map((t) => t.transferId!);
      await this.ledger.void(tx, reserved);
      for (const t of transactions) this.moveTransaction(t, TransactionState.REVERTED);
      this.move(payment, AccountPaymentStatus.CANCELLED);
      payment.authorizationExpiresAt = null;
      recordPaymentEvent(tx, payment, 'payment.cancelled');
      return { paymentId: payment.id, payment };
    });
  }

  /**
   * The scheduler's sweep found the authorization lapsed: its reservations are released and the
   * payment expires. Does nothing once the payment moved on, or before a deadline.
   */
  async expire(paymentId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const payment = await tx.em.findOne(Payment, { id: paymentId, flow: PaymentFlow.ACCOUNT_PAYMENT }, { lockMode: tx.forUpdate });
      if (!payment || payment.flowState !== AccountPaymentStatus.AUTHORIZED) return;
      if (!payment.authorizationExpiresAt || payment.authorizationExpiresAt.getTime() > this.clock.now().getTime()) return;
      const transactions = await tx.em.find(PaymentTransaction, { paymentId: payment.id, state: TransactionState.PENDING });
      await this.ledger.void(tx, transactions.filter((t) => t.transferId).map((t) => t.transferId!));
      for (const t of transactions) this.moveTransaction(t, TransactionState.REVERTED);
      this.move(payment, AccountPaymentStatus.EXPIRED);
      recordPaymentEvent(tx, payment, 'payment.expired', { reason: 'authorization_expired' });
    });
  }

  /**
   * Runs one step on a payment the policy lets the actor act on (the client that created it), in one transaction, idempotent on the client's key.
   * Concurrent steps on one payment queue on its row lock and each sees the state the previous left;
   * the optimistic version check stays as the backstop.
   */
  private async step(
    actor: TokenPrincipal,
    operation: string,
    input: PaymentStepInput,
    request: Record<string, unknown>,
    work: (tx: Tx, payment: Payment) => Promise<StepOutcome>,
  ): Promise<StepOutcome> {
    validateIdempotencyKey(input.idempotencyKey, 'idempotencyKey');
    return this.db.transaction(async (tx) => {
      let outcome: StepOutcome | undefined;
      const run = async (): Promise<StoredOutcome> => {
        const allowed = accessFilter(actor, 'act', 'payment');
        const payment =
          allowed && (await tx.em.findOne(Payment, { $and: [{ id: input.paymentId, flow: PaymentFlow.ACCOUNT_PAYMENT }, allowed] }, { lockMode: tx.forUpdate }));
        if (!payment) throw new PaygridError(ErrorCode.NOT_FOUND, 'paymentId');
        outcome = await work(tx, payment);
        return toStored(outcome);
      };
      const { result, replayed } = await once(
        tx,
        {
          scope: `${actor.clientId}:idempotency`,
          key: input.idempotencyKey,
          keyField: 'idempotencyKey',
          operation,
          request: { paymentId: input.paymentId, ...request },
          workFirst: true,
        },
        run,
      );
      return replayed ? fromStored(result as StoredOutcome) : outcome!;
    });
  }

  /**
   * Changes every pending transaction of the payment in one statement (`assignments`, SQL with
   * their `params`) and returns them as they were read, in creation order; PAYMENT_EMPTY when there
   * is none. The payment's row lock keeps the set from changing meanwhile.
   */
  private async updatePending(tx: Tx, payment: Payment, assignments: string, params: unknown[]): Promise<PendingTransaction[]> {
    const rows = await tx.all<{ id: string; amount: string; reference: string | null; transfer_id: string | null }>(
      `update payment_transaction set updated_at = ?, ${assignments} where payment_id = ? and state = ?
       returning id, cast(amount as text) as amount, reference, transfer_id`,
      [tx.date(new Date()), ...params, payment.id, TransactionState.PENDING],
    );
    if (!rows.length) throw new PaygridError(ErrorCode.PAYMENT_EMPTY, 'paymentId');
    return rows
      .map((row) => ({ id: row.id, amount: BigInt(row.amount), reference: row.reference, transferId: row.transfer_id }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private move(payment: Payment, to: AccountPaymentStatus): void {
    movePayment(payment, accountPaymentMachine, UNIFIED_STATE, to, this.clock.now());
  }

  private moveTransaction(transaction: PaymentTransaction, to: TransactionState): void {
    transactionMachine.assertMove(transaction.state, to);
    transaction.state = to;
  }
}
