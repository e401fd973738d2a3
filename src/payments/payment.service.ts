import { DomainEvent, EventAggregate } from '../events/event.entity';
import type { Database } from '../persistence/database';
import { paginate, type Page, type PageRequest } from '../shared/pagination';
import { Account } from '../accounts/account.entity';
import { ownerFilter, type Owner } from '../accounts/account.service';
import { Payment } from './payment.entity';
import { PaymentTransaction } from './transaction.entity';

/**
 * Reads of payments, their transactions and their history, always through the owner: a payment of
 * another client is indistinguishable from one that does not exist, and a token acting for a payer
 * sees only the client's payments paid from that payer's accounts.
 */
export class PaymentService {
  constructor(private readonly db: Database) {}

  async get(owner: Owner, id: string): Promise<Payment | null> {
    const em = this.db.reader();
    const payment = await em.findOne(Payment, { id, clientId: owner.clientId });
    if (!payment || !owner.userId) return payment;
    const payer = payment.payerAccountId ? await em.findOne(Account, { id: payment.payerAccountId, userId: owner.userId }, { fields: ['id'] }) : null;
    return payer ? payment : null;
  }

  /** The client's payments made from an account of the owner (the payer side), newest first; null when the account is not the owner's. */
  async listOfAccount(owner: Owner, accountId: string, page: PageRequest): Promise<Page<Payment> | null> {
    const em = this.db.reader();
    const account = await em.findOne(Account, { id: accountId, ...ownerFilter(owner) }, { fields: ['id'] });
    if (!account) return null;
    return paginate(page, (beforeId, limit) =>
      em.find(
        Payment,
        { payerAccountId: accountId, clientId: owner.clientId, ...(beforeId ? { id: { $lt: beforeId } } : {}) },
        { orderBy: { id: 'desc' }, limit },
      ),
    );
  }

  async getTransaction(owner: Owner, id: string): Promise<PaymentTransaction | null> {
    const transaction = await this.db.reader().findOne(PaymentTransaction, { id, clientId: owner.clientId });
    return transaction && (await this.get(owner, transaction.paymentId)) ? transaction : null;
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
