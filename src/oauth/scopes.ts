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
}

export const ALL_SCOPES: readonly string[] = Object.values(Scope);

export const MERCHANT_SCOPES: readonly Scope[] = [
  Scope.ACCOUNTS_READ,
  Scope.ACCOUNTS_WRITE,
  Scope.PAYMENTS_READ,
  Scope.PAYMENTS_WRITE,
];

export const OPERATOR_SCOPES: readonly Scope[] = [Scope.LEDGER_FUND, Scope.LEDGER_READ, Scope.ACCOUNTS_READ];
