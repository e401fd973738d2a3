import { Entity, Enum, Index, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { MoneyType } from '../persistence/money-type';
import { REFERENCE_MAX } from './payment.entity';

export enum TransactionState {
  PENDING = 'pending',
  COMPLETED = 'completed',
  DECLINED = 'declined',
  FAILED = 'failed',
  REVERTED = 'reverted',
}

/** What a transaction does: pays into the payment, captures part of an authorization, or refunds. */
export enum TransactionKind {
  PAYMENT = 'payment',
  CAPTURE = 'capture',
  REFUND = 'refund',
}

/** A movement of money attached to a payment, backed by a ledger transfer once authorized. */
@Entity({ tableName: 'payment_transaction' })
@Index({ properties: ['paymentId', 'id'] })
export class PaymentTransaction {
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  paymentId!: string;

  @Property({ type: 'string', length: 64 })
  clientId!: string;

  @Property({ type: 'string', length: 20 })
  kind: Opt<TransactionKind> = TransactionKind.PAYMENT;

  @Property({ type: MoneyType })
  amount!: bigint;

  @Enum({ items: () => TransactionState, type: 'string' })
  state!: TransactionState;

  @Property({ type: 'string', length: REFERENCE_MAX, nullable: true })
  reference: string | null = null;

  /** The pending ledger transfer that reserves this transaction's funds, once authorized. */
  @Property({ type: 'string', length: 40, nullable: true })
  transferId: string | null = null;

  @Property({ type: 'datetime' })
  emittedAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
