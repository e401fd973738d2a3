import { Account, AccountKind } from '../../accounts/account.entity';
import type { PublicUrl } from '../../config/public-url';
import { recordPaymentEvent } from '../../events/event-recorder';
import type { LedgerService } from '../../ledger/ledger.service';
import { currencyAsset, formatAmount, MAX_AMOUNT, normalizeAmount, parseAmount } from '../../money/money';
import type { Database, Tx } from '../../persistence/database';
import { can, type Principal } from '../../access';
import { Payment, PaymentFlow, REQUEST_ID_MAX } from '../../payments/payment.entity';
import { paymentFactsOf } from '../../payments/payment.service';
import { movePayment } from '../../payments/payment-state';
import type { AuthorizationExpiry } from '../../payments/authorization-expiry';
import type { RefundService } from '../../payments/refunds/refund.service';
import { PaymentTransaction, TransactionKind, TransactionState } from '../../payments/transaction.entity';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { once, validateIdempotencyKey } from '../../shared/idempotency/idempotency';
import { optionalText, parseHttpUrl, requiredText } from '../../shared/text';
import { CaptureMode, OrderDetails, type OrderItem } from './order.entity';
import { ORDER_UNIFIED_STATE, OrderStatus, orderMachine } from './order.states';

export interface OrderItemInput {
  name: string;
  description?: string | null;
  amount: { value: string; currencyCode: string };
  count: number;
}

export interface CreateOrderInput {
  externalId: string;
  items: OrderItemInput[];
  callbackUrl: string;
  successUrl: string;
  errorUrl: string;
  /** Idempotency (≤ 40, the payment's `requestId`): a repeat with the same id returns the order as it is now. */
  requestId: string;
  /** Single (default): one capture, the rest released; multiple: several captures up to the total. */
  captureMode?: CaptureMode | null;
  /** The vendor's account that receives the money; default: its oldest account in the order's currency. */
  beneficiaryAccountId?: string | null;
}

export interface CaptureInput {
  /** Decimal in major units; absent: all that is left of the authorization. */
  amount?: string | null;
  /** Ends the captures: the rest of the reservation is released. Always so in capture mode single. */
  final?: boolean | null;
  /** The amount's currency, when the caller names it (iumiCash's `currency_code`): it must be the order's. */
  currencyCode?: string | null;
  /** Where the amount came in, for errors. */
  amountField?: string;
}

export interface OrderOptions {
  /** How long an approval holds the payer's funds before it lapses (ORDER_AUTHORIZATION_MINUTES). */
  authorizationMs: number;
}

/** The vendor acting for a payer, as its token says. */
export interface OrderCaller {
  clientId: string;
  userId: string;
  /** The payer consented to recurrent charges: the order is approved when created. */
  recurrent: boolean;
}

/** Queues a signed callback in the caller's transaction (the webhook outbox). */
export interface CallbackQueue {
  enqueue(
    tx: Tx,
    delivery: { clientId: string; url: string; eventType: string; paymentId: string; body: object; scheme: 'iumicash' },
  ): Promise<unknown>;
  /** Refuses an endpoint that callbacks may never go to (URL_NOT_ALLOWED on `field`). */
  assertEndpoint(url: URL, field: string): void;
}

/** Schedules timed work in the caller's transaction, and runs it. */
export interface JobQueue {
  schedule(tx: Tx, job: { kind: string; runAt: Date; payload: Record<string, unknown>; key?: string }): Promise<unknown>;
  register<P>(kind: string, handler: (payload: P) => Promise<void>): void;
}

export interface OrderLink {
  link: string;
  rel: 'self' | 'approve' | 'capture' | 'cancel';
  method: 'GET' | 'POST';
}

/** The order as vendors read it and receive it in callbacks (iumiCash's shape, snake case). */
export interface OrderDocument {
  id: string;
  external_id: string;
  client_id: string;
  status: OrderStatus;
  total: { value: string; currency_code: string };
  capture_mode: CaptureMode;
  captured_total: { value: string; currency_code: string };
  refunded_total: { value: string; currency_code: string };
  refund_status: string | null;
  items: Array<{ name: string; description: string | null; amount: { value: string; currency_code: string }; count: number }>;
  links: OrderLink[];
  created_at: string;
  updated_at: string;
}

