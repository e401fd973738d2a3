import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { MoneyType } from '../../persistence/money-type';

/**
 * The price of paying one incoming payment from one wallet address: what leaves the sender
 * (debit = principal + fee, in the sender's asset) and what arrives (in the receiver's). Used at most once, by one outgoing payment.
 */
@Entity({ tableName: 'op_quote' })
@Index({ properties: ['walletAddressId', 'id'] })
export class Quote {
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  walletAddressId!: string;

  /** The sender's account: the wallet address's. */
  @Property({ type: 'string', length: 40 })
  accountId!: string;

  /** The incoming payment (its payment id) the quote pays. */
  @Property({ type: 'string', length: 40 })
  receiverPaymentId!: string;

  /** A receiver on a peer instance: its URL there (receiverPaymentId is then its id on that instance). Null for one of ours. */
  @Property({ type: 'text', nullable: true })
  receiverUrl: string | null = null;

  /** The peer instance of a remote receiver. */
  @Property({ type: 'string', length: 40, nullable: true })
  peerId: string | null = null;

  @Property({ type: 'string', length: 10 })
  assetCode!: string;

  @Property({ type: 'integer' })
  assetScale!: number;

  @Property({ type: MoneyType })
  debitAmount!: bigint;

  @Property({ type: MoneyType })
  receiveAmount!: bigint;

  @Property({ type: MoneyType })
  fee!: bigint;

  /** The receiver's asset when it differs from the sender's (assetCode/assetScale); null: the same. */
  @Property({ type: 'string', length: 10, nullable: true })
  receiveAssetCode: string | null = null;

  @Property({ type: 'integer', nullable: true })
  receiveAssetScale: number | null = null;

  /** The rate the receive amount was converted at (exact decimal), when it was. */
  @Property({ type: 'string', length: 30, nullable: true })
  exchangeRate: string | null = null;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'string', length: 2048, nullable: true })
  clientKey: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  grantId: string | null = null;

  /** Set once by the outgoing payment that used it: a second use finds it taken. */
  @Unique()
  @Property({ type: 'string', length: 40, nullable: true })
  outgoingPaymentId: string | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
