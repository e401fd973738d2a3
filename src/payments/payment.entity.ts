import { Entity, Index, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { MoneyType } from '../persistence/money-type';

export enum PaymentFlow {
  ACCOUNT_PAYMENT = 'account_payment',
  ORDER = 'order',
  /** Powens-style bank payment initiation: the payer validates it in the webview at their bank. */
  INITIATION = 'initiation',
  /** PaymentIQ-style 1-Click sign-up and deposit: money from outside into the operator's account. */
  DEPOSIT = 'deposit',
  /** Open Payments: money a wallet address expects to receive. */
  INCOMING_PAYMENT = 'incoming_payment',
  /** Open Payments: money a wallet address sends to an incoming payment, under a grant. */
  OUTGOING_PAYMENT = 'outgoing_payment',
}

/** The state every flow maps its own vocabulary onto, so one client can read any payment. */
export enum PaymentState {
  CREATED = 'created',
  PENDING = 'pending',
  ACCEPTED = 'accepted',
  COMPLETED = 'completed',
  REJECTED = 'rejected',
  CANCELLED = 'cancelled',
  EXPIRED = 'expired',
  FAILED = 'failed',
}

/**
 * How much of a payment's captured money went back to the payer. Kept beside the flow's state, which
 * stays where it is: a refund adds refund transactions to a payment, it never reopens it.
 */
export enum RefundStatus {
  PARTIALLY_REFUNDED = 'partially_refunded',
  REFUNDED = 'refunded',
}

/** The longest `requestId` a client may give a payment (account payments, orders): its column's width. */
export const REQUEST_ID_MAX = 40;
/** The longest free-text reference of a payment or a transaction: its column's width. */
export const REFERENCE_MAX = 140;

/**
 * One aggregate for every flow. Each change bumps `version` (optimistic lock), so two requests
 * racing on one payment cannot both win; the loser retries on fresh state.
 */
@Entity({ tableName: 'payment' })
@Unique({ properties: ['clientId', 'flow', 'requestId'] })
@Index({ properties: ['payerAccountId', 'id'] })
@Index({ properties: ['clientId', 'id'] })
export class Payment {
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  /** Plain strings rather than database enums: flows and states grow without rebuilding tables. */
  @Property({ type: 'string', length: 30 })
  flow!: PaymentFlow;

  @Property({ type: 'string', length: 20 })
  state!: PaymentState;

  /** The flow's own state name (account payments: pending, authorized, completed, …). */
  @Property({ type: 'string', length: 30 })
  flowState!: string;

  @Index()
  @Property({ type: 'string', length: 64 })
  clientId!: string;

  /** The client's own id for the payment (idempotency); ≤ 40 characters. */
  @Property({ type: 'string', length: REQUEST_ID_MAX, nullable: true })
  requestId: string | null = null;

  @Property({ type: 'string', length: 40, nullable: true })
  payerAccountId: string | null = null;

  @Index()
  @Property({ type: 'string', length: 40, nullable: true })
  beneficiaryAccountId: string | null = null;

  @Property({ type: 'string', length: 10 })
  assetCode!: string;

  @Property({ type: 'integer' })
  assetScale!: number;

  @Property({ type: MoneyType })
  amount: bigint = 0n;

  @Property({ type: 'string', length: REFERENCE_MAX, nullable: true })
  reference: string | null = null;

  /** What reached the beneficiary: the whole amount once executed, or the sum of an order's captures. */
  @Property({ type: MoneyType })
  capturedAmount: Opt<bigint> = 0n;

  /** What went back to the payer; never more than `capturedAmount`. */
  @Property({ type: MoneyType })
  refundedAmount: Opt<bigint> = 0n;

  @Property({ type: 'string', length: 20, nullable: true })
  refundStatus: RefundStatus | null = null;

  /** When an authorization that was never captured or executed lapses and its reservation is released. */
  @Index()
  @Property({ type: 'datetime', nullable: true })
  authorizationExpiresAt: Date | null = null;

  /** Sequence of the last event written for this payment. */
  @Property({ type: 'integer' })
  lastSequence: number = 0;

  @Property({ type: 'integer', version: true })
  version: number = 1;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
