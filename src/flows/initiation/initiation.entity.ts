import { Entity, PrimaryKey, PrimaryKeyProp, Property } from '@mikro-orm/core';
import type { BankPaymentRef } from '../../providers/bank/bank-connector';
import type { Identity, PaymentAccount } from './initiation-validation';

/** One instruction as stored: the validated value, amounts and dates as strings (JSON holds no bigint). */
export interface StoredInstruction {
  referenceId: string | null;
  /** Minor units of the payment's currency. */
  amount: string;
  label: string;
  executionDateType: string;
  /** YYYY-MM-DD (UTC), deferred only. */
  executionDate: string | null;
  beneficiary: PaymentAccount;
  beneficiaryIdentity: Identity;
}

/** What a bank payment initiation adds to its payment (one to one, same id), like OrderDetails for orders. */
@Entity({ tableName: 'initiation_details' })
export class InitiationDetails {
  [PrimaryKeyProp]?: 'paymentId';

  @PrimaryKey({ type: 'string', length: 40 })
  paymentId!: string;

  /** Where the payer returns, exactly as given (no query string). */
  @Property({ type: 'string', length: 2048 })
  clientRedirectUri!: string;

  /** Echoed as `state` in the callback; ≤ 2000 characters. */
  @Property({ type: 'text', nullable: true })
  clientState: string | null = null;

  @Property({ type: 'json' })
  instructions!: StoredInstruction[];

  @Property({ type: 'json', nullable: true })
  payer: PaymentAccount | null = null;

  @Property({ type: 'json' })
  payerIdentity!: Identity;

  @Property({ type: 'json', nullable: true })
  operatorIdentity: Identity | null = null;

  /** The bank: pre-selected by the client, or chosen by the payer in the webview. */
  @Property({ type: 'string', length: 40, nullable: true })
  connectorUuid: string | null = null;

  /** What the bank gave back to find the payment again (its id and memo); set once confirmed. */
  @Property({ type: 'json', nullable: true })
  bankRef: BankPaymentRef | null = null;

  /** Powens' PaymentErrorCode of a rejection. */
  @Property({ type: 'string', length: 40, nullable: true })
  errorCode: string | null = null;

  @Property({ type: 'string', length: 500, nullable: true })
  errorDescription: string | null = null;

  /** The bank's own words, when it gave some. */
  @Property({ type: 'string', length: 500, nullable: true })
  bankMessage: string | null = null;

  /** When the payer validated (created → validating): Powens' `validate_date`. */
  @Property({ type: 'datetime', nullable: true })
  validatedAt: Date | null = null;

  /** When the payment expires without a final status; pushed back when the bank executes later. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
