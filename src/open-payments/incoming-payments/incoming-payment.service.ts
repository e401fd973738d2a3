import { accountDirectory } from '../../accounts/account-directory';
import { recordPaymentEvent } from '../../events/event-recorder';
import type { Scheduler } from '../../jobs/scheduler';
import type { Database, Tx } from '../../persistence/database';
import { Payment, PaymentFlow } from '../../payments/payment.entity';
import { movePayment } from '../../payments/payment-state';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { once, previousResult, validateIdempotencyKey, type IdempotentCall } from '../../shared/idempotency/idempotency';
import type { Window, WindowRequest } from '../../shared/pagination';
import { checkMetadata } from '../resources/metadata';
import { parseOpAmount, toOpAmount, type OpAmount } from '../resources/op-amount';
import type { ResourceUrls } from '../resources/resource-urls';
import type { ResourceWebhooks } from '../resources/resource-webhooks';
import { pageOfWallet, paymentClientOf, type ResourceActor, type WalletLookup, type WalletRef } from '../resources/wallet';
import { IncomingPaymentDetails } from './incoming-payment.entity';
import { INCOMING_UNIFIED_STATE, IncomingPaymentState, incomingPaymentMachine } from './incoming-payment.states';

export const EXPIRE_INCOMING_PAYMENT_JOB = 'op.incoming_payment.expire';

export interface IncomingPaymentOptions {
  /** Longest lifetime, and the lifetime of one created without expiresAt. */
  maxExpiryMs: number;
  metadataMaxBytes: number;
}

export interface CreateIncomingPayment {
  incomingAmount?: unknown;
  expiresAt?: unknown;
  metadata?: unknown;
}

/** A GraphQL caller's key: its mutations are idempotent per client. */
export interface IdempotencyKey {
  scope: string;
  key: string;
}

/** An incoming payment as both faces read it. */
export interface IncomingPaymentRecord {
  payment: Payment;
  details: IncomingPaymentDetails;
  wallet: WalletRef;
}

/** The Open Payments JSON of an incoming payment (spec `incoming-payment`, optional keys absent, not null). */
export interface IncomingPaymentJson {
  id: string;
  walletAddress: string;
  completed: boolean;
  incomingAmount?: OpAmount;
  receivedAmount: OpAmount;
  expiresAt?: string;
  metadata?: Record<string, unknown>;
  createdAt: string;
  methods?: never[];
}

function parseExpiry(raw: unknown, now: Date, maxMs: number): Date {
  if (raw === undefined || raw === null) return new Date(now.getTime() + maxMs);
  const at = raw instanceof Date ? raw : typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(at.getTime())) throw new PaygridError(ErrorCode.EXPIRY_INVALID, 'expiresAt', 'expiresAt must be an RFC 3339 date-time.');
  if (at.getTime() <= now.getTime()) throw new PaygridError(ErrorCode.EXPIRY_INVALID, 'expiresAt', 'expiresAt must be in the future.');
  if (at.getTime() > now.getTime() + maxMs) {
    throw new PaygridError(ErrorCode.EXPIRY_INVALID, 'expiresAt', `expiresAt may be at most ${Math.round(maxMs / 86_400_000)} days ahead.`);
  }
  return at;
}

/**
 * Open Payments incoming payments: a wallet address expects money. Each is a Payment of flow
 * `incoming_payment` (the receiving account is its beneficiary) with its details; money arrives
 * only through `receive`, inside the transaction of an outgoing payment that holds its row lock.
 * It completes when the expected amount arrived or on request, and expires at `expiresAt`.
 */
export class IncomingPaymentService {
  constructor(
    private readonly db: Database,
    private readonly wallets: WalletLookup,
    private readonly urls: ResourceUrls,
    private readonly webhooks: ResourceWebhooks,
    private readonly scheduler: Scheduler,
    private readonly clock: Clock,
    private readonly options: IncomingPaymentOptions,
  ) {
    scheduler.register<{ paymentId: string }>(EXPIRE_INCOMING_PAYMENT_JOB, ({ paymentId }) => this.expire(paymentId));
  }

