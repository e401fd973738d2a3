import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One pair of the sandbox provider, shared by every instance on the database: an operator's
 * update is seen by all. The rate is the exact decimal text, never a float.
 */
@Entity({ tableName: 'exchange_rate' })
export class ExchangeRateRow {
  /** `FROM:TO`, e.g. `EUR:USD`. */
  @PrimaryKey({ type: 'string', length: 7 })
  pair!: string;

  @Property({ type: 'string', length: 3 })
  fromAsset!: string;

  @Property({ type: 'string', length: 3 })
  toAsset!: string;

  @Property({ type: 'string', length: 30 })
  rate!: string;

  @Property({ type: 'datetime' })
  updatedAt!: Date;

  /** Who set it: `config` (EXCHANGE_RATES) or the operator's client id. */
  @Property({ type: 'string', length: 40 })
  updatedBy!: string;
}
