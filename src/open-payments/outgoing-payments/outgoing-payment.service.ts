import { accountDirectory } from '../../accounts/account-directory';
import { recordPaymentEvent } from '../../events/event-recorder';
import type { LedgerService } from '../../ledger/ledger.service';
import type { Database, Tx } from '../../persistence/database';
import { Payment, PaymentFlow } from '../../payments/payment.entity';
import { movePayment } from '../../payments/payment-state';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError, isPaygridError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { once, previousResult, validateIdempotencyKey, type IdempotentCall } from '../../shared/idempotency/idempotency';
import type { Window, WindowRequest } from '../../shared/pagination';
import type { IdempotencyKey, IncomingPaymentRecord, IncomingPaymentService } from '../incoming-payments/incoming-payment.service';
import { Quote } from '../quotes/quote.entity';
import { GnapGrant } from '../grants/grant.entity';
import { LedgerTransfer, TransferState } from '../../ledger/transfer.entity';
import { receiveAssetOf as quoteReceiveAsset, type Price, type QuoteService } from '../quotes/quote.service';
import type { Asset } from '../../money/money';
import { checkMetadata } from '../resources/metadata';
import { toOpAmount, type OpAmount } from '../resources/op-amount';
import type { ResourceUrls } from '../resources/resource-urls';
import type { ResourceWebhooks } from '../resources/resource-webhooks';
import { pageOfWallet, paymentClientOf, type ResourceActor, type WalletLookup, type WalletRef } from '../resources/wallet';
import { addSpend, releaseSpend, spentIn, type SpendLimits, type Spent } from './grant-spend';
import { windowAt, type IntervalWindow } from './interval';
import { OutgoingPaymentDetails } from './outgoing-payment.entity';
import { OUTGOING_UNIFIED_STATE, OutgoingPaymentState, outgoingPaymentMachine } from './outgoing-payment.states';

export interface CreateOutgoingPayment {
  /** A quote URL (the spec's `quoteId`), or its id through GraphQL. */
  quoteId?: unknown;
  incomingPayment?: unknown;
  debitAmount?: unknown;
  metadata?: unknown;
}

/** The grant a payment is made under: its spending is counted and limited per interval window. */
export interface SpendingGrant {
  grantId: string;
  limits?: SpendLimits;
}

export interface OutgoingPaymentRecord {
  payment: Payment;
  details: OutgoingPaymentDetails;
  wallet: WalletRef;
}

export interface OutgoingPaymentOutcome {
  record: OutgoingPaymentRecord;
  /** The grant's totals in the current window after this payment (under a grant only). */
  spent: Spent | null;
}

/** The spec's `outgoing-payment`, exactly. */
export interface OutgoingPaymentJson {
  id: string;
  walletAddress: string;
  quoteId?: string;
  failed: boolean;
  receiver: string;
  receiveAmount: OpAmount;
  debitAmount: OpAmount;
  sentAmount: OpAmount;
  metadata?: Record<string, unknown>;
  createdAt: string;
}

/** Paying a receiver on a peer instance: the peer's account here, and the signed transfer sent after funding. */
export interface RemoteSending {
  accountOf(peerId: string): Promise<string>;
  /**
   * In the transaction that funds the payment: makes sure its transfer is sent even if this process
   * dies after the commit and before `send` records the call.
   */
  sendLater(tx: Tx, paymentId: string): Promise<void>;
  /** Sends (or resends) the peer transfer of a payment in SENDING; the answer completes or fails it. */
  send(paymentId: string): Promise<void>;
}

/** The receiver's asset of a payment: its own when the payment converts, the sender's otherwise. */
export function receiveAssetOf(payment: Payment, details: OutgoingPaymentDetails): Asset {
  return details.receiveAssetCode ? { assetCode: details.receiveAssetCode, assetScale: details.receiveAssetScale! } : { assetCode: payment.assetCode, assetScale: payment.assetScale };
}

export interface OutgoingPaymentOptions {
  metadataMaxBytes: number;
}

/**
 * Open Payments outgoing payments: a wallet address pays an incoming payment on this Paygrid, from a
 * quote or for a debit amount, under a grant whose limits are enforced per interval window. One
 * database transaction claims the quote, locks the incoming payment, adds to the grant's spend
 * (conditionally, against its limits), reserves the debit on the sender's account and posts it to
 * the receiver and the fee account; a payment that cannot be funded ends failed with nothing moved
 * and its spend given back. Each is a Payment of flow `outgoing_payment` with its details.
 */
