import { Entity, Index, PrimaryKey, PrimaryKeyProp, Property } from '@mikro-orm/core';
import { MoneyType } from '../../persistence/money-type';

/**
 * What an Open Payments outgoing payment adds to its payment (one to one, same id). The payment
 * holds the sender's account (payer), the receiver's account (beneficiary) and the debit amount.
 */
@Entity({ tableName: 'outgoing_payment' })
@Index({ properties: ['walletAddressId', 'paymentId'] })
export class OutgoingPaymentDetails {
  [PrimaryKeyProp]?: 'paymentId';

  @PrimaryKey({ type: 'string', length: 40 })
  paymentId!: string;

  @Property({ type: 'string', length: 40 })
  walletAddressId!: string;

  @Property({ type: 'string', length: 40, nullable: true })
  quoteId: string | null = null;

  /** The incoming payment paid (its payment id). */
  @Property({ type: 'string', length: 40 })
  receiverPaymentId!: string;

  /** A receiver on a peer instance: its URL there (receiverPaymentId is then its id on that instance). Null for one of ours. */
  @Property({ type: 'text', nullable: true })
  receiverUrl: string | null = null;

  /** The peer instance of a remote receiver. */
  @Property({ type: 'string', length: 40, nullable: true })
  peerId: string | null = null;

  @Property({ type: MoneyType })
  debitAmount!: bigint;

  @Property({ type: MoneyType })
  receiveAmount!: bigint;

  @Property({ type: MoneyType })
  fee!: bigint;

  /** The receiver's asset when it differs from the sender's (the payment's); null: the same. */
  @Property({ type: 'string', length: 10, nullable: true })
  receiveAssetCode: string | null = null;

  @Property({ type: 'integer', nullable: true })
  receiveAssetScale: number | null = null;

  /** The rate the receive amount was converted at (exact decimal), when it was. */
  @Property({ type: 'string', length: 30, nullable: true })
  exchangeRate: string | null = null;

  /** What reached the receiver, in the sender's asset (the fee excluded). */
  @Property({ type: MoneyType })
  sentAmount: bigint = 0n;

  @Property({ type: 'boolean' })
  failed: boolean = false;

  /** Why it failed (an ErrorCode), when it did. */
  @Property({ type: 'string', length: 40, nullable: true })
  failureCode: string | null = null;

  @Property({ type: 'json', nullable: true })
  metadata: Record<string, unknown> | null = null;

  @Property({ type: 'string', length: 2048, nullable: true })
  clientKey: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  grantId: string | null = null;
}
