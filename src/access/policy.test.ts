import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PaymentFlow } from '../payments/payment.entity';
import { Scope } from '../oauth/scopes';
import { POLICY, accessFilter, can, type AccessObject, type AccountFacts, type ObjectKind, type RowFilter } from './policy';
import type { Principal } from './principal';

/** Evaluates a row filter (the subset of MikroORM syntax the policy writes) against one row. */
function matches(filter: RowFilter, row: Record<string, unknown>): boolean {
  if (filter === null) return false;
  return Object.entries(filter).every(([key, value]) => {
    if (key === '$and') return (value as RowFilter[]).every((f) => matches(f, row));
    if (key === '$or') return (value as RowFilter[]).some((f) => matches(f, row));
    if (value && typeof value === 'object' && '$in' in value) return (value.$in as unknown[]).includes(row[key]);
    return row[key] === value;
  });
}

const A = 'cli_a';
const B = 'cli_b';
const accounts: Record<string, AccountFacts> = {
  a: { id: 'acct_a', clientId: A, userId: null },
  b: { id: 'acct_b', clientId: B, userId: null },
  u1: { id: 'acct_u1', clientId: null, userId: 'usr_1' },
  u2: { id: 'acct_u2', clientId: null, userId: 'usr_2' },
};
const all = new Set<string>(Object.values(Scope));
const principals: Principal[] = [
  { kind: 'merchant', clientId: A, scopes: all },
  { kind: 'merchant', clientId: A, scopes: new Set([Scope.PAYMENTS_ADMIN]) },
  { kind: 'operator', clientId: 'cli_op', scopes: all },
  { kind: 'payer', clientId: A, userId: 'usr_1', scopes: all },
  { kind: 'payment', clientId: A, paymentId: 'pay_3', scopes: new Set([Scope.PAYMENTS_VALIDATE]) },
  { kind: 'payerSession', userId: 'usr_1' },
];
const payments = [
  { id: 'pay_1', clientId: A, flow: PaymentFlow.ACCOUNT_PAYMENT, payer: accounts.a, beneficiary: accounts.b },
  { id: 'pay_2', clientId: B, flow: PaymentFlow.ACCOUNT_PAYMENT, payer: accounts.b, beneficiary: accounts.a },
  { id: 'pay_3', clientId: A, flow: PaymentFlow.INITIATION, payer: null, beneficiary: null },
  { id: 'pay_4', clientId: A, flow: PaymentFlow.ORDER, payer: accounts.u1, beneficiary: accounts.a },
  { id: 'pay_5', clientId: A, flow: PaymentFlow.ORDER, payer: accounts.u2, beneficiary: accounts.a },
  { id: 'pay_6', clientId: B, flow: PaymentFlow.ORDER, payer: accounts.u1, beneficiary: accounts.b },
];

/** The principal's own accounts, as a list's scope would name them. */
const ownAccountIds = (p: Principal) =>
  Object.values(accounts)
    .filter((a) => can(p, 'read', { kind: 'account', account: a }))
    .map((a) => a.id);

