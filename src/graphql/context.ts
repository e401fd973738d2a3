import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import type { AuthChecker } from 'type-graphql';
import type { Account } from '../accounts/account.entity';
import type { AccountService } from '../accounts/account.service';
import type { DomainEvent } from '../events/event.entity';
import type { EventSubscriber } from '../events/pubsub';
import type { AccountPaymentService } from '../flows/account-payments/account-payment.service';
import type { OrderService } from '../flows/orders/order.service';
import type { InitiationService } from '../flows/initiation/initiation.service';
import type { OneClickService } from '../flows/one-click/one-click.service';
import type { LedgerService } from '../ledger/ledger.service';
import type { AuthorizationService } from '../oauth/authorization.service';
import type { TokenService, Caller } from '../oauth/token.service';
import { OPERATION_SCOPES, principalOf, type TokenPrincipal } from '../access';
import { Scope } from '../oauth/scopes';
import type { Database } from '../persistence/database';
import type { Clock } from '../shared/clock';
import type { Scheduler } from '../jobs/scheduler';
import type { Page, PageRequest } from '../shared/pagination';
import type { Payment } from '../payments/payment.entity';
import type { PaymentService } from '../payments/payment.service';
import type { RefundService } from '../payments/refunds/refund.service';
import type { PaymentTransaction } from '../payments/transaction.entity';
import type { OrderDetails } from '../flows/orders/order.entity';
import type { InitiationDetails } from '../flows/initiation/initiation.entity';
import type { WebhookAttempt } from '../webhooks/webhook-attempt.entity';
import type { WebhookService } from '../webhooks/webhook.service';
import type { ClientService } from '../oauth/client.service';
import type { UserService } from '../users/user.service';
import type { IncomingPaymentService } from '../open-payments/incoming-payments/incoming-payment.service';
import type { QuoteService } from '../open-payments/quotes/quote.service';
import type { OutgoingPaymentService } from '../open-payments/outgoing-payments/outgoing-payment.service';
import type { ResourceUrls } from '../open-payments/resources/resource-urls';
import type { WalletAddressService } from '../open-payments/wallet-addresses/wallet-address.service';
import type { WalletAddressKey } from '../open-payments/wallet-addresses/wallet-address.entity';
import type { GrantAccessService } from '../open-payments/grants/grant-access';
import type { GrantService } from '../open-payments/grants/grant.service';
import type { PeerService } from '../open-payments/peering/peer.service';
import type { SignatureVerifier } from '../open-payments/signatures/http-signatures';
import type { OperationsOverview } from '../operations/dashboard/overview';
import type { ExchangeRates } from '../providers/exchange-rates/exchange-rates';

export interface Services {
  db: Database;
  clock: Clock;
  events: EventSubscriber;
  tokens: TokenService;
  users: UserService;
  authorization: AuthorizationService;
  ledger: LedgerService;
  accounts: AccountService;
  payments: PaymentService;
  accountPayments: AccountPaymentService;
  orders: OrderService;
  refunds: RefundService;
  initiations: InitiationService;
  oneClick: OneClickService;
  scheduler: Scheduler;
  webhooks: WebhookService;
  incomingPayments: IncomingPaymentService;
  quotes: QuoteService;
  outgoingPayments: OutgoingPaymentService;
  resourceUrls: ResourceUrls;
  walletAddresses: WalletAddressService;
  grants: GrantService;
  grantAccess: GrantAccessService;
  /** Client management by operators. */
  clients: ClientService;
  signatures: SignatureVerifier;
  peers: PeerService;
  /** What the operator's dashboard and the metrics show. */
  overview: OperationsOverview;
  exchangeRates: ExchangeRates;
}

/**
 * Per-request batching: a page of payments asks for its accounts, transactions and events in one
 * statement each, whatever the page size. Loaders hold no authorization: callers check ownership.
 */
