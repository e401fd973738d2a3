import { DomainEvent, EventAggregate } from '../events/event.entity';
import type { Database } from '../persistence/database';
import { paginate, type Page, type PageRequest } from '../shared/pagination';
import { Account } from '../accounts/account.entity';
import { Payment } from './payment.entity';
import { PaymentTransaction } from './transaction.entity';

/**
 * Reads of payments, their transactions and their history, always through the owner: a payment of
 * another client is indistinguishable from one that does not exist.
 */
export class PaymentService {
  constructor(private readonly db: Database) {}

  async get(clientId: string, id: string): Promise<Payment | null> {
    return this.db.reader().findOne(Payment, { id, clientId });
  }

  /** Payments made from an account (the payer side), newest first; null when the account is not the client's. */
  async listOfAccount(clientId: string, accountId: string, page: PageRequest): Promise<Page<Payment> | null> {
    const em = this.db.reader();
    const account = await em.findOne(Account, { id: accountId, clientId }, { fields: ['id'] });
    if (!account) return null;
    return paginate(page, (beforeId, limit) =>
      em.find(
        Payment,
        { payerAccountId: accountId, clientId, ...(beforeId ? { id: { $lt: beforeId } } : {}) },
        { orderBy: { id: 'desc' }, limit },
      ),
    );
  }

  async getTransaction(clientId: string, id: string): Promise<PaymentTransaction | null> {
    return this.db.reader().findOne(PaymentTransaction, { id, clientId });
  }

  /** Transactions of several payments at once (one statement), in creation order. */
  async transactionsOf(paymentIds: readonly string[]): Promise<PaymentTransaction[]> {
    return this.db.reader().find(PaymentTransaction, { paymentId: { $in: [...paymentIds] } }, { orderBy: { id: 'asc' } });
  }

  async byIds(ids: readonly string[]): Promise<Payment[]> {
    return this.db.reader().find(Payment, { id: { $in: [...ids] } });
  }

  /** A payment's history after a sequence number, oldest first: how a reconnecting client catches up. */
  async events(paymentIds: readonly string[], afterSequence = 0): Promise<DomainEvent[]> {
    return this.db.reader().find(
      DomainEvent,
      { aggregateType: EventAggregate.PAYMENT, aggregateId: { $in: [...paymentIds] }, sequence: { $gt: afterSequence } },
      { orderBy: { aggregateId: 'asc', sequence: 'asc' } },
    );
  }
}
