import { MAX_AMOUNT } from '../../money/money';
import type { Database } from '../../persistence/database';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { once, previousResult, validateIdempotencyKey, type IdempotentCall } from '../../shared/idempotency/idempotency';
import type { IdempotencyKey, IncomingPaymentRecord, IncomingPaymentService } from '../incoming-payments/incoming-payment.service';
import { parseOpAmount, toOpAmount, type OpAmount } from '../resources/op-amount';
import type { ResourceUrls } from '../resources/resource-urls';
import type { ResourceActor, WalletLookup, WalletRef } from '../resources/wallet';
import { feeFor, receiveFor, type FeePolicy } from './fee';
import { Quote } from './quote.entity';

export interface QuoteOptions {
  lifetimeMs: number;
  fee: FeePolicy;
}

export interface CreateQuote {
  receiver: unknown;
  /** The spec's payment method; only "ilp" (the enum), a label here: Paygrid settles on its ledger. */
  method?: unknown;
  debitAmount?: unknown;
  receiveAmount?: unknown;
}

/** What paying an incoming payment costs: debit = receive + fee, in the sender's minor units. */
export interface Price {
  debit: bigint;
  receive: bigint;
  fee: bigint;
}

/** What a receiver can take, wherever it is: its asset and what it still expects (null: an open amount). */
export interface Receivable {
  assetCode: string;
  assetScale: number;
  remaining: bigint | null;
}

/** An incoming payment on a peer instance, as its resource server showed it. */
export interface RemoteReceiver extends Receivable {
  url: string;
  /** Its id on the peer instance. */
  paymentId: string;
  peerId: string;
  expiresAt: Date | null;
}

/** Finds a receiver on a peer instance; null when the URL is on no configured peer. */
export interface RemoteReceivers {
  resolve(url: string, field: string): Promise<RemoteReceiver | null>;
}

export interface QuoteRecord {
  quote: Quote;
  wallet: WalletRef;
}

/** The spec's `quote`, exactly (no other keys). */
export interface QuoteJson {
  id: string;
  walletAddress: string;
  receiver: string;
  receiveAmount: OpAmount;
  debitAmount: OpAmount;
  method: 'ilp';
  createdAt: string;
  expiresAt: string;
}

/**
 * Quotes for paying an incoming payment on this Paygrid from a wallet address in the same asset:
 * fixed-send (debitAmount), fixed-receive (receiveAmount), or what the incoming payment still
 * expects. The fee is fixed + basis points of the receive amount, rounded up to a minor unit.
 */
export class QuoteService {
  constructor(
    private readonly db: Database,
    private readonly wallets: WalletLookup,
    private readonly incoming: IncomingPaymentService,
    private readonly urls: ResourceUrls,
    private readonly clock: Clock,
    private readonly options: QuoteOptions,
  ) {}

  private remote: RemoteReceivers | null = null;

  /** Lets quotes pay receivers on peer instances (peering is built after the resources it credits). */
  useRemoteReceivers(remote: RemoteReceivers): void {
    this.remote = remote;
  }

  receivableOf(record: IncomingPaymentRecord): Receivable {
    return { assetCode: record.payment.assetCode, assetScale: record.payment.assetScale, remaining: this.incoming.remaining(record.details) };
  }