export function createLoaders(services: Services) {
  const groupBy = <T, K extends keyof T>(rows: T[], key: K, ids: readonly string[]) => {
    const groups = new Map<string, T[]>(ids.map((id) => [id, []]));
    for (const row of rows) groups.get(row[key] as unknown as string)?.push(row);
    return ids.map((id) => groups.get(id)!);
  };
  const byId = <T extends { id: string }>(rows: T[], ids: readonly string[]) => {
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  };
  return {
    account: new DataLoader<string, Account | null>(async (ids) => byId(await services.accounts.byIds(ids), ids)),
    payment: new DataLoader<string, Payment | null>(async (ids) => byId(await services.payments.byIds(ids), ids)),
    transactions: new DataLoader<string, PaymentTransaction[]>(async (ids) =>
      groupBy(await services.payments.transactionsOf(ids), 'paymentId', ids),
    ),
    events: new DataLoader<string, DomainEvent[]>(async (ids) => groupBy(await services.payments.events(ids), 'aggregateId', ids)),
    orderDetails: new DataLoader<string, OrderDetails | null>(async (ids) => {
      const rows = new Map((await services.orders.details(ids)).map((d) => [d.paymentId, d]));
      return ids.map((id) => rows.get(id) ?? null);
    }),
    initiationDetails: new DataLoader<string, InitiationDetails | null>(async (ids) => {
      const rows = new Map((await services.initiations.details(ids)).map((d) => [d.paymentId, d]));
      return ids.map((id) => rows.get(id) ?? null);
    }),
    webhookAttempts: new DataLoader<string, WebhookAttempt[]>(async (ids) => groupBy(await services.webhooks.attemptsOf(ids), 'deliveryId', ids)),
    walletAddressKeys: new DataLoader<string, WalletAddressKey[]>(async (ids) => groupBy(await services.walletAddresses.keysOf(ids), 'walletAddressId', ids)),
    /** Each account's page of payments, as the principal may read them: one batch per page size and cursor. */
    accountPayments: new DataLoader<AccountPaymentsKey, Page<Payment>, string>(
      async (keys) => {
        const pages = new Map<string, Page<Payment>>();
        for (const group of new Set(keys.map(pageOf))) {
          const inGroup = keys.filter((k) => pageOf(k) === group);
          const { first, after } = inGroup[0];
          const found = await services.payments.pagesOfAccounts(inGroup[0].principal, [...new Set(inGroup.map((k) => k.accountId))], { first, after });
          for (const k of inGroup) pages.set(`${k.accountId}|${group}`, found.get(k.accountId)!);
        }
        return keys.map((k) => pages.get(`${k.accountId}|${pageOf(k)}`)!);
      },
      { cacheKeyFn: (k) => `${k.accountId}|${pageOf(k)}` },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** One request has one principal, so it is not part of the cache key. */
interface AccountPaymentsKey extends PageRequest {
  principal: TokenPrincipal;
  accountId: string;
}
const pageOf = (k: PageRequest) => `${k.first ?? ''}|${k.after ?? ''}`;

export interface Context {
  caller: Caller | null;
  services: Services;
  loaders: Loaders;
}

export function unauthenticated(message = 'A valid bearer token is required.'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

export function forbidden(scopes: readonly string[]): GraphQLError {
  return new GraphQLError(`This needs the scope ${scopes.join(' or ')}.`, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}

/** For what a client may only do on a payer's behalf, with a token from the payer's consent. */
export function payerRequired(): GraphQLError {
  return new GraphQLError('This needs a token granted by a payer (authorization code grant); a client-credentials token acts for no payer.', {
    extensions: { code: 'FORBIDDEN', http: { status: 403 } },
  });
}

/**
 * `@Authorized()`: the caller must hold one of the scopes the operation needs, as the access
 * module's OPERATION_SCOPES lists them (decorator scopes only for an operation missing there).
 */
export const authChecker: AuthChecker<Context> = ({ context, info }, scopes) => {
  const operation = `${info.parentType.name}.${info.fieldName}`;
  requirePrincipal(context, operation in OPERATION_SCOPES ? OPERATION_SCOPES[operation] : scopes);
  return true;
};

/** The authenticated caller as the access policy sees it, holding a scope `operation` needs; or a top-level GraphQL error. */
export function requirePrincipal(context: Context, operation: string | readonly string[]): TokenPrincipal {
  const caller = context.caller;
  if (!caller) throw unauthenticated();
  const principal = principalOf(caller);
  const scopes = typeof operation === 'string' ? OPERATION_SCOPES[operation] : operation;
  if (!scopes) throw new Error(`operation ${String(operation)} is missing from OPERATION_SCOPES`);
  if (scopes.length && !scopes.some((s) => caller.scopes.has(s))) throw forbidden(scopes);
  // A payment-scoped token reaches only what names payments:validate; the policy then checks the payment.
  if (principal.kind === 'payment' && !scopes.includes(Scope.PAYMENTS_VALIDATE)) throw boundToPayment(principal.paymentId);
  return principal;
}

/** The principal of a request that passed `@Authorized()`. */
export function principal(context: Context): TokenPrincipal {
  return principalOf(context.caller!);
}

/** A payment-scoped token used outside its payment. */
export function boundToPayment(paymentId: string): GraphQLError {
  return new GraphQLError(`This token is bound to payment ${paymentId} and may be used for nothing else.`, {
    extensions: { code: 'FORBIDDEN', http: { status: 403 } },
  });
}

/** The policy refused an operation that has no object to hide (the ledger, a payer-only mutation). */
export function notAllowed(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}

/** For subscriptions, which have no payload to carry a userError: the object is missing or not the caller's. */
export function notFound(what: string): GraphQLError {
  return new GraphQLError(`No such ${what}, or it is not yours.`, { extensions: { code: 'NOT_FOUND' } });
}
