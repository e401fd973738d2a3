import { Entity, PrimaryKey, PrimaryKeyProp, Property, type Opt } from '@mikro-orm/core';

/** A line of an order as the vendor sent it; the unit amount in minor units of the order's currency. */
export interface OrderItem {
  name: string;
  description: string | null;
  /** Unit price in minor units, as a string (JSON cannot hold every int64). */
  amount: string;
  count: number;
}

/** Whether an order is captured once (the rest released) or in several captures up to its total. */
export enum CaptureMode {
  SINGLE = 'single',
  MULTIPLE = 'multiple',
}

/** What an iumiCash-style order adds to its payment (one to one, same id). */
@Entity({ tableName: 'order_details' })
export class OrderDetails {
  [PrimaryKeyProp]?: 'paymentId';

  @PrimaryKey({ type: 'string', length: 40 })
  paymentId!: string;

  /** The vendor's own id for the order. */
  @Property({ type: 'string', length: 255 })
  externalId!: string;

  /** The payer who granted the vendor its token and approves (or is charged for) the order. */
  @Property({ type: 'string', length: 40 })
  payerUserId!: string;

  @Property({ type: 'json' })
  items!: OrderItem[];

  @Property({ type: 'string', length: 2048 })
  callbackUrl!: string;

  @Property({ type: 'string', length: 2048 })
  successUrl!: string;

  @Property({ type: 'string', length: 2048 })
  errorUrl!: string;

  @Property({ type: 'string', length: 20 })
  captureMode: Opt<CaptureMode> = CaptureMode.SINGLE;

  /** The pending ledger transfer that holds what is left to capture on the payer's account once approved. */
  @Property({ type: 'string', length: 40, nullable: true })
  transferId: string | null = null;
}
