import { Entity, Index, PrimaryKey, PrimaryKeyProp, Property } from '@mikro-orm/core';
import { MoneyType } from '../../persistence/money-type';

/**
 * What an Open Payments incoming payment adds to its payment (one to one, same id). The payment
 * holds the receiving account (beneficiary), the asset, the expected amount and the state.
 */
@Entity({ tableName: 'incoming_payment' })
@Index({ properties: ['walletAddressId', 'paymentId'] })
export class IncomingPaymentDetails {
  [PrimaryKeyProp]?: 'paymentId';

  @PrimaryKey({ type: 'string', length: 40 })
  paymentId!: string;

  @Property({ type: 'string', length: 40 })
  walletAddressId!: string;

  /** The most it may receive; null for an open amount. */
  @Property({ type: MoneyType, nullable: true })
  incomingAmount: bigint | null = null;

  @Property({ type: MoneyType })
  receivedAmount: bigint = 0n;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'json', nullable: true })
  metadata: Record<string, unknown> | null = null;

  /** The Open Payments client that created it (read vs read-all); null when created through GraphQL. */
  @Property({ type: 'string', length: 2048, nullable: true })
  clientKey: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  grantId: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  completedAt: Date | null = null;
}
