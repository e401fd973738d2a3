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
import type { LedgerService } from '../ledger/ledger.service';
import type { AuthorizationService } from '../oauth/authorization.service';
import type { TokenService, Caller } from '../oauth/token.service';
import type { Database } from '../persistence/database';
import type { Clock } from '../shared/clock';
import type { Scheduler } from '../jobs/scheduler';
import type { Payment } from '../payments/payment.entity';
import type { PaymentService } from '../payments/payment.service';
import type { PaymentTransaction } from '../payments/transaction.entity';
import type { WebhookAttempt } from '../webhooks/webhook-attempt.entity';
import type { WebhookService } from '../webhooks/webhook.service';
import type { UserService } from '../users/user.service';

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
  initiations: InitiationService;
  scheduler: Scheduler;
  webhooks: WebhookService;
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
    webhookAttempts: new DataLoader<string, WebhookAttempt[]>(async (ids) => groupBy(await services.webhooks.attemptsOf(ids), 'deliveryId', ids)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

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

/** `@Authorized(scope…)`: the caller must hold one of the scopes. */
export const authChecker: AuthChecker<Context> = ({ context }, scopes) => requireCaller(context, scopes) !== null;

/** The authenticated caller holding one of `scopes`, or a top-level GraphQL error. */
export function requireCaller(context: Context, scopes: readonly string[]): Caller {
  const caller = context.caller;
  if (!caller) throw unauthenticated();
  if (scopes.length && !scopes.some((s) => caller.scopes.has(s))) throw forbidden(scopes);
  // A payment-scoped token reaches only what names payments:validate, which checks the payment.
  if (caller.paymentId && !scopes.includes('payments:validate')) throw boundToPayment(caller.paymentId);
  return caller;
}

/** A payment-scoped token used outside its payment. */
export function boundToPayment(paymentId: string): GraphQLError {
  return new GraphQLError(`This token is bound to payment ${paymentId} and may be used for nothing else.`, {
    extensions: { code: 'FORBIDDEN', http: { status: 403 } },
  });
}

/** A payment-scoped caller may touch only its own payment; any other caller passes. */
export function requirePaymentAccess(caller: Caller, paymentId: string): void {
  if (caller.paymentId && caller.paymentId !== paymentId) throw boundToPayment(caller.paymentId);
}

/** For subscriptions, which have no payload to carry a userError: the object is missing or not the caller's. */
export function notFound(what: string): GraphQLError {
  return new GraphQLError(`No such ${what}, or it is not yours.`, { extensions: { code: 'NOT_FOUND' } });
}
