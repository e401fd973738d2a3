import type { Asset } from '../../money/money';
import type { Database } from '../../persistence/database';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { once, previousResult, validateIdempotencyKey, type IdempotentCall } from '../../shared/idempotency/idempotency';
import type { IdempotencyKey, IncomingPaymentRecord, IncomingPaymentService } from '../incoming-payments/incoming-payment.service';
import { toOpAmount, type OpAmount } from '../resources/op-amount';
import type { ResourceUrls } from '../resources/resource-urls';
import type { ResourceActor, WalletLookup, WalletRef } from '../resources/wallet';
import type { ExchangeRates } from '../../providers/exchange-rates/exchange-rates';
import type { FeePolicy } from './fee';
import { priceOf, type Price } from './price';

export type { Price } from './price';
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

/** The receiver's asset of a quote: its own when the quote converts, the sender's otherwise. */
export function receiveAssetOf(quote: Quote): Asset {
  return quote.receiveAssetCode ? { assetCode: quote.receiveAssetCode, assetScale: quote.receiveAssetScale! } : { assetCode: quote.assetCode, assetScale: quote.assetScale };
}

/**
 * Quotes for paying an incoming payment, here or on a peer instance, from a wallet address:
 * fixed-send (debitAmount), fixed-receive (receiveAmount), or what the incoming payment still
 * expects. The fee is fixed + basis points of the principal, rounded up to a minor unit, in the
 * sender's asset; between two assets the receive amount is converted at the provider's rate.
 */
export class QuoteService {
  constructor(
    private readonly db: Database,
    private readonly wallets: WalletLookup,
    private readonly incoming: IncomingPaymentService,
    private readonly rates: ExchangeRates,
    private readonly urls: ResourceUrls,
    private readonly clock: Clock,
    private readonly options: QuoteOptions,
  ) {}

  private remote: RemoteReceivers | null = null;

  /** Lets quotes pay receivers on peer instances (peering is built after the resources it credits). */
  useRemoteReceivers(remote: RemoteReceivers): void {
    this.remote = remote;
  }

  /** The receiver when it is an incoming payment on a configured peer; null when it is (or claims to be) local. */
  async remoteReceiver(receiver: unknown, field: string): Promise<RemoteReceiver | null> {
    if (typeof receiver !== 'string' || this.urls.incomingPaymentId(receiver) || !this.remote) return null;
    return this.remote.resolve(receiver, field);
  }

  receivableOf(record: IncomingPaymentRecord): Receivable {
    return { assetCode: record.payment.assetCode, assetScale: record.payment.assetScale, remaining: this.incoming.remaining(record.details) };
  }

  /**
   * The price of paying `receiver` from `sender`, from at most one of the two amounts; between two
   * assets at the provider's current rate (refused when it is missing or stale).
   */
  async price(sender: WalletRef, receiver: Receivable, amounts: { debitAmount?: unknown; receiveAmount?: unknown }): Promise<Price> {
    const crossing = receiver.assetCode !== sender.assetCode;
    // One code has one scale (ISO 4217, checked wherever an asset is made): another is a receiver's error.
    if (!crossing && receiver.assetScale !== sender.assetScale) throw new PaygridError(ErrorCode.ASSET_SCALE_MISMATCH, 'receiver', `The receiver counts ${receiver.assetCode} with scale ${receiver.assetScale}, the wallet address with ${sender.assetScale}.`);
    const rate = crossing ? (await this.rates.usable(sender, receiver, 'receiver')).rate : null;
    return priceOf(this.options.fee, sender, receiver, { ...amounts, remaining: receiver.remaining }, rate);
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
    const remote = await this.remoteReceiver(input.receiver, 'receiver');
    const receiver = remote ? null : await this.incoming.payableByUrl(input.receiver, 'receiver');
    const price = await this.price(wallet, remote ?? this.receivableOf(receiver!), input);
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
          receiveAssetCode: price.exchangeRate ? price.receiveAsset.assetCode : null,
          receiveAssetScale: price.exchangeRate ? price.receiveAsset.assetScale : null,
          exchangeRate: price.exchangeRate,
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
      receiveAmount: toOpAmount(quote.receiveAmount, receiveAssetOf(quote)),
      debitAmount: toOpAmount(quote.debitAmount, quote),
      method: 'ilp',
      createdAt: quote.createdAt.toISOString(),
      expiresAt: quote.expiresAt.toISOString(),
    };
  }
}
