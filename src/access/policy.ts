import { Scope } from '../oauth/scopes';
import { PaymentFlow } from '../payments/payment.entity';
import type { Principal, PrincipalKind } from './principal';

/** Who owns an account: a client (payer null), a payer (client null), or the platform (both null). */
export interface AccountFacts {
  id: string;
  clientId: string | null;
  userId: string | null;
}

/**
 * What the policy knows of a payment of any flow (account payment, order, bank initiation), and so
 * of its transactions and events: who created it and the accounts it pays from and into. An event
 * names the accounts it touches but not which side, so `payerAccount` is null for events.
 */
export interface PaymentFacts {
  id: string;
  clientId: string;
  flow: PaymentFlow | null;
  /** Every account the payment touches (paying and receiving). */
  accounts: AccountFacts[];
  payerAccount: AccountFacts | null;
}

export type AccessObject =
  | { kind: 'account'; account: AccountFacts }
  | { kind: 'payment'; payment: PaymentFacts }
  | { kind: 'transaction'; payment: PaymentFacts }
  | { kind: 'paymentEvent'; payment: PaymentFacts }
  | { kind: 'webhookDelivery'; delivery: { clientId: string } }
  | { kind: 'client'; client: { id: string } }
  | { kind: 'ledger' }
  /** Peer instances, their credit lines and positions (Open Payments between Paygrid instances). */
  | { kind: 'peering' }
  /** The exchange rates cross-currency quotes use (the sandbox provider's, set by the operator). */
  | { kind: 'exchangeRates' }
  /** A player's KYC data as one operator received it (1-Click). */
  | { kind: 'kycProfile'; profile: { clientId: string } }
  /** An Open Payments (GNAP) grant, by the account of the wallet address it names (null: none of ours). */
  | { kind: 'grant'; account: AccountFacts | null };

export type ObjectKind = AccessObject['kind'];

/**
 * What a list is about, for filters that need it: the accounts (all the principal's own) whose
 * payments are listed. A condition on account ownership matches no row when none are given.
 */
export interface FilterScope {
  ownAccountIds?: readonly string[];
}

/** A condition on the entity's own columns, in MikroORM's filter syntax; null matches nothing. */
export type RowFilter = Record<string, unknown> | null;

/**
 * A small named condition, in both forms: `holds` on one object, `filter` on the rows of a list.
 * Each rule of the table is built only from these, so a list and a single read cannot disagree.
 */
export interface Condition {
  name: string;
  holds(principal: Principal, object: AccessObject): boolean;
  filter(principal: Principal, scope: FilterScope): RowFilter;
}

const clientOf = (p: Principal): string | null => ('clientId' in p ? p.clientId : null);
const userOf = (p: Principal): string | null => ('userId' in p ? p.userId : null);
const paymentOf = (o: AccessObject): PaymentFacts | null => ('payment' in o ? o.payment : null);
const touching = (ids: readonly string[] | undefined): RowFilter =>
  ids?.length ? { $or: [{ payerAccountId: { $in: [...ids] } }, { beneficiaryAccountId: { $in: [...ids] } }] } : null;

/** An account held by the client acting for itself. */
const ownsAccountOf = (p: Principal, a: AccountFacts | null) => !!a && a.userId === null && a.clientId !== null && a.clientId === clientOf(p);
/** An account of the payer the principal acts for (or is). */
const payersAccountOf = (p: Principal, a: AccountFacts | null) => !!a && a.userId !== null && a.userId === userOf(p);

export const always: Condition = { name: 'always', holds: () => true, filter: () => ({}) };

export const clientsOwnAccount: Condition = {
  name: 'clientsOwnAccount',
  holds: (p, o) => o.kind === 'account' && ownsAccountOf(p, o.account),
  filter: (p) => ({ clientId: clientOf(p), userId: null }),
};

export const payersAccount: Condition = {
  name: 'payersAccount',
  holds: (p, o) => o.kind === 'account' && payersAccountOf(p, o.account),
  filter: (p) => ({ userId: userOf(p) }),
};

export const createdByClient: Condition = {
  name: 'createdByClient',
  holds: (p, o) => paymentOf(o)?.clientId === clientOf(p),
  filter: (p) => ({ clientId: clientOf(p) }),
};

/** The payment pays from or into an account the client holds for itself (whoever created the payment). */
export const touchesClientsAccount: Condition = {
  name: 'touchesClientsAccount',
  holds: (p, o) => !!paymentOf(o)?.accounts.some((a) => ownsAccountOf(p, a)),
  filter: (_p, scope) => touching(scope.ownAccountIds),
};

/** The payment pays from or into an account of the payer. */
export const touchesPayersAccount: Condition = {
  name: 'touchesPayersAccount',
  holds: (p, o) => !!paymentOf(o)?.accounts.some((a) => payersAccountOf(p, a)),
  filter: (_p, scope) => touching(scope.ownAccountIds),
};

/** The payment is paid from an account of the payer (the payer side of an order). */
export const paidFromPayersAccount: Condition = {
  name: 'paidFromPayersAccount',
  holds: (p, o) => payersAccountOf(p, paymentOf(o)?.payerAccount ?? null),
  filter: (_p, scope) => (scope.ownAccountIds?.length ? { payerAccountId: { $in: [...scope.ownAccountIds] } } : null),
};