  async create(actor: ResourceActor, wallet: WalletRef, input: CreateIncomingPayment, idempotency?: IdempotencyKey): Promise<IncomingPaymentRecord> {
    const call = idempotency && this.call(idempotency, 'createIncomingPayment', { walletAddress: wallet.id, incomingAmount: input.incomingAmount ?? null, expiresAt: input.expiresAt ?? null, metadata: input.metadata ?? null });
    const prior = call && (await previousResult(this.db.reader(), call));
    if (prior) return (await this.get(String(prior.paymentId)))!;
    const now = this.clock.now();
    const incomingAmount = input.incomingAmount === undefined || input.incomingAmount === null ? null : parseOpAmount(input.incomingAmount, 'incomingAmount', wallet);
    const expiresAt = parseExpiry(input.expiresAt, now, this.options.maxExpiryMs);
    const metadata = checkMetadata(input.metadata, 'metadata', this.options.metadataMaxBytes);
    const account = (await accountDirectory(this.db).of([wallet.accountId])).get(wallet.accountId);
    if (!account) throw new PaygridError(ErrorCode.NOT_FOUND, 'walletAddress');
    const paymentId = await this.db.transaction(async (tx) => {
      const work = async () => {
        const payment = tx.em.create(Payment, {
          id: newId('pay'),
          flow: PaymentFlow.INCOMING_PAYMENT,
          state: INCOMING_UNIFIED_STATE.pending,
          flowState: IncomingPaymentState.PENDING,
          clientId: paymentClientOf(actor, account.clientId),
          requestId: null,
          payerAccountId: null,
          beneficiaryAccountId: wallet.accountId,
          assetCode: wallet.assetCode,
          assetScale: wallet.assetScale,
          amount: incomingAmount ?? 0n,
          reference: null,
          lastSequence: 0,
          version: 1,
          createdAt: now,
          updatedAt: now,
        });
        const details = tx.em.create(IncomingPaymentDetails, {
          paymentId: payment.id,
          walletAddressId: wallet.id,
          incomingAmount,
          receivedAmount: 0n,
          expiresAt,
          metadata,
          clientKey: actor.clientKey,
          grantId: actor.grantId,
          completedAt: null,
        });
        recordPaymentEvent(tx, payment, 'incoming_payment.created', { walletAddress: wallet.url, expiresAt: expiresAt.toISOString() });
        await this.scheduler.schedule(tx, { kind: EXPIRE_INCOMING_PAYMENT_JOB, runAt: expiresAt, payload: { paymentId: payment.id }, key: payment.id });
        await this.webhooks.notify(tx, payment, 'incoming_payment.created', this.json({ payment, details, wallet }) as unknown as Record<string, unknown>);
        return { paymentId: payment.id };
      };
      if (!call) return (await work()).paymentId;
      return String((await once(tx, { ...call, now, workFirst: true }, work)).result.paymentId);
    });
    return (await this.get(paymentId))!;
  }

  async get(id: string): Promise<IncomingPaymentRecord | null> {
    const em = this.db.reader();
    const details = await em.findOne(IncomingPaymentDetails, { paymentId: id });
    if (!details) return null;
    const payment = await em.findOneOrFail(Payment, { id });
    const wallet = await this.wallets.byAccount(payment.beneficiaryAccountId!);
    return wallet && { payment, details, wallet };
  }

  /** A wallet address's incoming payments, newest first; only `clientKey`'s when given (read without read-all). */
  async list(wallet: WalletRef, page: WindowRequest, clientKey: string | null | undefined): Promise<Window<IncomingPaymentRecord>> {
    return pageOfWallet(this.db.reader(), IncomingPaymentDetails, wallet, page, clientKey);
  }

