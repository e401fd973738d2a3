/** What a token may do. Every GraphQL field and mutation names the scope it needs. */
export enum Scope {
  ACCOUNTS_READ = 'accounts:read',
  ACCOUNTS_WRITE = 'accounts:write',
  PAYMENTS_READ = 'payments:read',
  PAYMENTS_WRITE = 'payments:write',
  /** Operator: record deposits from outside into any account. */
  LEDGER_FUND = 'ledger:fund',
  /** Operator: read the ledger's books. */
  LEDGER_READ = 'ledger:read',
  /** Payer consent: the payer's name and username. */
  PROFILE = 'profile',
  /** Payer consent: create orders that the payer approves on the checkout page, capture and cancel them. */
  ORDERS_WRITE = 'orders:write',
  /** Payer consent: orders are approved at creation, without asking the payer each time (recurrent payments). */
  ORDERS_RECURRENT = 'orders:recurrent',
  /** Merchant: create bank payment initiations, their payment-scoped tokens, and read them (Powens `payments:admin`). */
  PAYMENTS_ADMIN = 'payments:admin',
  /**
   * Payment-scoped: read and validate one payment initiation. Never granted to a client for itself;
   * only issued bound to one payment (Powens `payments:validate`).
   */
  PAYMENTS_VALIDATE = 'payments:validate',
  /** Operator: create, read, change, disable clients and rotate their secrets. */
  CLIENTS_MANAGE = 'clients:manage',
}

/** How the consent page words each scope for a payer. */
export const SCOPE_WORDING: Record<Scope, string> = {
  [Scope.ACCOUNTS_READ]: 'See your accounts and their balances',
  [Scope.ACCOUNTS_WRITE]: 'Open accounts in your name',
  [Scope.PAYMENTS_READ]: 'See your payments and their history',
  [Scope.PAYMENTS_WRITE]: 'Make payments from your accounts',
  [Scope.LEDGER_FUND]: 'Record deposits into any account (operator)',
  [Scope.LEDGER_READ]: 'Read the books of the platform (operator)',
  [Scope.PROFILE]: 'Know your name and username',
  [Scope.ORDERS_WRITE]: 'Ask you to pay its orders, and charge the orders you approve',
  [Scope.ORDERS_RECURRENT]: 'Charge your account for its orders without asking you each time',
  [Scope.PAYMENTS_ADMIN]: 'Create bank payments to be validated by a payer, and follow them',
  [Scope.PAYMENTS_VALIDATE]: 'Show and validate one bank payment',
  [Scope.CLIENTS_MANAGE]: 'Manage the applications registered with the platform (operator)',
};

export const ALL_SCOPES: readonly string[] = Object.values(Scope);

/** What a merchant may ask for: for itself (client credentials) and, the consent scopes, of a payer. */
export const MERCHANT_SCOPES: readonly Scope[] = [
  Scope.ACCOUNTS_READ,
  Scope.ACCOUNTS_WRITE,
  Scope.PAYMENTS_READ,
  Scope.PAYMENTS_WRITE,
  Scope.PROFILE,
  Scope.ORDERS_WRITE,
];

/** Scopes that exist only bound to one payment: no client may hold them or ask for them for itself. */
export const PAYMENT_BOUND_SCOPES: readonly Scope[] = [Scope.PAYMENTS_VALIDATE];

export const OPERATOR_SCOPES: readonly Scope[] = [Scope.LEDGER_FUND, Scope.LEDGER_READ, Scope.ACCOUNTS_READ, Scope.CLIENTS_MANAGE];

/** Scopes that make a client an operator: only an operator (or the bootstrap command) gives them. */
export const OPERATOR_ONLY_SCOPES: readonly Scope[] = [Scope.LEDGER_FUND, Scope.LEDGER_READ, Scope.CLIENTS_MANAGE];

/** What a merchant may ask a payer to consent to (authorization code grant). */
export const PAYER_CONSENT_SCOPES: readonly Scope[] = [
  Scope.PROFILE,
  Scope.ORDERS_WRITE,
  Scope.ORDERS_RECURRENT,
  Scope.ACCOUNTS_READ,
  Scope.PAYMENTS_READ,
];

/** A `scope` parameter (RFC 6749 §3.3: space-delimited), without repeats. */
export function parseScope(value: string): string[] {
  return [...new Set(value.trim().split(/\s+/).filter(Boolean))];
}