export const boundPayment: Condition = {
  name: 'boundPayment',
  holds: (p, o) => p.kind === 'payment' && paymentOf(o)?.id === p.paymentId,
  filter: (p) => (p.kind === 'payment' ? { id: p.paymentId } : null),
};

const flowIs = (flow: PaymentFlow): Condition => ({
  name: `flowIs(${flow})`,
  holds: (_p, o) => paymentOf(o)?.flow === flow,
  filter: () => ({ flow }),
});
export const isOrder = flowIs(PaymentFlow.ORDER);
export const isInitiation = flowIs(PaymentFlow.INITIATION);

export const deliveredToClient: Condition = {
  name: 'deliveredToClient',
  holds: (p, o) => o.kind === 'webhookDelivery' && o.delivery.clientId === clientOf(p),
  filter: (p) => ({ clientId: clientOf(p) }),
};

/** The KYC profile was received by this client (the operator that signed the player in). */
export const profileOfClient: Condition = {
  name: 'profileOfClient',
  holds: (p, o) => o.kind === 'kycProfile' && o.profile.clientId === clientOf(p),
  filter: (p) => ({ clientId: clientOf(p) }),
};

export const sameClient: Condition = {
  name: 'sameClient',
  holds: (p, o) => o.kind === 'client' && o.client.id === clientOf(p),
  filter: (p) => ({ id: clientOf(p) }),
};

const grantAccount = (o: AccessObject): AccountFacts | null => (o.kind === 'grant' ? o.account : null);
const onOwnAccounts = (scope: FilterScope): RowFilter => (scope.ownAccountIds?.length ? { accountId: { $in: [...scope.ownAccountIds] } } : null);

/** A grant naming a wallet address of an account the client holds for itself (rows: the list's own accounts). */
export const grantOnClientsAccount: Condition = {
  name: 'grantOnClientsAccount',
  holds: (p, o) => ownsAccountOf(p, grantAccount(o)),
  filter: (_p, scope) => onOwnAccounts(scope),
};

/** A grant naming a wallet address of an account of the payer. */
export const grantOnPayersAccount: Condition = {
  name: 'grantOnPayersAccount',
  holds: (p, o) => payersAccountOf(p, grantAccount(o)),
  filter: (_p, scope) => onOwnAccounts(scope),
};

const holdsScope = (...scopes: Scope[]): Condition => {
  const has = (p: Principal) => 'scopes' in p && scopes.some((s) => p.scopes.has(s));
  return { name: `holdsScope(${scopes.join('|')})`, holds: (p) => has(p), filter: (p) => (has(p) ? {} : null) };
};
/** An operator that manages clients: it watches and re-sends every client's webhook deliveries (the dashboard's dead letters). */
export const holdsClientsManage = holdsScope(Scope.CLIENTS_MANAGE);
/** The scopes that create what sends webhooks and callbacks: who holds one needs the signing key. */
export const holdsWebhookScope = holdsScope(Scope.PAYMENTS_WRITE, Scope.PAYMENTS_ADMIN, Scope.ORDERS_WRITE);

/** Any one of the alternatives allows; an alternative holds when all its conditions hold. */
export type Rule = readonly (readonly Condition[])[];

type Table = { readonly [K in ObjectKind]: { readonly [action: string]: { readonly [P in PrincipalKind]?: Rule } } };

/** Reads any payment; without it, payments:admin reads only the client's bank initiations (Powens). */
export const holdsPaymentsRead = holdsScope(Scope.PAYMENTS_READ);

/** The owner of a paying or receiving account reads the payment; a payer's token, the client's payments touching the payer. */
const READ_PAYMENT = {
  merchant: [[createdByClient, holdsPaymentsRead], [createdByClient, isInitiation], [touchesClientsAccount, holdsPaymentsRead]],
  operator: [[createdByClient, holdsPaymentsRead], [createdByClient, isInitiation], [touchesClientsAccount, holdsPaymentsRead]],
  payer: [[createdByClient, touchesPayersAccount]],
  payment: [[boundPayment]],
} as const satisfies { [P in PrincipalKind]?: Rule };

/**
 * Who may do what to each kind of object, per principal kind: the one place that decides. A
 * principal kind missing from a cell may not. Scopes are checked per operation before this (see
 * OPERATION_SCOPES); the table decides which objects.
 */