  /** Completes it on request: no more money is accepted. Completing a completed one is answered as it is. */
  async complete(id: string, idempotency?: IdempotencyKey): Promise<IncomingPaymentRecord> {
    const call = idempotency && this.call(idempotency, 'completeIncomingPayment', { id });
    if (call && (await previousResult(this.db.reader(), call))) return (await this.get(id))!;
    // The wallet address of an account never changes: read before the transaction, which then holds one connection only.
    const before = await this.get(id);
    if (!before) throw new PaygridError(ErrorCode.NOT_FOUND, 'id');
    await this.db.transaction(async (tx) => {
      const work = async () => {
        const { payment, details } = await this.lock(tx, id);
        if (payment.flowState === IncomingPaymentState.COMPLETED) return { paymentId: id };
        await this.move(tx, { payment, details, wallet: before.wallet }, IncomingPaymentState.COMPLETED, 'incoming_payment.completed');
        return { paymentId: id };
      };
      if (!call) return work();
      return once(tx, { ...call, workFirst: true }, work);
    });
    return (await this.get(id))!;
  }

  /** The scheduled expiry: a payment still open at `expiresAt` expires; a final one stays as it is. */
  async expire(id: string): Promise<void> {
    const before = await this.get(id);
    if (!before) return;
    await this.db.transaction(async (tx) => {
      const found = await this.lockIfAny(tx, id);
      if (!found || incomingPaymentMachine.isFinal(found.payment.flowState as IncomingPaymentState)) return;
      if (found.details.expiresAt.getTime() > this.clock.now().getTime()) return;
      await this.move(tx, { ...found, wallet: before.wallet }, IncomingPaymentState.EXPIRED, 'incoming_payment.expired');
    });
  }

  /**
   * The incoming payment `url` points to, locked in `tx`, when it can still receive money: one of
   * ours, neither completed nor expired (RECEIVER_INVALID on `field` otherwise).
   */
  async lockPayable(tx: Tx, receiver: IncomingPaymentRecord, field: string): Promise<IncomingPaymentRecord> {
    const found = await this.lockIfAny(tx, receiver.payment.id);
    if (!found) throw new PaygridError(ErrorCode.RECEIVER_INVALID, field, 'The receiver is not an incoming payment on this Paygrid.');
    const record = { ...found, wallet: receiver.wallet };
    this.assertPayable(record, field);
    return record;
  }

  /** The incoming payment one of our URLs names, read before a transaction; RECEIVER_INVALID on `field` when there is none or it is not payable. */
  async payableByUrl(url: unknown, field: string): Promise<IncomingPaymentRecord> {
    const id = this.urls.incomingPaymentId(url);
    const record = id ? await this.get(id) : null;
    if (!record) throw new PaygridError(ErrorCode.RECEIVER_INVALID, field, 'The receiver is not an incoming payment on this Paygrid.');
    this.assertPayable(record, field);
    return record;
  }

  /** RECEIVER_INVALID when the incoming payment no longer accepts money. */
  assertPayable({ payment, details }: Pick<IncomingPaymentRecord, 'payment' | 'details'>, field: string): void {
    if (incomingPaymentMachine.isFinal(payment.flowState as IncomingPaymentState) || details.expiresAt.getTime() <= this.clock.now().getTime()) {
      throw new PaygridError(ErrorCode.RECEIVER_INVALID, field, `The incoming payment is ${details.expiresAt.getTime() <= this.clock.now().getTime() ? 'expired' : payment.flowState}.`);
    }
  }

  /** What it still expects; null for an open amount. */
  remaining(details: IncomingPaymentDetails): bigint | null {
    return details.incomingAmount === null ? null : details.incomingAmount - details.receivedAmount;
  }

