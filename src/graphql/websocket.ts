import { GraphQLError, parse, subscribe, validate, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocketServer } from 'ws';
import { principalOf } from '../access';
import { Fanout } from '../events/fanout';
import { bearer } from '../http/bearer';
import { formatGraphQLErrors } from '../http/error-boundary';
import type { Caller } from '../oauth/token.service';
import type { Clock } from '../shared/clock';
import { createLoaders, unauthenticated, type Context, type Services } from './context';
import { MAX_QUERY_TOKENS } from './schema';

/** Close codes of a GraphQL WebSocket whose token stopped working (graphql-ws's own codes are 44xx too). */
export const WS_TOKEN_ENDED = { code: 4401, expired: 'Token expired', revoked: 'Token revoked' } as const;

type Subscribed = AsyncIterableIterator<ExecutionResult> | ExecutionResult;

/**
 * Subscriptions that would run alike share one source stream and one execution per event: the same
 * document, operation name and variables, and a principal the access policy sees the same (it looks
 * at nothing else of the token). Each subscriber reads the shared results through its own queue and
 * its own token check, so that a revoked token ends its subscriber only.
 */
export class SharedSubscriptions {
  private readonly groups = new Map<string, Promise<Fanout<ExecutionResult> | ExecutionResult>>();

  constructor(private readonly tokens: Services['tokens']) {}

  /** What a subscriber's stream shares with its like: its query as sent, and its caller's principal. */
  static key(query: string, operationName: string | null | undefined, variables: unknown, caller: Caller): string {
    const principal = principalOf(caller);
    const holder = principal.kind === 'payer' ? principal.userId : principal.kind === 'payment' ? principal.paymentId : null;
    return JSON.stringify([query, operationName ?? null, variables ?? null, principal.kind, principal.clientId, holder, [...principal.scopes].sort()]);
  }

  async subscribe(key: string, args: ExecutionArgs): Promise<Subscribed> {
    for (;;) {
      let group = this.groups.get(key);
      if (!group) {
        const started = this.start(args, () => {
          if (this.groups.get(key) === started) this.groups.delete(key);
        });
        this.groups.set(key, (group = started));
      }
      const fanout = await group;
      if (!(fanout instanceof Fanout)) return fanout;
      // A group whose last subscriber left while this one waited is ending: another one starts.
      if (!fanout.ended) {
        const caller = (args.contextValue as Context).caller!;
        return fanout.subscribe(() => (this.tokens.stillValid(caller) ? undefined : unauthenticated('The token expired or was revoked.')));
      }
    }
  }

  private async start(args: ExecutionArgs, forget: () => void): Promise<Fanout<ExecutionResult> | ExecutionResult> {
    const source = await subscribe(args);
    if (!(Symbol.asyncIterator in source)) {
      // A refusal (not found, forbidden) is the same for every subscriber that waited for it.
      forget();
      return source;
    }
    const fanout = new Fanout<ExecutionResult>(() => {
      forget();
      void source.return?.();
    });
    void (async () => {
      try {
        for await (const result of source) fanout.publish(result);
        fanout.end();
      } catch (error) {
        fanout.end(error);
      }
      forget();
    })();
    return fanout;
  }
}

export interface GraphQLWebSocketOptions {
  schema: GraphQLSchema;
  rules: readonly ValidationRule[];
  services: Services;
  clock: Clock;
  report: (error: unknown) => string;
}

/**
 * GraphQL over WebSocket (graphql-ws): the token is checked at connection_init and again at every
 * subscribe, and the socket is closed the moment it expires or is revoked. Subscriptions go
 * through SharedSubscriptions. Returns what drains the sockets on shutdown.
 */
export function serveGraphQLWebSockets(wsServer: WebSocketServer, { schema, rules, services, clock, report }: GraphQLWebSocketOptions): { dispose(): Promise<void> | void } {
  const { tokens } = services;
  const shared = new SharedSubscriptions(tokens);
  // The key of each subscribe's ExecutionArgs, from its payload: graphql-ws hands `subscribe` the args alone.
  const keys = new WeakMap<ExecutionArgs, string>();
  return useServer<Record<string, unknown>, { caller?: Caller; unwatch?: () => void }>(
    {
      schema,
      // Close reasons never carry an error's message.
      isProd: true,
      onConnect: async (ctx) => {
        const token = bearer(ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization);
        const caller = token ? await tokens.authenticate(token) : null;
        if (!caller) return false;
        ctx.extra.caller = caller;
        ctx.extra.unwatch = tokens.watch(caller, (why) => ctx.extra.socket.close(WS_TOKEN_ENDED.code, WS_TOKEN_ENDED[why]));
        return true;
      },
      onClose: (ctx) => ctx.extra.unwatch?.(),
      onSubscribe: async (ctx, _id, payload) => {
        const caller = ctx.extra.caller;
        if (!caller || !tokens.stillValid(caller)) {
          ctx.extra.socket.close(WS_TOKEN_ENDED.code, caller && caller.expiresAt.getTime() <= clock.now().getTime() ? WS_TOKEN_ENDED.expired : WS_TOKEN_ENDED.revoked);
          return [unauthenticated('The token expired or was revoked.')];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: MAX_QUERY_TOKENS });
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('The query could not be parsed.')];
        }
        const errors = validate(schema, document, rules);
        if (errors.length) return errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: e.extensions }));
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: { caller, services, loaders: createLoaders(services) } satisfies Context,
        };
        keys.set(args, SharedSubscriptions.key(payload.query, payload.operationName, payload.variables, caller));
        return args;
      },
      subscribe: (args) => shared.subscribe(keys.get(args)!, args),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length ? { ...result, errors: formatGraphQLErrors(result.errors, report) } : undefined,
      onError: (_ctx, _id, _payload, errors) => formatGraphQLErrors(errors, report),
    },
    wsServer,
  );
}
