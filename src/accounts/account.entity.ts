import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { MoneyType } from '../persistence/money-type';

export enum AccountKind {
  /** Holds a client's money: its available balance never goes below zero. */
  CUSTOMER = 'customer',
  /** Stands for the world outside the platform (one per asset): it may go negative. */
  SETTLEMENT = 'settlement',
}

/** The longest account name: its column's width. */
export const ACCOUNT_NAME_MAX = 200;

/**
 * An account in one asset. Balances are kept by the ledger only, through conditional SQL updates,
 * never through this entity's change set.
 */
@Entity({ tableName: 'account' })
@Index({ properties: ['clientId', 'id'] })
export class Account {
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  /** Owning client; null for the platform's settlement accounts and for payers' accounts. */
  @Property({ type: 'string', length: 64, nullable: true })
  clientId!: string | null;

  /** Owning payer (user), for accounts of people rather than merchants. */
  @Index()
  @Property({ type: 'string', length: 40, nullable: true })
  userId: string | null = null;

  @Property({ type: 'string', length: ACCOUNT_NAME_MAX, nullable: true })
  name: string | null = null;

  @Enum({ items: () => AccountKind, type: 'string' })
  kind!: AccountKind;

  @Property({ type: 'string', length: 10 })
  assetCode!: string;

  @Property({ type: 'integer' })
  assetScale!: number;

  /** Sum of this account's posted ledger entries. */
  @Property({ type: MoneyType })
  posted: bigint = 0n;

  /** Sum of pending (reserved, not yet posted or voided) transfers debiting this account. */
  @Property({ type: MoneyType })
  reserved: bigint = 0n;

  /** Increments on every balance change; the sequence of balance events. */
  @Property({ type: 'integer' })
  balanceVersion: number = 0;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
