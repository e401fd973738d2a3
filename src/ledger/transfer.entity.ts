import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { MoneyType } from '../persistence/money-type';

export enum TransferState {
  PENDING = 'pending',
  POSTED = 'posted',
  VOIDED = 'voided',
}

/** The longest reference of a ledger transfer (an operator's deposit): its column's width. */
export const TRANSFER_REFERENCE_MAX = 200;

/** A movement of money between two accounts of one asset; two-phase when it starts pending. */
@Entity({ tableName: 'ledger_transfer' })
export class LedgerTransfer {
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Index()
  @Property({ type: 'string', length: 40 })
  debitAccountId!: string;

  @Index()
  @Property({ type: 'string', length: 40 })
  creditAccountId!: string;

  @Property({ type: MoneyType })
  amount!: bigint;

  @Property({ type: 'string', length: 10 })
  assetCode!: string;

  @Enum({ items: () => TransferState, type: 'string' })
  state!: TransferState;

  /** What the transfer is for: `deposit`, `payment`, … */
  @Property({ type: 'string', length: 40 })
  purpose!: string;

  @Property({ type: 'string', length: TRANSFER_REFERENCE_MAX, nullable: true })
  reference: string | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  settledAt: Date | null = null;
}