export const COMPLETE_ORDER_JOB = 'order.complete';
/** Time between capture and completion: the vendor's funds settle. */
const SETTLEMENT_DELAY_MS = 1000;
const MAX_ITEMS = 100;
const MAX_COUNT = 10_000;

function absoluteUrl(value: string, field: string): string {
  const url = parseHttpUrl(value);
  // The stored form is measured (the column holds 2048): percent-encoding can make it longer than what was sent.
  if (!url || url.toString().length > 2048) throw new PaygridError(ErrorCode.URL_INVALID, field);
  return url.toString();
}

/**
 * iumiCash-style orders: a vendor holding a payer's token creates an order; the payer approves it on
 * the checkout page (the total is reserved on the payer's account), or it is approved at once when
 * the payer consented to recurrent charges; the vendor captures it (posted to the vendor's account,
 * completed once settled) or cancels it (the reservation is released). Every change queues a signed
 * callback to the vendor.
 */
export class OrderService {
  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly callbacks: CallbackQueue,
    private readonly jobs: JobQueue,
    private readonly publicUrl: PublicUrl,
    private readonly clock: Clock,
    private readonly options: OrderOptions,
    refunds: RefundService,
    expiry: AuthorizationExpiry,
  ) {
    jobs.register<{ paymentId: string }>(COMPLETE_ORDER_JOB, ({ paymentId }) => this.complete(paymentId));
    refunds.register(PaymentFlow.ORDER, {
      states: [OrderStatus.PARTIALLY_CAPTURED, OrderStatus.CAPTURED, OrderStatus.COMPLETED],
      refunded: async (tx, payment, _refund, eventType) => this.callback(tx, payment, await tx.em.findOneOrFail(OrderDetails, payment.id), eventType),
    });
    expiry.register(PaymentFlow.ORDER, { states: [OrderStatus.APPROVED, OrderStatus.PARTIALLY_CAPTURED], expire: (paymentId) => this.expire(paymentId) });
  }

  /** Paygrid posts to the callback URL, so it must be one the outbound guard allows; success and error URLs are the browser's. */
  private callbackUrl(value: string): string {
    const url = absoluteUrl(value, 'callbackUrl');
    this.callbacks.assertEndpoint(new URL(url), 'callbackUrl');
    return url;
  }

  async create(caller: OrderCaller, input: CreateOrderInput): Promise<{ paymentId: string }> {
    const externalId = requiredText(input.externalId, 'externalId', { max: 255, name: 'external id' });
    const urls = {
      callbackUrl: this.callbackUrl(input.callbackUrl),
      successUrl: absoluteUrl(input.successUrl, 'successUrl'),
      errorUrl: absoluteUrl(input.errorUrl, 'errorUrl'),
    };
    if (!Array.isArray(input.items) || input.items.length < 1 || input.items.length > MAX_ITEMS) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'items', `An order has 1 to ${MAX_ITEMS} items.`);
    }
    const asset = currencyAsset(input.items[0].amount.currencyCode, 'items.0.amount.currencyCode');
    let total = 0n;
    const items: OrderItem[] = input.items.map((item, i) => {
      const at = `items.${i}`;
      const itemAsset = currencyAsset(item.amount.currencyCode, `${at}.amount.currencyCode`);
      if (itemAsset.assetCode !== asset.assetCode) {
        throw new PaygridError(ErrorCode.ASSET_MISMATCH, `${at}.amount.currencyCode`, `Every item of an order is in one currency (${asset.assetCode}).`);
      }
      if (!Number.isInteger(item.count) || item.count < 1 || item.count > MAX_COUNT) {
        throw new PaygridError(ErrorCode.INVALID_INPUT, `${at}.count`, `count is a whole number from 1 to ${MAX_COUNT}.`);
      }
      const unit = parseAmount(item.amount.value, asset.assetScale, `${at}.amount.value`);
      total += unit * BigInt(item.count);
      if (total > MAX_AMOUNT) throw new PaygridError(ErrorCode.AMOUNT_TOO_LARGE, `${at}.amount.value`, 'The order total is larger than Paygrid can hold.');
      return {
        name: requiredText(item.name, `${at}.name`, { max: 200, name: 'item name' }),
        description: optionalText(item.description, `${at}.description`, { max: 1000, multiline: true, name: 'item description' }),
        amount: unit.toString(),
        count: item.count,
      };
    });
    validateIdempotencyKey(input.requestId, 'requestId', REQUEST_ID_MAX, ErrorCode.REQUEST_ID_INVALID);
    const captureMode = input.captureMode ?? CaptureMode.SINGLE;
    if (!Object.values(CaptureMode).includes(captureMode)) throw new PaygridError(ErrorCode.INVALID_INPUT, 'captureMode', 'captureMode is single or multiple.');
    const beneficiaryAccountId = input.beneficiaryAccountId || null;

    const work = async (tx: Tx) => {
      const payer = await tx.em.findOne(
        Account,
        { userId: caller.userId, assetCode: asset.assetCode, kind: AccountKind.CUSTOMER },
        { orderBy: { id: 'asc' } },
      );
      if (!payer) throw new PaygridError(ErrorCode.NO_ACCOUNT_IN_CURRENCY, 'items.0.amount.currencyCode', `The payer has no ${asset.assetCode} account.`);
      const vendorAccounts = { clientId: caller.clientId, userId: null, kind: AccountKind.CUSTOMER };
      const vendor = beneficiaryAccountId
        ? await tx.em.findOne(Account, { ...vendorAccounts, id: beneficiaryAccountId })
        : await tx.em.findOne(Account, { ...vendorAccounts, assetCode: asset.assetCode }, { orderBy: { id: 'asc' } });
      if (!vendor && beneficiaryAccountId) throw new PaygridError(ErrorCode.NOT_FOUND, 'beneficiaryAccountId', 'The beneficiary must be one of your own accounts.');
      if (!vendor) throw new PaygridError(ErrorCode.NO_ACCOUNT_IN_CURRENCY, 'items.0.amount.currencyCode', `The vendor has no ${asset.assetCode} account to be paid into.`);
      if (vendor.assetCode !== asset.assetCode) {
        throw new PaygridError(ErrorCode.ASSET_MISMATCH, 'beneficiaryAccountId', `The account holds ${vendor.assetCode}, not ${asset.assetCode}.`);
      }
      const payment = tx.em.create(Payment, {
        id: newId('pay'),
        flow: PaymentFlow.ORDER,
        state: ORDER_UNIFIED_STATE.created,
        flowState: OrderStatus.CREATED,
        clientId: caller.clientId,
        requestId: input.requestId,
        payerAccountId: payer.id,
        beneficiaryAccountId: vendor.id,
        ...asset,
        amount: total,
        reference: externalId.slice(0, 140),
        lastSequence: 0,
        version: 1,
        createdAt: this.clock.now(),
        updatedAt: this.clock.now(),
      });
      const order = tx.em.create(OrderDetails, { paymentId: payment.id, externalId, payerUserId: caller.userId, items, ...urls, captureMode, transferId: null });
      await this.changed(tx, payment, order, 'order.created');
      if (caller.recurrent) await this.reserve(tx, payment, order);
      return { paymentId: payment.id };
    };

    return this.db.transaction(async (tx) => {
      const { result } = await once(
        tx,
        {
          scope: `${caller.clientId}:request_id`,
          key: input.requestId,
          keyField: 'requestId',
          operation: 'createOrder',
          // The new options join the request only when used, so that keys from before them still replay.
          request: {
            payer: caller.userId,
            externalId,
            items,
            ...urls,
            recurrent: caller.recurrent,
            ...(captureMode !== CaptureMode.SINGLE ? { captureMode } : {}),
            ...(beneficiaryAccountId ? { beneficiaryAccountId } : {}),
          },
        },
        () => work(tx),
      );
      return { paymentId: String(result.paymentId) };
    });
  }

  /** The payer approves on the checkout page: the total is reserved on the payer's account. */
  async approve(payer: Principal, paymentId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { payment, order } = await this.allowed(tx, payer, 'approve', paymentId);
      await this.reserve(tx, payment, order);
    });
  }

  /**
   * The payer declines on the checkout page: only an order still waiting for the payer. Once
   * approved, the reservation is the vendor's to capture or cancel (a second tab cannot undo it).
   */
  async decline(payer: Principal, paymentId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { payment, order } = await this.allowed(tx, payer, 'approve', paymentId);
      if (payment.flowState !== OrderStatus.CREATED) {
        throw new PaygridError(ErrorCode.ILLEGAL_TRANSITION, 'orderId', `The order cannot be declined: it is ${payment.flowState}.`);
      }
      await this.release(tx, payment, order, OrderStatus.CANCELLED, 'order.declined_by_payer');
    });
  }

  /**
   * The vendor takes the money, all that is left or a part: the part is posted to its account. The
   * final capture (any capture in mode single, or one marked final, or one that takes all that is
   * left) releases the rest of the reservation and ends the captures; completion follows. Concurrent
   * captures queue on the order's row lock, each checking what the previous one left.
   */
  async capture(vendor: Principal & { clientId: string }, paymentId: string, idempotencyKey: string | null, input: CaptureInput = {}): Promise<void> {
    if (idempotencyKey != null) validateIdempotencyKey(idempotencyKey, 'idempotencyKey');
    const field = input.amountField ?? 'amount';
    const amountText = input.amount == null || input.amount === '' ? null : normalizeAmount(input.amount, field);
    await this.db.transaction(async (tx) => {
      const run = async () => {
        const { payment, order } = await this.allowed(tx, vendor, 'act', paymentId);
        if (input.currencyCode != null && input.currencyCode !== payment.assetCode) {
          throw new PaygridError(ErrorCode.ASSET_MISMATCH, 'amount.currency_code', `The order is in ${payment.assetCode}.`);
        }
        const left = payment.amount - payment.capturedAmount;
        const part = amountText === null ? left : parseAmount(amountText, payment.assetScale, field);
        const final = order.captureMode === CaptureMode.SINGLE || input.final === true || part === left;
        const to = final ? OrderStatus.CAPTURED : OrderStatus.PARTIALLY_CAPTURED;
        orderMachine.assertMove(payment.flowState as OrderStatus, to, 'orderId');
        if (part > left) {
          throw new PaygridError(ErrorCode.CAPTURE_EXCEEDS_AUTHORIZED, field, `At most ${formatAmount(left, payment.assetScale)} ${payment.assetCode} is left to capture.`);
        }
        let postedId = order.transferId!;
        if (part === left) {
          await this.ledger.post(tx, [order.transferId!]);
          order.transferId = null;
        } else {
          const { posted, rest } = await this.ledger.postPart(tx, order.transferId!, part, !final);
          postedId = posted.id;
          order.transferId = rest?.id ?? null;
        }
        const now = this.clock.now();
        const capture = tx.em.create(PaymentTransaction, {
          id: newId('txn'),
          paymentId,
          clientId: payment.clientId,
          kind: TransactionKind.CAPTURE,
          amount: part,
          state: TransactionState.COMPLETED,
          reference: null,
          transferId: postedId,
          emittedAt: now,
          updatedAt: now,
        });
        payment.capturedAmount += part;
        this.move(payment, to, 'orderId');
        if (final) payment.authorizationExpiresAt = null;
        await this.changed(tx, payment, order, final ? 'order.captured' : 'order.partially_captured', {
          transactionId: capture.id,
          captureAmount: part.toString(),
          capturedAmount: payment.capturedAmount.toString(),
          released: (final ? payment.amount - payment.capturedAmount : 0n).toString(),
        });
        if (final) await this.scheduleCompletion(tx, paymentId);
        return { paymentId };
      };
      if (idempotencyKey == null) return run();
      return once(
        tx,
        {
          scope: `${vendor.clientId}:idempotency`,
          key: idempotencyKey,
          keyField: 'idempotencyKey',
          operation: 'captureOrder',
          // A whole capture keeps the request it always had, so that keys from before partial captures replay.
          request:
            amountText === null && input.final == null
              ? { paymentId }
              : { paymentId, amount: amountText, final: input.final ?? null, ...(input.currencyCode != null ? { currencyCode: input.currencyCode } : {}) },
        },
        run,
      );
    });
  }

  /**
   * The scheduler's sweep found the approval lapsed: an order never captured expires and its
   * reservation is released; one partially captured keeps its captures, the rest released, and is
   * captured. Does nothing once the order moved on, or before its deadline.
   */
  async expire(paymentId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const payment = await tx.em.findOne(Payment, { id: paymentId, flow: PaymentFlow.ORDER }, { lockMode: tx.forUpdate });
      if (!payment || !payment.authorizationExpiresAt || payment.authorizationExpiresAt.getTime() > this.clock.now().getTime()) return;
      const order = await tx.em.findOneOrFail(OrderDetails, paymentId);
      if (payment.flowState === OrderStatus.APPROVED) {
        await this.release(tx, payment, order, OrderStatus.EXPIRED, 'order.expired');
      } else if (payment.flowState === OrderStatus.PARTIALLY_CAPTURED) {
        if (order.transferId) await this.ledger.void(tx, [order.transferId]);
        order.transferId = null;
        this.move(payment, OrderStatus.CAPTURED);
        await this.changed(tx, payment, order, 'order.captured', {
          reason: 'authorization_expired',
          capturedAmount: payment.capturedAmount.toString(),
          released: (payment.amount - payment.capturedAmount).toString(),
        });
        await this.scheduleCompletion(tx, paymentId);
      }
    });
  }

  private scheduleCompletion(tx: Tx, paymentId: string): Promise<unknown> {
    return this.jobs.schedule(tx, {
      kind: COMPLETE_ORDER_JOB,
      runAt: new Date(this.clock.now().getTime() + SETTLEMENT_DELAY_MS),
      payload: { paymentId },
      key: paymentId,
    });
  }

  /** The vendor cancels an order not captured yet; a reservation is released. */
  async cancel(vendor: Principal & { clientId: string }, paymentId: string, idempotencyKey: string | null): Promise<void> {
    if (idempotencyKey != null) validateIdempotencyKey(idempotencyKey, 'idempotencyKey');
    await this.db.transaction(async (tx) => {
      const run = async () => {
        const { payment, order } = await this.allowed(tx, vendor, 'act', paymentId);
        await this.release(tx, payment, order, OrderStatus.CANCELLED, 'order.cancelled');
        return { paymentId };
      };
      if (idempotencyKey == null) return run();
      return once(tx, { scope: `${vendor.clientId}:idempotency`, key: idempotencyKey, keyField: 'idempotencyKey', operation: 'cancelOrder', request: { paymentId } }, run);
    });
  }

  /** Scheduled after capture: the vendor's funds settled. A repeat finds the order completed and does nothing. */
  async complete(paymentId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const payment = await tx.em.findOne(Payment, { id: paymentId, flow: PaymentFlow.ORDER }, { lockMode: tx.forUpdate });
      if (!payment || payment.flowState !== OrderStatus.CAPTURED) return;
      const order = await tx.em.findOneOrFail(OrderDetails, paymentId);
      this.move(payment, OrderStatus.COMPLETED);
      await this.changed(tx, payment, order, 'order.completed');
    });
  }

  /** An order as vendors read it, when the principal may read it; else null. */
  async document(principal: Principal, paymentId: string): Promise<OrderDocument | null> {
    const found = await this.readable(principal, paymentId);
    return found && this.toDocument(found.payment, found.order);
  }

  /** What the checkout page shows: the order, for its own payer only. */
  async forCheckout(payer: Principal, paymentId: string): Promise<{ payment: Payment; order: OrderDetails } | null> {
    return this.readable(payer, paymentId);
  }

  private async readable(principal: Principal, paymentId: string): Promise<{ payment: Payment; order: OrderDetails } | null> {
    const em = this.db.reader();
    const payment = await em.findOne(Payment, { id: paymentId, flow: PaymentFlow.ORDER });
    if (!payment) return null;
    const facts = (await paymentFactsOf(em, [payment])).get(paymentId)!;
    if (!can(principal, 'read', { kind: 'payment', payment: facts })) return null;
    return { payment, order: await em.findOneOrFail(OrderDetails, paymentId) };
  }

  async details(paymentIds: readonly string[]): Promise<OrderDetails[]> {
    return this.db.reader().find(OrderDetails, { paymentId: { $in: [...paymentIds] } });
  }

  links(paymentId: string): OrderLink[] {
    return [
      { link: this.publicUrl.to(`/orders/${paymentId}`), rel: 'self', method: 'GET' },
      { link: this.publicUrl.to(`/checkout/${paymentId}`), rel: 'approve', method: 'GET' },
      { link: this.publicUrl.to(`/orders/${paymentId}/capture`), rel: 'capture', method: 'POST' },
      { link: this.publicUrl.to(`/orders/${paymentId}/cancel`), rel: 'cancel', method: 'POST' },
    ];
  }

  toDocument(payment: Payment, order: OrderDetails): OrderDocument {
    const money = (minor: bigint) => ({ value: formatAmount(minor, payment.assetScale), currency_code: payment.assetCode });
    return {
      id: payment.id,
      external_id: order.externalId,
      client_id: payment.clientId,
      status: payment.flowState as OrderStatus,
      total: money(payment.amount),
      capture_mode: order.captureMode,
      captured_total: money(payment.capturedAmount),
      refunded_total: money(payment.refundedAmount),
      refund_status: payment.refundStatus,
      items: order.items.map((i) => ({ name: i.name, description: i.description, amount: money(BigInt(i.amount)), count: i.count })),
      links: this.links(payment.id),
      created_at: payment.createdAt.toISOString(),
      updated_at: payment.updatedAt.toISOString(),
    };
  }

  private async reserve(tx: Tx, payment: Payment, order: OrderDetails): Promise<void> {
    this.move(payment, OrderStatus.APPROVED, 'orderId');
    const [transfer] = await this.ledger.reserve(tx, {
      debitAccountId: payment.payerAccountId!,
      creditAccountId: payment.beneficiaryAccountId!,
      purpose: 'order',
      legs: [{ amount: payment.amount, reference: order.externalId.slice(0, 200) }],
      field: 'orderId',
    });
    order.transferId = transfer.id;
    payment.authorizationExpiresAt = new Date(this.clock.now().getTime() + this.options.authorizationMs);
    await this.changed(tx, payment, order, 'order.approved', { authorizationExpiresAt: payment.authorizationExpiresAt.toISOString() });
  }

  private async release(tx: Tx, payment: Payment, order: OrderDetails, to: OrderStatus.CANCELLED | OrderStatus.EXPIRED, type: string): Promise<void> {
    this.move(payment, to, 'orderId');
    if (order.transferId) await this.ledger.void(tx, [order.transferId]);
    order.transferId = null;
    // An expired order keeps the deadline it missed; a cancelled one has none left.
    if (to === OrderStatus.CANCELLED) payment.authorizationExpiresAt = null;
    await this.changed(tx, payment, order, type);
  }

  private move(payment: Payment, to: OrderStatus, field?: string): void {
    movePayment(payment, orderMachine, ORDER_UNIFIED_STATE, to, this.clock.now(), field);
  }

  /** Records the change in the payment's history and queues the signed callback, in the same transaction. */
  private async changed(tx: Tx, payment: Payment, order: OrderDetails, type: string, data: Record<string, unknown> = {}): Promise<void> {
    recordPaymentEvent(tx, payment, type, { externalId: order.externalId, ...data });
    await this.callback(tx, payment, order, type);
  }

  /** The signed callback of a change already recorded (a refund records its own event). */
  private async callback(tx: Tx, payment: Payment, order: OrderDetails, type: string): Promise<void> {
    await this.callbacks.enqueue(tx, {
      clientId: payment.clientId,
      url: order.callbackUrl,
      eventType: type,
      paymentId: payment.id,
      body: this.toDocument(payment, order),
      scheme: 'iumicash',
    });
  }

  /**
   * The order, locked, when the policy lets the principal do `action` to it (the payer approving,
   * the vendor capturing or cancelling); NOT_FOUND otherwise. Who owns a payment and its accounts
   * never changes, so it is decided before the lock.
   */
  private async allowed(tx: Tx, principal: Principal, action: 'act' | 'approve', paymentId: string) {
    const found = await tx.em.findOne(Payment, { id: paymentId, flow: PaymentFlow.ORDER });
    const facts = found && (await paymentFactsOf(tx.em, [found])).get(paymentId)!;
    if (!facts || !can(principal, action, { kind: 'payment', payment: facts })) throw new PaygridError(ErrorCode.NOT_FOUND, 'orderId');
    const payment = await tx.em.findOneOrFail(Payment, { id: paymentId }, { lockMode: tx.forUpdate, refresh: true });
    return { payment, order: await tx.em.findOneOrFail(OrderDetails, paymentId) };
  }
}
