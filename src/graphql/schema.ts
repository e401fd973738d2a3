import { GraphQLError, lexicographicSortSchema, printSchema, type ASTNode, type GraphQLSchema, type ValidationContext, type ValidationRule, Kind } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AccountResolver } from '../accounts/account.resolver';
import { AccountPaymentResolver } from '../flows/account-payments/account-payment.resolver';
import { OrderResolver } from '../flows/orders/order.resolver';
import { InitiationResolver } from '../flows/initiation/initiation.resolver';
import { LedgerResolver } from '../ledger/ledger.resolver';
import { AccountPaymentsFieldResolver, PaymentResolver } from '../payments/payment.resolver';
import { WebhookResolver } from '../webhooks/webhook.resolver';
import { UserResolver } from '../users/user.resolver';
import { ClientResolver } from '../oauth/client.resolver';
import { authChecker } from './context';
import { guardArguments } from './input-guard';

export const RESOLVERS = [AccountResolver, PaymentResolver, AccountPaymentsFieldResolver, AccountPaymentResolver, OrderResolver, InitiationResolver, LedgerResolver, WebhookResolver, UserResolver, ClientResolver] as const;

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

/** Refuses operations nested deeper than `max` fields, before any resolver runs. */
export function depthLimit(max: number): ValidationRule {
  return (context: ValidationContext) => {
    const fragments = new Map(context.getDocument().definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
    const depthOf = (node: ASTNode, depth: number, seen: Set<string>): number => {
      if (node.kind === Kind.FIELD) {
        if (!node.selectionSet) return depth;
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