describe('access policy: the check and the filter are one rule', () => {
  it('agrees on every account, payment and delivery, for every principal kind and action', () => {
    let cells = 0;
    for (const p of principals) {
      for (const action of Object.keys(POLICY.account)) {
        for (const account of Object.values(accounts)) {
          const filter = accessFilter(p, action as never, 'account');
          assert.equal(matches(filter, account as never), can(p, action as never, { kind: 'account', account }), `${p.kind} ${action} ${account.id}`);
          cells++;
        }
      }
      for (const kind of ['payment', 'transaction', 'paymentEvent'] as ObjectKind[]) {
        for (const action of Object.keys(POLICY[kind])) {
          for (const pay of payments) {
            const object = {
              kind,
              payment: { id: pay.id, clientId: pay.clientId, flow: pay.flow, accounts: [pay.payer, pay.beneficiary].filter((x): x is AccountFacts => !!x), payerAccount: pay.payer },
            } as AccessObject;
            const row = { id: pay.id, clientId: pay.clientId, flow: pay.flow, payerAccountId: pay.payer?.id ?? null, beneficiaryAccountId: pay.beneficiary?.id ?? null };
            // A list of the principal's accounts' payments: the rows the filter keeps among those touching its accounts.
            const own = ownAccountIds(p);
            const touchesOwn = own.includes(row.payerAccountId ?? '') || own.includes(row.beneficiaryAccountId ?? '');
            if (!touchesOwn) continue;
            const filter = accessFilter(p, action as never, kind, { ownAccountIds: own });
            assert.equal(matches(filter, row), can(p, action as never, object), `${p.kind} ${action} ${kind} ${pay.id}`);
            cells++;
          }
        }
      }
      for (const clientId of [A, B]) {
        for (const action of Object.keys(POLICY.webhookDelivery)) {
          const filter = accessFilter(p, action as never, 'webhookDelivery');
          assert.equal(matches(filter, { clientId }), can(p, action as never, { kind: 'webhookDelivery', delivery: { clientId } }));
          cells++;
        }
      }
    }
    assert.ok(cells > 100);
  });

  it('reads a payment for the owner of either account, lets only its creator act, and a payer’s token only its payer’s side', () => {
    const facts = (i: number) => {
      const pay = payments[i];
      return { id: pay.id, clientId: pay.clientId, flow: pay.flow, accounts: [pay.payer, pay.beneficiary].filter((x): x is AccountFacts => !!x), payerAccount: pay.payer };
    };
    const merchantA = principals[0];
    const payer1 = principals[3];
    // B's payment into A's account: A reads it, may not act on it.
    assert.equal(can(merchantA, 'read', { kind: 'payment', payment: facts(1) }), true);
    assert.equal(can(merchantA, 'act', { kind: 'payment', payment: facts(1) }), false);
    // A's orders: the payer token of U1 reads and acts on U1's, not on U2's; nor on B's order paid by U1.
    assert.equal(can(payer1, 'act', { kind: 'payment', payment: facts(3) }), true);
    assert.equal(can(payer1, 'act', { kind: 'payment', payment: facts(4) }), false);
    assert.equal(can(payer1, 'read', { kind: 'payment', payment: facts(4) }), false);
    assert.equal(can(payer1, 'read', { kind: 'payment', payment: facts(5) }), false);
    // payments:admin alone reads the client's initiations only.
    assert.equal(can(principals[1], 'read', { kind: 'payment', payment: facts(2) }), true);
    assert.equal(can(principals[1], 'read', { kind: 'payment', payment: facts(0) }), false);
    // A payer's own account, for the token acting for them whatever the client.
    assert.equal(can(payer1, 'read', { kind: 'account', account: accounts.u1 }), true);
    assert.equal(can(payer1, 'read', { kind: 'account', account: accounts.u2 }), false);
  });

  it('grants: the holder of the named wallet address’s account sees and revokes them, the operator every one, the filter agreeing', () => {
    for (const p of principals) {
      const own = ownAccountIds(p);
      for (const action of Object.keys(POLICY.grant) as Array<keyof typeof POLICY.grant>) {
        for (const account of [...Object.values(accounts), null]) {
          const allowed = can(p, action, { kind: 'grant', account });
          if (account && !own.includes(account.id) && p.kind !== 'operator') assert.equal(allowed, false, `${p.kind} ${action} grant on ${account.id}`);
          if (account && own.includes(account.id) && ['merchant', 'payer', 'payerSession'].includes(p.kind)) assert.equal(allowed, true, `${p.kind} ${action} grant on ${account.id}`);
          const filter = accessFilter(p, action, 'grant', { ownAccountIds: own });
          // A list reaches the grants naming the principal's own accounts (and, for the operator, every grant).
          if (account && (own.includes(account.id) || p.kind === 'operator')) assert.equal(matches(filter, { accountId: account.id }), allowed, `${p.kind} ${action} filter ${account.id}`);
        }
      }
    }
    assert.equal(can(principals[2], 'revoke', { kind: 'grant', account: null }), true);
    assert.equal(can(principals[0], 'read', { kind: 'grant', account: null }), false);
  });

  it('shows the signing key only to the client acting for itself with a scope that makes webhooks', () => {
    const self = { kind: 'client', client: { id: A } } as const;
    assert.equal(can({ kind: 'merchant', clientId: A, scopes: new Set([Scope.ORDERS_WRITE]) }, 'readSecret', self), true);
    assert.equal(can({ kind: 'merchant', clientId: A, scopes: new Set([Scope.PAYMENTS_READ, Scope.ACCOUNTS_WRITE]) }, 'readSecret', self), false);
    assert.equal(can({ kind: 'payer', clientId: A, userId: 'usr_1', scopes: all }, 'readSecret', self), false);
    assert.equal(can({ kind: 'merchant', clientId: B, scopes: all }, 'readSecret', self), false);
  });
});