export const POLICY = {
  account: {
    read: { merchant: [[clientsOwnAccount]], operator: [[clientsOwnAccount]], payer: [[payersAccount]], payerSession: [[payersAccount]] },
    /** Opens an account in the principal's own name (the client's, or the payer's). */
    open: { merchant: [[always]], operator: [[always]], payer: [[always]] },
    /** Operator deposits into any account. */
    fund: { operator: [[always]] },
    /** Pays from it with an account payment. */
    payFrom: { merchant: [[clientsOwnAccount]], operator: [[clientsOwnAccount]] },
    /** Open Payments: creates and completes incoming payments on its wallet address (its holder; a payer's token also needs payments:write, which no consent grants today). */
    receiveInto: { merchant: [[clientsOwnAccount]], operator: [[clientsOwnAccount]], payer: [[payersAccount]] },
    /** Open Payments: quotes and outgoing payments from its wallet address. */
    sendFrom: { merchant: [[clientsOwnAccount]], operator: [[clientsOwnAccount]], payer: [[payersAccount]] },
    /** Gives it an Open Payments wallet address and manages that address's keys: its holder. */
    manageWalletAddress: { merchant: [[clientsOwnAccount]], operator: [[clientsOwnAccount]], payer: [[payersAccount]] },
  },
  payment: {
    read: { ...READ_PAYMENT, payerSession: [[isOrder, paidFromPayersAccount]] },
    /** Steps of the flow (authorize, execute, cancel, add or cancel a transaction, capture, issue a payment-scoped token): only the client that created it. */
    act: { merchant: [[createdByClient]], operator: [[createdByClient]], payer: [[createdByClient, paidFromPayersAccount]] },
    /** Sends captured money back to the payer: the client that created the payment, acting for itself. */
    refund: { merchant: [[createdByClient]], operator: [[createdByClient]] },
    /** The payer approves or declines an order on the checkout page. */
    approve: { payerSession: [[isOrder, paidFromPayersAccount]] },
    /** The payer validates a bank initiation in the webview, holding its payment-scoped token. */
    validate: { payment: [[isInitiation, boundPayment]] },
  },
  transaction: { read: READ_PAYMENT },
  paymentEvent: {
    read: READ_PAYMENT,
    /** The operator's platform-wide feed of every payment's changes (the dashboard's live list). */
    monitor: { operator: [[always]] },
  },
  /**
   * Deliveries belong to the client acting for itself: a payer's or a payment-scoped token sees none (their bodies describe other payers' orders).
   * An operator managing clients sees and re-sends every client's, as it answers for their endpoints.
   */
  webhookDelivery: {
    read: { merchant: [[deliveredToClient]], operator: [[deliveredToClient], [holdsClientsManage]] },
    resend: { merchant: [[deliveredToClient]], operator: [[deliveredToClient], [holdsClientsManage]] },
  },
  client: {
    read: { merchant: [[sameClient]], operator: [[sameClient]], payer: [[sameClient]] },
    readSecret: { merchant: [[sameClient, holdsWebhookScope]], operator: [[sameClient, holdsWebhookScope]] },
    configure: { merchant: [[sameClient]], operator: [[sameClient]] },
    /** Operators create, read, change, disable any client and rotate its secrets (clients:manage). */
    manage: { operator: [[always]] },
  },
  ledger: { read: { operator: [[always]] } },
  peering: { read: { operator: [[always]] }, manage: { operator: [[always]] } },
  exchangeRates: { read: { operator: [[always]] }, manage: { operator: [[always]] } },
  /** Personal data: only the client acting for itself that received it; never a payer's or a payment-scoped token. */
  kycProfile: { read: { merchant: [[profileOfClient]], operator: [[profileOfClient]] } },
  /** The holder of the account a grant names sees and revokes it; the operator sees and revokes every grant. */
  grant: {
    read: { merchant: [[grantOnClientsAccount]], operator: [[always]], payer: [[grantOnPayersAccount]], payerSession: [[grantOnPayersAccount]] },
    revoke: { merchant: [[grantOnClientsAccount]], operator: [[always]], payer: [[grantOnPayersAccount]], payerSession: [[grantOnPayersAccount]] },
  },
} as const satisfies Table;

export type Action<K extends ObjectKind> = keyof (typeof POLICY)[K] & string;

function ruleOf(kind: ObjectKind, action: string, principal: PrincipalKind): Rule {
  const cell = (POLICY as Table)[kind][action] as { [P in PrincipalKind]?: Rule } | undefined;
  if (!cell) throw new Error(`no action ${action} on ${kind} in the access policy`);
  return cell[principal] ?? [];
}

/** May the principal do `action` to this object? */
export function can<O extends AccessObject>(principal: Principal, action: Action<O['kind']>, object: O): boolean {
  return ruleOf(object.kind, action, principal.kind).some((all) => all.every((c) => c.holds(principal, object)));
}

/**
 * The same rule as a filter on a list's rows (MikroORM syntax), or null when the principal may see
 * none. Combine it with the list's own conditions with `$and`.
 */
export function accessFilter<K extends ObjectKind>(principal: Principal, action: Action<K>, kind: K, scope: FilterScope = {}): RowFilter {
  const alternatives = ruleOf(kind, action, principal.kind)
    .map((all) => all.map((c) => c.filter(principal, scope)))
    .filter((parts): parts is Record<string, unknown>[] => parts.every((f) => f !== null))
    .map((parts) => (parts.length === 1 ? parts[0] : { $and: parts }));
  if (!alternatives.length) return null;
  // An alternative without conditions matches every row, and so does the whole filter.
  if (alternatives.some((f) => Object.keys(f).length === 0)) return {};
  return alternatives.length === 1 ? alternatives[0] : { $or: alternatives };
}
