import { Entity, PrimaryKey, PrimaryKeyProp, Property } from '@mikro-orm/core';
import { MoneyType } from '../../persistence/money-type';

/**
 * What one outgoing-payment grant has spent in one interval window (the whole grant when it has no
 * interval): a running total, changed only by one conditional statement that checks the limit as
 * it adds, in the same transaction as the ledger reservation.
 */
@Entity({ tableName: 'op_grant_spend' })
export class GrantSpend {
  [PrimaryKeyProp]?: ['grantId', 'windowStart'];

  @PrimaryKey({ type: 'string', length: 64 })
  grantId!: string;

  /** ISO start of the interval window, or `all` for a grant without an interval. */
  @PrimaryKey({ type: 'string', length: 40 })
  windowStart!: string;

  @Property({ type: 'string', length: 10 })
  assetCode!: string;

  @Property({ type: 'integer' })
  assetScale!: number;

  @Property({ type: MoneyType })
  debitSpent: bigint = 0n;

  @Property({ type: MoneyType })
  receiveSpent: bigint = 0n;

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
