import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import {
  GraphQLError,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  lexicographicSortSchema,
  printSchema,
  type ASTNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  Kind,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../shared/pagination';
import { buildSchema } from 'type-graphql';
import { AccountResolver } from '../accounts/account.resolver';
import { AccountPaymentResolver } from '../flows/account-payments/account-payment.resolver';
import { OrderResolver } from '../flows/orders/order.resolver';
import { InitiationResolver } from '../flows/initiation/initiation.resolver';
import { OneClickResolver } from '../flows/one-click/one-click.resolver';
import { LedgerResolver } from '../ledger/ledger.resolver';
import { PeerResolver } from '../open-payments/peering/peer.resolver';
import { AccountPaymentsFieldResolver, PaymentResolver } from '../payments/payment.resolver';
import { WebhookResolver } from '../webhooks/webhook.resolver';
import { RefundResolver } from '../payments/refunds/refund.resolver';
import { UserResolver } from '../users/user.resolver';
import { ClientResolver } from '../oauth/client.resolver';
import { IncomingPaymentResolver } from '../open-payments/incoming-payments/incoming-payment.resolver';
import { QuoteResolver } from '../open-payments/quotes/quote.resolver';
import { OutgoingPaymentResolver } from '../open-payments/outgoing-payments/outgoing-payment.resolver';
import { WalletAddressResolver } from '../open-payments/wallet-addresses/wallet-address.resolver';
import { GrantResolver } from '../open-payments/grants/grant.resolver';
import { ClientAdminResolver } from '../oauth/client-admin.resolver';
import { DashboardResolver } from '../operations/dashboard/dashboard.resolver';
import { ExchangeRateResolver } from '../providers/exchange-rates/exchange-rate.resolver';
import { authChecker } from './context';
import { guardArguments } from './input-guard';

export const RESOLVERS = [AccountResolver, PaymentResolver, AccountPaymentsFieldResolver, AccountPaymentResolver, RefundResolver, OrderResolver, InitiationResolver, LedgerResolver, WebhookResolver, UserResolver, ClientResolver, OneClickResolver, WalletAddressResolver, GrantResolver, IncomingPaymentResolver, QuoteResolver, OutgoingPaymentResolver, ClientAdminResolver, PeerResolver, DashboardResolver, ExchangeRateResolver] as const;

/**
 * Every subscription brings its own `subscribe` (it authorizes before listening), so the PubSub that
 * type-graphql insists on is never used: it fails loudly if that ever changes.
 */
const UNUSED_PUBSUB = {
  publish(): void {
    throw new Error('events are published by the outbox, not through type-graphql');
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error('subscriptions must declare their own subscribe function');
  },
};

export async function buildPaygridSchema(): Promise<GraphQLSchema> {
  return guardArguments(await buildSchema({ resolvers: [...RESOLVERS], pubSub: UNUSED_PUBSUB, authChecker, validate: false }));
}

/** The SDL committed in `schema/schema.graphql`, sorted so that it diffs cleanly. */
export function printPaygridSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

export const MAX_QUERY_DEPTH = 10;

/**
 * Introspection (`__schema`, `__type`) reads the schema in memory and touches no data; the standard
 * introspection query that explorers and code generators send nests 14 levels. It is left out of the
 * depth and cost limits, and stays bounded by the token and alias limits.
 */
const isIntrospection = (field: FieldNode) => field.name.value.startsWith('__');

/** Refuses operations nested deeper than `max` fields, before any resolver runs. */
export function depthLimit(max: number): ValidationRule {
  return (context: ValidationContext) => {
    const fragments = new Map(context.getDocument().definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
    const depthOf = (node: ASTNode, depth: number, seen: Set<string>): number => {
      if (node.kind === Kind.FIELD) {
        if (!node.selectionSet || isIntrospection(node)) return depth;
        return Math.max(depth, ...node.selectionSet.selections.map((s) => depthOf(s, depth + 1, seen)));
      }
      if (node.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(node.name.value);
        if (!fragment || seen.has(node.name.value)) return depth;
        return depthOf(fragment, depth, new Set([...seen, node.name.value]));
      }
      if (node.kind === Kind.INLINE_FRAGMENT || node.kind === Kind.FRAGMENT_DEFINITION || node.kind === Kind.OPERATION_DEFINITION) {
        return Math.max(depth, ...node.selectionSet.selections.map((s) => depthOf(s, depth, seen)));
      }
      return depth;
    };
    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation, 0, new Set());
        if (depth > max) {
          context.reportError(
            new GraphQLError(`The operation is nested ${depth} levels deep; the limit is ${max}.`, {
              nodes: [operation],
              extensions: { code: 'QUERY_TOO_DEEP' },
            }),
          );
        }
      },
    };
  };
}

