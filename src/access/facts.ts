import type { Account } from '../accounts/account.entity';
import type { Payment } from '../payments/payment.entity';
import type { AccessObject, AccountFacts, PaymentFacts } from './policy';

export function accountFacts(account: Pick<Account, 'id' | 'clientId' | 'userId'>): AccountFacts {
  return { id: account.id, clientId: account.clientId, userId: account.userId };
}

export function accountObject(account: Pick<Account, 'id' | 'clientId' | 'userId'>): AccessObject & { kind: 'account' } {
  return { kind: 'account', account: accountFacts(account) };
}

/** A payment's facts, given its accounts (any that are missing count as nobody's). */
export function paymentFacts(payment: Pick<Payment, 'id' | 'clientId' | 'flow' | 'payerAccountId' | 'beneficiaryAccountId'>, accounts: ReadonlyMap<string, AccountFacts>): PaymentFacts {
  const of = (id: string | null) => (id ? accounts.get(id) ?? null : null);
  const touched = [of(payment.payerAccountId), of(payment.beneficiaryAccountId)].filter((a): a is AccountFacts => !!a);
  return { id: payment.id, clientId: payment.clientId, flow: payment.flow, accounts: touched, payerAccount: of(payment.payerAccountId) };
}

/** The account ids a payment's facts need. */
export function accountIdsOf(payments: Iterable<Pick<Payment, 'payerAccountId' | 'beneficiaryAccountId'>>): string[] {
  const ids = new Set<string>();
  for (const p of payments) for (const id of [p.payerAccountId, p.beneficiaryAccountId]) if (id) ids.add(id);
  return [...ids];
}