  /** The price of paying `receiver` from `sender`, from at most one of the two amounts. */
  price(sender: WalletRef, receiver: Receivable, amounts: { debitAmount?: unknown; receiveAmount?: unknown }): Price {
    const given = (v: unknown) => v !== undefined && v !== null;
    if (given(amounts.debitAmount) && given(amounts.receiveAmount)) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'receiveAmount', 'Give debitAmount or receiveAmount, not both.');
    }
    if (receiver.assetCode !== sender.assetCode || receiver.assetScale !== sender.assetScale) {
      throw new PaygridError(ErrorCode.ASSET_MISMATCH, 'receiver', `The receiver expects ${receiver.assetCode} and the wallet address holds ${sender.assetCode}; Paygrid quotes within one asset only.`);
    }
    const remaining = receiver.remaining;
    const fee = this.options.fee;
    let price: Price;
    let field: string;
    if (given(amounts.debitAmount)) {
      field = 'debitAmount';
      const debit = parseOpAmount(amounts.debitAmount, field, sender);
      const receive = receiveFor(fee, debit, field);
      price = { debit, receive, fee: debit - receive };
    } else {
      field = given(amounts.receiveAmount) ? 'receiveAmount' : 'debitAmount';
      let receive: bigint;
      if (given(amounts.receiveAmount)) receive = parseOpAmount(amounts.receiveAmount, field, receiver);
      else if (remaining !== null) receive = remaining;
      else throw new PaygridError(ErrorCode.FIELD_REQUIRED, field, 'Give debitAmount or receiveAmount: the incoming payment has no amount to infer one from.');
      const charged = feeFor(fee, receive);
      if (receive + charged > MAX_AMOUNT) throw new PaygridError(ErrorCode.AMOUNT_TOO_LARGE, field);
      price = { debit: receive + charged, receive, fee: charged };
    }
    if (remaining !== null && price.receive > remaining) {
      throw new PaygridError(ErrorCode.AMOUNT_TOO_LARGE, field, `The incoming payment expects only ${remaining} more minor units.`);
    }
    return price;
  }

  async create(actor: ResourceActor, wallet: WalletRef, input: CreateQuote, idempotency?: IdempotencyKey): Promise<QuoteRecord> {
    if (input.method !== undefined && input.method !== 'ilp') throw new PaygridError(ErrorCode.INVALID_INPUT, 'method', 'method must be "ilp".');
    let call: IdempotentCall | undefined;
    if (idempotency) {
      validateIdempotencyKey(idempotency.key, 'idempotencyKey');
      const request = { walletAddress: wallet.id, receiver: input.receiver, debitAmount: input.debitAmount ?? null, receiveAmount: input.receiveAmount ?? null };
      call = { scope: idempotency.scope, key: idempotency.key, keyField: 'idempotencyKey', operation: 'createQuote', request };
      const prior = await previousResult(this.db.reader(), call);
      if (prior) return (await this.get(String(prior.quoteId)))!;
    }
    const remote = typeof input.receiver === 'string' && !this.urls.incomingPaymentId(input.receiver) && this.remote ? await this.remote.resolve(input.receiver, 'receiver') : null;
    const receiver = remote ? null : await this.incoming.payableByUrl(input.receiver, 'receiver');
    const price = this.price(wallet, remote ?? this.receivableOf(receiver!), input);
    const now = this.clock.now();
    const receiverExpiry = remote ? remote.expiresAt?.getTime() ?? Infinity : receiver!.details.expiresAt.getTime();
    const expiresAt = new Date(Math.min(now.getTime() + this.options.lifetimeMs, receiverExpiry));
    const id = await this.db.transaction(async (tx) => {
      const work = async () => {
        const quote = tx.em.create(Quote, {
          id: newId('quo'),
          walletAddressId: wallet.id,
          accountId: wallet.accountId,
          receiverPaymentId: remote ? remote.paymentId : receiver!.payment.id,
          receiverUrl: remote?.url ?? null,
          peerId: remote?.peerId ?? null,
          assetCode: wallet.assetCode,
          assetScale: wallet.assetScale,
          debitAmount: price.debit,
          receiveAmount: price.receive,
          fee: price.fee,
          expiresAt,
          clientKey: actor.clientKey,
          grantId: actor.grantId,
          outgoingPaymentId: null,
          createdAt: now,
        });
        return { quoteId: quote.id };
      };
      if (!call) return (await work()).quoteId;
      return String((await once(tx, { ...call, now, workFirst: true }, work)).result.quoteId);
    });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<QuoteRecord | null> {
    const quote = await this.db.reader().findOne(Quote, { id });
    if (!quote) return null;
    const wallet = await this.wallets.byAccount(quote.accountId);
    return wallet && { quote, wallet };
  }

  json({ quote, wallet }: QuoteRecord): QuoteJson {
    return {
      id: this.urls.quote(quote.id),
      walletAddress: wallet.url,
      receiver: quote.receiverUrl ?? this.urls.incomingPayment(quote.receiverPaymentId),
      receiveAmount: toOpAmount(quote.receiveAmount, quote),
      debitAmount: toOpAmount(quote.debitAmount, quote),
      method: 'ilp',
      createdAt: quote.createdAt.toISOString(),
      expiresAt: quote.expiresAt.toISOString(),
    };
  }
}