/**
 * What one operation may cost: each field counts once for every time it is resolved, so a page's
 * fields count `first` times (a variable counts as the largest page). The README's and the tests'
 * queries cost well under it; pages of pages of 100 do not.
 */
export const MAX_QUERY_COST = 20_000;
export const MAX_QUERY_ALIASES = 30;
/** Lexical tokens in one document (graphql-js parse's maxTokens): bounds the parsing itself. */
export const MAX_QUERY_TOKENS = 5_000;
/** A list field without `first` (a payment's transactions, events) is counted as this many items. */
const UNPAGED_LIST_SIZE = 10;

/**
 * Refuses an operation whose estimated cost exceeds `max`, before any resolver runs. An operation
 * deeper than `maxDepth` is left to depthLimit, so that it gets one refusal.
 */
export function costLimit(max: number, maxDepth: number): ValidationRule {
  return (context: ValidationContext) => {
    const schema = context.getSchema();
    const document = context.getDocument();
    const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
    const pageSize = (value: ASTNode | undefined, variableDefault: (name: string) => ASTNode | undefined): number => {
      if (!value) return DEFAULT_PAGE_SIZE;
      if (value.kind === Kind.INT) return Math.max(0, Math.min(MAX_PAGE_SIZE, Number(value.value)));
      if (value.kind === Kind.VARIABLE) {
        const fallback = variableDefault(value.name.value);
        return fallback?.kind === Kind.INT ? Math.max(0, Math.min(MAX_PAGE_SIZE, Number(fallback.value))) : MAX_PAGE_SIZE;
      }
      return MAX_PAGE_SIZE;
    };
    return {
      OperationDefinition(operation) {
        const defaults = new Map((operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, v.defaultValue] as const));
        const variableDefault = (name: string) => defaults.get(name) ?? undefined;
        // `paged`: the set is a page's (a connection's), whose list of nodes `first` already counted.
        let deepest = 0;
        const costOf = (set: SelectionSetNode, type: GraphQLCompositeType | null | undefined, seen: Set<string>, level: number, paged = false): number => {
          let cost = 0;
          for (const selection of set.selections) {
            if (selection.kind === Kind.FIELD) {
              if (isIntrospection(selection)) continue;
              deepest = Math.max(deepest, level);
              if (level > maxDepth) continue;
              const field = type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[selection.name.value] : undefined;
              let times = 1;
              const pages = !!field?.args.some((a) => a.name === 'first');
              if (pages) {
                times = pageSize(selection.arguments?.find((a) => a.name.value === 'first')?.value, variableDefault);
              } else if (!paged && field && isListType(getNullableType(field.type))) {
                times = UNPAGED_LIST_SIZE;
              }
              const child = field ? getNamedType(field.type) : undefined;
              cost += 1 + (selection.selectionSet ? times * costOf(selection.selectionSet, child && isCompositeType(child) ? child : null, seen, level + 1, pages) : 0);
            } else if (selection.kind === Kind.INLINE_FRAGMENT) {
              const narrowed = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
              cost += costOf(selection.selectionSet, narrowed && isCompositeType(narrowed) ? narrowed : null, seen, level, paged);
            } else {
              const fragment = fragments.get(selection.name.value);
              if (!fragment || seen.has(fragment.name.value)) continue;
              const narrowed = schema.getType(fragment.typeCondition.name.value);
              cost += costOf(fragment.selectionSet, narrowed && isCompositeType(narrowed) ? narrowed : null, new Set([...seen, fragment.name.value]), level, paged);
            }
          }
          return cost;
        };
        const cost = costOf(operation.selectionSet, schema.getRootType(operation.operation), new Set(), 0);
        if (cost > max && deepest <= maxDepth) {
          context.reportError(
            new GraphQLError(`The operation would cost ${cost} (each field counted once per item of the pages around it); the limit is ${max}.`, {
              nodes: [operation],
              extensions: { code: 'QUERY_TOO_COSTLY', cost, maxCost: max },
            }),
          );
        }
      },
    };
  };
}

/** GraphQL Armor's alias count, reported as a validation error with a stable code instead of thrown. */
export function aliasLimit(max: number): ValidationRule {
  return maxAliasesRule({
    n: max,
    propagateOnRejection: false,
    onReject: [
      (context, error) =>
        context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'TOO_MANY_ALIASES', maxAliases: max } })),
    ],
  }) as unknown as ValidationRule;
}

/** The rules every face validates with, on top of graphql-js's own: depth, cost and aliases. */
export function queryLimits(): ValidationRule[] {
  return [depthLimit(MAX_QUERY_DEPTH), costLimit(MAX_QUERY_COST, MAX_QUERY_DEPTH), aliasLimit(MAX_QUERY_ALIASES)];
}