export class OutgoingPaymentService {
  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly wallets: WalletLookup,
    private readonly incoming: IncomingPaymentService,
    private readonly quotes: QuoteService,
    private readonly urls: ResourceUrls,
    private readonly webhooks: ResourceWebhooks,
    private readonly clock: Clock,
    private readonly options: OutgoingPaymentOptions,
  ) {}

  private remote: RemoteSending | null = null;

  useRemoteSending(remote: RemoteSending): void {
    this.remote = remote;
  }

  async create(actor: ResourceActor, wallet: WalletRef, input: CreateOutgoingPayment, grant: SpendingGrant | null, idempotency?: IdempotencyKey): Promise<OutgoingPaymentOutcome> {
    let call: IdempotentCall | undefined;
    if (idempotency) {
      // A repeat gets the first answer, before any check of the state the first left (the quote used, the receiver paid).
      validateIdempotencyKey(idempotency.key, 'idempotencyKey');
      const request = { walletAddress: wallet.id, quoteId: input.quoteId ?? null, incomingPayment: input.incomingPayment ?? null, debitAmount: input.debitAmount ?? null, metadata: input.metadata ?? null };
      call = { scope: idempotency.scope, key: idempotency.key, keyField: 'idempotencyKey', operation: 'createOutgoingPayment', request };
      const prior = await previousResult(this.db.reader(), call);
      if (prior) return { record: (await this.get(String(prior.paymentId)))!, spent: null };
    }
    const metadata = checkMetadata(input.metadata, 'metadata', this.options.metadataMaxBytes);
    const fromQuote = input.quoteId !== undefined && input.quoteId !== null;
    if (fromQuote && (input.incomingPayment !== undefined || input.debitAmount !== undefined)) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'quoteId', 'Give a quoteId, or an incomingPayment with a debitAmount, not both.');
    }
    // Everything that needs no lock is read before the transaction, which then holds one connection.
    let quote: Quote | null = null;
    let receiver: IncomingPaymentRecord | null = null;
    let remote: { peerId: string; url: string; paymentId: string; accountId: string } | null = null;
    let price: Price;
    if (fromQuote) {
      const id = this.urls.quoteId(input.quoteId) ?? (typeof input.quoteId === 'string' && /^quo_[A-Z0-9]{26}$/.test(input.quoteId) ? input.quoteId : null);
      quote = id ? await this.db.reader().findOne(Quote, { id }) : null;
      if (!quote || quote.walletAddressId !== wallet.id) throw new PaygridError(ErrorCode.QUOTE_INVALID, 'quoteId', 'No such quote for this wallet address.');
      if (quote.outgoingPaymentId) throw new PaygridError(ErrorCode.QUOTE_ALREADY_USED, 'quoteId');
      if (quote.expiresAt.getTime() <= this.clock.now().getTime()) throw new PaygridError(ErrorCode.QUOTE_INVALID, 'quoteId', 'The quote has expired.');
      if (quote.peerId && this.remote) remote = { peerId: quote.peerId, url: quote.receiverUrl!, paymentId: quote.receiverPaymentId, accountId: await this.remote.accountOf(quote.peerId) };
      else receiver = await this.incoming.payableByUrl(this.urls.incomingPayment(quote.receiverPaymentId), 'quoteId');
      price = { debit: quote.debitAmount, receive: quote.receiveAmount, fee: quote.fee, receiveAsset: quoteReceiveAsset(quote), exchangeRate: quote.exchangeRate };
    } else {
      if (input.incomingPayment === undefined || input.incomingPayment === null) throw new PaygridError(ErrorCode.FIELD_REQUIRED, 'incomingPayment', 'Give a quoteId, or an incomingPayment with a debitAmount.');
      if (input.debitAmount === undefined || input.debitAmount === null) throw new PaygridError(ErrorCode.FIELD_REQUIRED, 'debitAmount', 'A payment without a quote needs its debitAmount.');
      const elsewhere = this.remote ? await this.quotes.remoteReceiver(input.incomingPayment, 'incomingPayment') : null;
      if (elsewhere) {
        // On a peer: priced as a quote would be (beyond what it still expects is refused there); the
        // peer checks again when the transfer arrives.
        price = await this.quotes.price(wallet, elsewhere, { debitAmount: input.debitAmount });
        remote = { peerId: elsewhere.peerId, url: elsewhere.url, paymentId: elsewhere.paymentId, accountId: await this.remote!.accountOf(elsewhere.peerId) };
      } else {
        receiver = await this.incoming.payableByUrl(input.incomingPayment, 'incomingPayment');
        price = await this.quotes.price(wallet, this.quotes.receivableOf(receiver), { debitAmount: input.debitAmount });
      }
    }
    const receiverUrl = remote ? remote.url : this.urls.incomingPayment(receiver!.payment.id);
    const now = this.clock.now();
    let window: IntervalWindow | null = null;
    if (grant) {
      window = windowAt(grant.limits?.interval, now);
      if (!window) throw new PaygridError(ErrorCode.GRANT_LIMIT_EXCEEDED, null, 'The grant allows no payment now: it is outside every window of its interval.');
      if (grant.limits?.receiver && grant.limits.receiver !== receiverUrl) {
        throw new PaygridError(ErrorCode.GRANT_LIMIT_EXCEEDED, fromQuote ? 'quoteId' : 'incomingPayment', 'The grant allows paying another receiver only.');
      }
    }
    const receiverAccountId = remote ? remote.accountId : receiver!.payment.beneficiaryAccountId!;
    const accounts = await accountDirectory(this.db).of([receiverAccountId, wallet.accountId]);
    const receiverAccount = accounts.get(receiverAccountId);
    const senderClientId = paymentClientOf(actor, accounts.get(wallet.accountId)?.clientId ?? null);
    if (!receiverAccount) throw new PaygridError(ErrorCode.RECEIVER_INVALID, 'incomingPayment');
    if (receiverAccount.id === wallet.accountId) throw new PaygridError(ErrorCode.SAME_ACCOUNT, fromQuote ? 'quoteId' : 'incomingPayment', 'A wallet address cannot pay itself.');

    let spent: Spent | null = null;
    const paymentId = await this.db.transaction(async (tx) => {
      spent = null;
      const work = async () => {
        const payment = tx.em.create(Payment, {
          id: newId('pay'),
          flow: PaymentFlow.OUTGOING_PAYMENT,
          state: OUTGOING_UNIFIED_STATE.funding,
          flowState: OutgoingPaymentState.FUNDING,
          clientId: senderClientId,
          requestId: null,
          payerAccountId: wallet.accountId,
          beneficiaryAccountId: receiverAccount.id,
          assetCode: wallet.assetCode,
          assetScale: wallet.assetScale,
          amount: price.debit,
          reference: null,
          lastSequence: 0,
          version: 1,
          createdAt: now,
          updatedAt: now,
        });
        if (quote) await this.claimQuote(tx, quote, payment.id);
        // A remote receiver is checked by its instance when the transfer arrives.
        const target = receiver && (await this.incoming.lockPayable(tx, receiver, fromQuote ? 'quoteId' : 'incomingPayment'));
        const remaining = target && this.incoming.remaining(target.details);
        if (remaining !== null && price.receive > remaining) {
          throw new PaygridError(ErrorCode.RECEIVER_INVALID, fromQuote ? 'quoteId' : 'debitAmount', `The incoming payment expects only ${remaining} more minor units.`);
        }
        if (grant) spent = await addSpend(tx, grant.grantId, window!, wallet, price.debit, price.receive, grant.limits);
        const details = tx.em.create(OutgoingPaymentDetails, {
          paymentId: payment.id,
          walletAddressId: wallet.id,
          quoteId: quote?.id ?? null,
          receiverPaymentId: remote ? remote.paymentId : receiver!.payment.id,
          receiverUrl: remote?.url ?? null,
          peerId: remote?.peerId ?? null,
          debitAmount: price.debit,
          receiveAmount: price.receive,
          fee: price.fee,
          receiveAssetCode: price.exchangeRate ? price.receiveAsset.assetCode : null,
          receiveAssetScale: price.exchangeRate ? price.receiveAsset.assetScale : null,
          exchangeRate: price.exchangeRate,
          sentAmount: 0n,
          failed: false,
          failureCode: null,
          metadata,
          clientKey: actor.clientKey,
          grantId: grant?.grantId ?? null,
        });
        const record = { payment, details, wallet };
        recordPaymentEvent(tx, payment, 'outgoing_payment.created', { receiver: receiverUrl, quoteId: details.quoteId, grantId: details.grantId });
        await this.webhooks.notify(tx, payment, 'outgoing_payment.created', this.json(record) as unknown as Record<string, unknown>);
        const transferIds = await this.fund(tx, record, receiverAccount.id);
        if (!transferIds) {
          if (grant) spent = await releaseSpend(tx, grant.grantId, window!, price.debit, price.receive);
          await this.move(tx, record, OutgoingPaymentState.FAILED, 'outgoing_payment.failed', { reason: ErrorCode.INSUFFICIENT_FUNDS });
          return { paymentId: payment.id };
        }
        await this.move(tx, record, OutgoingPaymentState.SENDING, 'outgoing_payment.funded');
        // Remote: the reservation is held until the peer answers the transfer (sent after this transaction).
        if (!target) {
          await this.remote!.sendLater(tx, payment.id);
          return { paymentId: payment.id };
        }
        await this.ledger.post(tx, transferIds);
        await this.payOutExchanged(tx, record, receiverAccount.id);
        details.sentAmount = price.debit - price.fee;
        await this.incoming.receive(tx, target, price.receive, payment.id);
        await this.move(tx, record, OutgoingPaymentState.COMPLETED, 'outgoing_payment.completed');
        return { paymentId: payment.id };
      };
      if (!call) return (await work()).paymentId;
      return String((await once(tx, { ...call, now, workFirst: true }, work)).result.paymentId);
    });
    if (remote) await this.remote!.send(paymentId);
    return { record: (await this.get(paymentId))!, spent };
  }

  /** Locks a payment and tells whether it still waits for its peer transfer's answer. */
  async lockSending(tx: Tx, paymentId: string): Promise<boolean> {
    const payment = await tx.em.findOne(Payment, { id: paymentId, flow: PaymentFlow.OUTGOING_PAYMENT }, { lockMode: tx.forUpdate });
    return payment?.flowState === OutgoingPaymentState.SENDING;
  }

  /**
   * Applies the peer's definite answer to a remote payment (locked by lockSending): credited, the
   * reservation is posted against the peer's account and the payment completes; refused, it is
   * voided and the payment fails.
   */
  async finishRemote(tx: Tx, paymentId: string, credited: boolean, code: string | null): Promise<void> {
    const payment = await tx.em.findOneOrFail(Payment, { id: paymentId });
    const details = await tx.em.findOneOrFail(OutgoingPaymentDetails, { paymentId });
    const wallet = (await this.wallets.byAccount(payment.payerAccountId!, tx.em))!;
    const record = { payment, details, wallet };
    const reserved = await tx.em.find(LedgerTransfer, { reference: paymentId, state: TransferState.PENDING, debitAccountId: payment.payerAccountId! });
    const ids = reserved.map((t) => t.id);
    if (credited) {
      await this.ledger.post(tx, ids);
      await this.payOutExchanged(tx, record, payment.beneficiaryAccountId!);
      details.sentAmount = details.debitAmount - details.fee;
      await this.move(tx, record, OutgoingPaymentState.COMPLETED, 'outgoing_payment.completed');
    } else {
      await this.ledger.void(tx, ids);
      await this.releaseGrantSpend(tx, record);
      details.failed = true;
      details.failureCode = ErrorCode.RECEIVER_INVALID;
      await this.move(tx, record, OutgoingPaymentState.FAILED, 'outgoing_payment.failed', { reason: ErrorCode.RECEIVER_INVALID, peerAnswer: code });
    }
  }

  async get(id: string): Promise<OutgoingPaymentRecord | null> {
    const em = this.db.reader();
    const details = await em.findOne(OutgoingPaymentDetails, { paymentId: id });
    if (!details) return null;
    const payment = await em.findOneOrFail(Payment, { id });
    const wallet = await this.wallets.byAccount(payment.payerAccountId!);
    return wallet && { payment, details, wallet };
  }

  async list(wallet: WalletRef, page: WindowRequest, clientKey: string | null | undefined): Promise<Window<OutgoingPaymentRecord>> {
    return pageOfWallet(this.db.reader(), OutgoingPaymentDetails, wallet, page, clientKey);
  }

  /** What the grant spent in the current window of its interval; nulls when nothing. */
  async spentUnder(grant: SpendingGrant): Promise<Spent | null> {
    const window = windowAt(grant.limits?.interval, this.clock.now());
    if (!window) return null;
    return this.db.transaction((tx) => spentIn(tx, grant.grantId, window));
  }

  json({ payment, details, wallet }: OutgoingPaymentRecord): OutgoingPaymentJson {
    return {
      id: this.urls.outgoingPayment(payment.id),
      walletAddress: wallet.url,
      ...(details.quoteId ? { quoteId: this.urls.quote(details.quoteId) } : {}),
      failed: details.failed,
      receiver: details.receiverUrl ?? this.urls.incomingPayment(details.receiverPaymentId),
      receiveAmount: toOpAmount(details.receiveAmount, receiveAssetOf(payment, details)),
      debitAmount: toOpAmount(details.debitAmount, payment),
      sentAmount: toOpAmount(details.sentAmount, payment),
      ...(details.metadata ? { metadata: details.metadata } : {}),
      createdAt: payment.createdAt.toISOString(),
    };
  }

  /** Gives back to its grant what a failed payment counted, in the window it was counted in. */
  private async releaseGrantSpend(tx: Tx, { payment, details, wallet }: OutgoingPaymentRecord): Promise<void> {
    if (!details.grantId) return;
    const grant = await tx.em.findOne(GnapGrant, { id: details.grantId });
    const item = grant?.access.find((a) => a.type === 'outgoing-payment' && a.identifier === wallet.url);
    const window = windowAt(item?.limits?.interval, payment.createdAt);
    if (window) await releaseSpend(tx, details.grantId, window, details.debitAmount, details.receiveAmount);
  }

  /** Marks the quote used by this payment, in one conditional statement: a second use finds it taken. */
  private async claimQuote(tx: Tx, quote: Quote, paymentId: string): Promise<void> {
    const changed = await tx.em.nativeUpdate(Quote, { id: quote.id, outgoingPaymentId: null, expiresAt: { $gt: this.clock.now() } }, { outgoingPaymentId: paymentId });
    if (changed === 1) return;
    const now = await tx.em.findOne(Quote, { id: quote.id }, { disableIdentityMap: true });
    if (now?.outgoingPaymentId) throw new PaygridError(ErrorCode.QUOTE_ALREADY_USED, 'quoteId');
    throw new PaygridError(ErrorCode.QUOTE_INVALID, 'quoteId', 'The quote has expired.');
  }

  /**
   * Across assets, once the sender's side is posted (its principal to the exchange position of its
   * asset): the exchange position of the receiver's asset pays the receive amount to the receiver's
   * account (here, or the peer's for a remote receiver). Within one asset there is nothing to do.
   */
  private async payOutExchanged(tx: Tx, { payment, details }: OutgoingPaymentRecord, receiverAccountId: string): Promise<void> {
    if (!details.receiveAssetCode) return;
    const fx = await this.ledger.fxAccount(tx, details.receiveAssetCode, details.receiveAssetScale!);
    await this.ledger.transfer(tx, { debitAccountId: fx, creditAccountId: receiverAccountId, purpose: 'open_payments_fx', legs: [{ amount: details.receiveAmount, reference: payment.id }] });
  }

  /**
   * Reserves the principal and the fee (to the platform's fee account) on the sender's account;
   * null, with nothing left reserved, when the account cannot cover both. The principal goes to the
   * receiver within one asset, and across assets to the exchange position of the sender's asset
   * (payOutExchanged credits the receiver in theirs).
   */
  private async fund(tx: Tx, { payment, details }: OutgoingPaymentRecord, receiverAccountId: string): Promise<string[] | null> {
    const reserved: string[] = [];
    try {
      const principalTo = details.receiveAssetCode ? await this.ledger.fxAccount(tx, payment.assetCode, payment.assetScale) : receiverAccountId;
      const [toReceiver] = await this.ledger.reserve(tx, {
        debitAccountId: payment.payerAccountId!,
        creditAccountId: principalTo,
        purpose: 'open_payments',
        legs: [{ amount: details.debitAmount - details.fee, reference: payment.id }],
      });
      reserved.push(toReceiver.id);
      if (details.fee > 0n) {
        const feeAccount = await this.ledger.feeAccount(tx, payment.assetCode, payment.assetScale);
        const [fee] = await this.ledger.reserve(tx, {
          debitAccountId: payment.payerAccountId!,
          creditAccountId: feeAccount,
          purpose: 'open_payments_fee',
          legs: [{ amount: details.fee, reference: payment.id }],
        });
        reserved.push(fee.id);
      }
      return reserved;
    } catch (error) {
      if (!isPaygridError(error) || error.code !== ErrorCode.INSUFFICIENT_FUNDS) throw error;
      await this.ledger.void(tx, reserved);
      details.failed = true;
      details.failureCode = ErrorCode.INSUFFICIENT_FUNDS;
      return null;
    }
  }

  private async move(tx: Tx, record: OutgoingPaymentRecord, to: OutgoingPaymentState, type: string, data: Record<string, unknown> = {}): Promise<void> {
    movePayment(record.payment, outgoingPaymentMachine, OUTGOING_UNIFIED_STATE, to, this.clock.now(), 'id');
    recordPaymentEvent(tx, record.payment, type, { ...data, sentAmount: record.details.sentAmount.toString() });
    if (to === OutgoingPaymentState.COMPLETED || to === OutgoingPaymentState.FAILED) {
      await this.webhooks.notify(tx, record.payment, type, this.json(record) as unknown as Record<string, unknown>);
    }
  }
}
