import type { Caller } from '../oauth/token.service';
import { Scope } from '../oauth/scopes';

/**
 * Who is asking, as the access policy sees it. Every face (GraphQL over HTTP and WebSocket, REST
 * routes, pages) turns its credentials into one of these; the policy decides from nothing else.
 * Open Payments GNAP grants will be one more kind here, with rules of their own in the table.
 */
export type Principal =
  /** A client-credentials token: the merchant acting for itself. */
  | { kind: 'merchant'; clientId: string; scopes: ReadonlySet<string> }
  /** A client-credentials token of the platform operator (it holds a ledger scope). */
  | { kind: 'operator'; clientId: string; scopes: ReadonlySet<string> }
  /** A token from a payer's consent (authorization code grant): the client acting for that payer. */
  | { kind: 'payer'; clientId: string; userId: string; scopes: ReadonlySet<string> }
  /** A payment-scoped token (payments:validate), bound to one payment: in the API and in the webview. */
  | { kind: 'payment'; clientId: string; paymentId: string; scopes: ReadonlySet<string> }
  /** The payer's own browser session on Paygrid's pages (checkout). */
  | { kind: 'payerSession'; userId: string };

export type PrincipalKind = Principal['kind'];

/** A token-holding principal: what GraphQL and REST callers are. */
export type TokenPrincipal = Exclude<Principal, { kind: 'payerSession' }>;

const OPERATOR_MARKS: readonly string[] = [Scope.LEDGER_FUND, Scope.LEDGER_READ, Scope.CLIENTS_MANAGE];

/** The principal a valid token stands for. */
export function principalOf(caller: Caller): TokenPrincipal {
  const { clientId, scopes } = caller;
  if (caller.paymentId) return { kind: 'payment', clientId, paymentId: caller.paymentId, scopes };
  if (caller.userId) return { kind: 'payer', clientId, userId: caller.userId, scopes };
  if (OPERATOR_MARKS.some((s) => scopes.has(s))) return { kind: 'operator', clientId, scopes };
  return { kind: 'merchant', clientId, scopes };
}

/** The payer's browser on a page, once logged in. */
export function payerSession(userId: string): Principal {
  return { kind: 'payerSession', userId };
}