  /** Credits money that the caller posted to the receiving account in `tx`; completes it when all arrived. */
  async receive(tx: Tx, record: IncomingPaymentRecord, amount: bigint, outgoingPaymentId: string): Promise<void> {
    const { payment, details } = record;
    details.receivedAmount += amount;
    const full = details.incomingAmount !== null && details.receivedAmount >= details.incomingAmount;
    if (full) {
      await this.move(tx, record, IncomingPaymentState.COMPLETED, 'incoming_payment.completed', { outgoingPaymentId, received: amount.toString() });
    } else if (payment.flowState === IncomingPaymentState.PENDING) {
      await this.move(tx, record, IncomingPaymentState.PROCESSING, 'incoming_payment.received', { outgoingPaymentId, received: amount.toString() });
    } else {
      payment.updatedAt = this.clock.now();
      recordPaymentEvent(tx, payment, 'incoming_payment.received', { outgoingPaymentId, received: amount.toString(), receivedAmount: details.receivedAmount.toString() });
    }
  }

  /** The Open Payments JSON; `methods: []` where the spec wants them (Paygrid settles on its ledger, not over ILP). */
  json(record: IncomingPaymentRecord, withMethods = true): IncomingPaymentJson {
    const { payment, details, wallet } = record;
    return {
      id: this.urls.incomingPayment(payment.id),
      walletAddress: wallet.url,
      completed: payment.flowState === IncomingPaymentState.COMPLETED,
      ...(details.incomingAmount !== null ? { incomingAmount: toOpAmount(details.incomingAmount, payment) } : {}),
      receivedAmount: toOpAmount(details.receivedAmount, payment),
      expiresAt: details.expiresAt.toISOString(),
      ...(details.metadata ? { metadata: details.metadata } : {}),
      createdAt: payment.createdAt.toISOString(),
      ...(withMethods ? { methods: [] } : {}),
    };
  }

  /** The public form, for a GET without a grant. */
  publicJson(record: IncomingPaymentRecord): { authServer: string; receivedAmount: OpAmount } {
    return { authServer: this.urls.authServer(), receivedAmount: toOpAmount(record.details.receivedAmount, record.payment) };
  }

  /** A GraphQL caller's idempotent call; the key checked first. */
  private call(idempotency: IdempotencyKey, operation: string, request: Record<string, unknown>): IdempotentCall {
    validateIdempotencyKey(idempotency.key, 'idempotencyKey');
    return { scope: idempotency.scope, key: idempotency.key, keyField: 'idempotencyKey', operation, request };
  }

  private async lock(tx: Tx, id: string): Promise<{ payment: Payment; details: IncomingPaymentDetails }> {
    const found = await this.lockIfAny(tx, id);
    if (!found) throw new PaygridError(ErrorCode.NOT_FOUND, 'id');
    return found;
  }

  private async lockIfAny(tx: Tx, id: string): Promise<{ payment: Payment; details: IncomingPaymentDetails } | null> {
    const payment = await tx.em.findOne(Payment, { id, flow: PaymentFlow.INCOMING_PAYMENT }, { lockMode: tx.forUpdate });
    if (!payment) return null;
    const details = await tx.em.findOneOrFail(IncomingPaymentDetails, { paymentId: id });
    return { payment, details };
  }

  private async move(tx: Tx, record: IncomingPaymentRecord, to: IncomingPaymentState, type: string, data: Record<string, unknown> = {}): Promise<void> {
    const { payment, details } = record;
    const now = this.clock.now();
    movePayment(payment, incomingPaymentMachine, INCOMING_UNIFIED_STATE, to, now, 'id');
    if (to === IncomingPaymentState.COMPLETED) details.completedAt = now;
    recordPaymentEvent(tx, payment, type, { ...data, receivedAmount: details.receivedAmount.toString() });
    if (to === IncomingPaymentState.COMPLETED || to === IncomingPaymentState.EXPIRED) {
      await this.webhooks.notify(tx, payment, type, this.json(record) as unknown as Record<string, unknown>);
    }
  }
}
