import type { EntityManager } from '@mikro-orm/core';
import { ErrorCode, PaygridError } from '../shared/errors';
import { raw } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { accessFilter, accountFacts, accountIdsOf, can, paymentFacts, type AccountFacts, type PaymentFacts, type Principal } from '../access';
import { DomainEvent, EventAggregate } from '../events/event.entity';
import type { Database } from '../persistence/database';
import { paginate, paginateEach, type Page, type PageRequest } from '../shared/pagination';
import { Account } from '../accounts/account.entity';
import { Payment, type PaymentFlow, type PaymentState } from './payment.entity';
import { PaymentTransaction } from './transaction.entity';

/** The access policy's facts of payments: their accounts' owners, read in one statement. */
export async function paymentFactsOf(em: EntityManager, payments: readonly Payment[]): Promise<Map<string, PaymentFacts>> {
  const ids = accountIdsOf(payments);
  const accounts = ids.length ? await em.find(Account, { id: { $in: ids } }, { fields: ['id', 'clientId', 'userId'] }) : [];
  const byId = new Map<string, AccountFacts>(accounts.map((a) => [a.id, accountFacts(a)]));
  return new Map(payments.map((p) => [p.id, paymentFacts(p, byId)]));
}

/** What a merchant narrows a list of payments to; every condition is optional. */
export interface PaymentListFilter {
  flow?: PaymentFlow | null;
  /** The unified state. */
  state?: PaymentState | null;
  /** The flow's own state (a list of one flow: an order's status, an initiation's state). */
  flowState?: string | null;
  /** Payments this account pays or receives. */
  accountId?: string | null;
  /** Created at or after. */
  createdAfter?: Date | null;
  /** Created before. */
  createdBefore?: Date | null;
}

/**
 * Reads of payments, their transactions and their history, as the access policy allows: a payment
 * the principal may not read is indistinguishable from one that does not exist.
 */
export class PaymentService {
  constructor(private readonly db: Database) {}

  async get(principal: Principal, id: string): Promise<Payment | null> {
    const em = this.db.reader();
    const payment = await em.findOne(Payment, { id });
    if (!payment) return null;
    const facts = (await paymentFactsOf(em, [payment])).get(id)!;
    return can(principal, 'read', { kind: 'payment', payment: facts }) ? payment : null;
  }

  /**
   * A payment a step just wrote, as the step holds it, when the principal may read it by what the
   * payment says (its client, the token's scopes); only a rule that needs the accounts' owners reads
   * it again.
   */
  async readableAsWritten(principal: Principal, payment: Payment): Promise<Payment | null> {
    return can(principal, 'read', { kind: 'payment', payment: paymentFacts(payment, new Map()) }) ? payment : this.get(principal, payment.id);
  }

  /** The same for a transaction the step wrote on that payment. */
  async transactionReadableAsWritten(principal: Principal, payment: Payment, transaction: PaymentTransaction): Promise<PaymentTransaction | null> {
    return can(principal, 'read', { kind: 'transaction', payment: paymentFacts(payment, new Map()) }) ? transaction : this.getTransaction(principal, transaction.id);
  }

  /**
   * Pages of the payments each account pays or receives that the principal may read, newest first,
   * for several accounts at once in a fixed number of statements (accounts the principal may not
   * read get an empty page).
   */
  async pagesOfAccounts(principal: Principal, accountIds: readonly string[], page: PageRequest): Promise<Map<string, Page<Payment>>> {
    const em = this.db.reader() as SqlEntityManager;
    const accounts = await em.find(Account, { id: { $in: [...accountIds] } }, { fields: ['id', 'clientId', 'userId'] });
    const own = accounts.filter((a) => can(principal, 'read', { kind: 'account', account: accountFacts(a) })).map((a) => a.id);
    const allowed = accessFilter(principal, 'read', 'payment', { ownAccountIds: own });
    return paginateEach(page, accountIds, async (beforeId, limit) => {
      const rows = new Map<string, Payment[]>(accountIds.map((id) => [id, []]));
      if (!own.length || !allowed) return rows;
      for (const [side, column] of [
        ['payerAccountId', 'payer_account_id'],
        ['beneficiaryAccountId', 'beneficiary_account_id'],
      ] as const) {
        const ranked = em
          .createQueryBuilder(Payment, 'p')
          .select(['*', raw(`row_number() over (partition by p.${column} order by p.id desc) as page_position`)])
          .where({ $and: [allowed, { [side]: { $in: own } }, beforeId ? { id: { $lt: beforeId } } : {}] });
        const knex = em.getKnex();
        const found = await em.getConnection().execute(knex.select('*').from(ranked.getKnexQuery().as('ranked')).where('page_position', '<=', limit));
        for (const row of found as Record<string, unknown>[]) {
          const payment = em.map(Payment, row);
          rows.get(payment[side]!)?.push(payment);
        }
      }
      // A payment between two of the accounts is on both pages; each page keeps newest first.
      for (const [id, list] of rows) rows.set(id, list.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, limit));
      return rows;
    });
  }

  /**
   * One page of the payments the principal may read, newest first, narrowed by `filter`: two
   * statements whatever the page size (the principal's accounts, for the rule on payments touching
   * them, then the page).
   */
  async list(principal: Principal, filter: PaymentListFilter, page: PageRequest): Promise<Page<Payment>> {
    const em = this.db.reader();
    if (filter.createdAfter && filter.createdBefore && filter.createdAfter.getTime() >= filter.createdBefore.getTime()) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'filter.createdBefore', 'createdBefore must be later than createdAfter.');
    }
    const readable = accessFilter(principal, 'read', 'account');
    const own = readable ? (await em.find(Account, readable, { fields: ['id'] })).map((a) => a.id) : [];
    const allowed = accessFilter(principal, 'read', 'payment', { ownAccountIds: own });
    return paginate(page, async (beforeId, limit) => {
      if (!allowed) return [];
      const conditions: Record<string, unknown>[] = [allowed];
      if (filter.flow) conditions.push({ flow: filter.flow });
      if (filter.state) conditions.push({ state: filter.state });
      if (filter.flowState) conditions.push({ flowState: filter.flowState });
      if (filter.accountId) conditions.push({ $or: [{ payerAccountId: filter.accountId }, { beneficiaryAccountId: filter.accountId }] });
      if (filter.createdAfter) conditions.push({ createdAt: { $gte: filter.createdAfter } });
      if (filter.createdBefore) conditions.push({ createdAt: { $lt: filter.createdBefore } });
      if (beforeId) conditions.push({ id: { $lt: beforeId } });
      return em.find(Payment, { $and: conditions }, { orderBy: { id: 'desc' }, limit });
    });
  }

  async getTransaction(principal: Principal, id: string): Promise<PaymentTransaction | null> {
    const em = this.db.reader();
    const transaction = await em.findOne(PaymentTransaction, { id });
    if (!transaction) return null;
    const payment = await em.findOne(Payment, { id: transaction.paymentId });
    if (!payment) return null;
    const facts = (await paymentFactsOf(em, [payment])).get(payment.id)!;
    return can(principal, 'read', { kind: 'transaction', payment: facts }) ? transaction : null;
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
