import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { MoneyType } from '../persistence/money-type';

/** One side of a posted transfer: negative on the debited account, positive on the credited one. */
@Entity({ tableName: 'ledger_entry' })
export class LedgerEntry {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Index()
  @Property({ type: 'string', length: 40 })
  transferId!: string;

  @Index()
  @Property({ type: 'string', length: 40 })
  accountId!: string;

  @Property({ type: 'string', length: 10 })
  assetCode!: string;

  @Property({ type: MoneyType })
  amount!: bigint;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
