import type { Tx } from '../persistence/database';
import type { Payment } from '../payments/payment.entity';
import { DomainEvent, EventAggregate } from './event.entity';

/** What subscribers and the outbox carry: JSON only (amounts as strings). */
export interface PublishedEvent {
  id: number;
  aggregateType: EventAggregate;
  aggregateId: string;
  sequence: number;
  type: string;
  clientId: string | null;
  accountIds: string[];
  payload: Record<string, unknown>;
  occurredAt: string;
}

export function toPublished(event: DomainEvent): PublishedEvent {
  return {
    id: event.id,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    sequence: event.sequence,
    type: event.type,
    clientId: event.clientId,
    accountIds: event.accountIds,
    payload: event.payload,
    occurredAt: event.occurredAt.toISOString(),
  };
}

function record(tx: Tx, fields: Omit<DomainEvent, 'id' | 'occurredAt' | 'publishedAt' | 'leaseUntil'>): DomainEvent {
  const event = tx.em.create(DomainEvent, { ...fields, occurredAt: new Date(), publishedAt: null, leaseUntil: null });
  tx.events.push(event);
  return event;
}

/**
 * Appends an event to a payment's history with the next sequence number. Bumping the payment also
 * bumps its version, so every change of a payment goes through its optimistic lock.
 */
export function recordPaymentEvent(tx: Tx, payment: Payment, type: string, data: Record<string, unknown> = {}): DomainEvent {
  payment.lastSequence += 1;
  return record(tx, {
    aggregateType: EventAggregate.PAYMENT,
    aggregateId: payment.id,
    sequence: payment.lastSequence,
    type,
    clientId: payment.clientId,
    accountIds: [payment.payerAccountId, payment.beneficiaryAccountId].filter((id): id is string => !!id),
    payload: {
      ...data,
      state: payment.state,
      flowState: payment.flowState,
      amount: payment.amount.toString(),
      assetCode: payment.assetCode,
      assetScale: payment.assetScale,
    },
  });
}

export interface BalanceSnapshot {
  id: string;
  clientId: string | null;
  assetCode: string;
  assetScale: number;
  posted: bigint;
  reserved: bigint;
  balanceVersion: number;
}

/** Records an account's balances after a ledger change; the sequence is the balance version. */
export function recordBalanceEvent(tx: Tx, account: BalanceSnapshot, transferIds: string[]): DomainEvent {
  return record(tx, {
    aggregateType: EventAggregate.ACCOUNT,
    aggregateId: account.id,
    sequence: account.balanceVersion,
    type: 'account.balance_updated',
    clientId: account.clientId,
    accountIds: [account.id],
    payload: {
      posted: account.posted.toString(),
      reserved: account.reserved.toString(),
      available: (account.posted - account.reserved).toString(),
      assetCode: account.assetCode,
      assetScale: account.assetScale,
      transferIds,
    },
  });
}
