import 'reflect-metadata';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { GraphQLError, specifiedRules, validate, type GraphQLFormattedError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { AccountService } from '../accounts/account.service';
import type { Config } from '../config/config';
import { OutboxDispatcher } from '../events/outbox';
import { createPaygridPubSub } from '../events/pubsub';
import { AccountPaymentService } from '../flows/account-payments/account-payment.service';
import { createLoaders, unauthenticated, type Context, type Services } from '../graphql/context';
import { MAX_QUERY_DEPTH, buildPaygridSchema, depthLimit } from '../graphql/schema';
import { LedgerService } from '../ledger/ledger.service';
import { AuthorizationService } from '../oauth/authorization.service';
import { registerAuthorizeRoutes } from '../oauth/authorize.routes';
import { registerTokenRoutes } from '../oauth/token.routes';
import { TokenService, type Caller } from '../oauth/token.service';
import { Database } from '../persistence/database';
import { databaseKind, openDatabase } from '../persistence/orm';
import { PaymentService } from '../payments/payment.service';
import { systemClock, type Clock } from '../shared/clock';
import { isPaygridError } from '../shared/errors';
import { Scheduler } from '../jobs/scheduler';
import { OutboundHttp } from '../outbound/outbound-http';
import { WebhookService } from '../webhooks/webhook.service';
import { PublicUrl } from '../config/public-url';
import { OrderService } from '../flows/orders/order.service';
import { registerOrderRoutes } from '../flows/orders/order.routes';
import { registerCheckoutRoutes } from '../flows/orders/checkout.routes';
import { InitiationService } from '../flows/initiation/initiation.service';
import { registerWebviewRoutes } from '../flows/initiation/webview.routes';
import type { BankGateway } from '../providers/bank/bank-connector';
import { SandboxBank } from '../providers/bank/sandbox-bank';
import { ProviderCalls } from '../providers/provider-call';
import { authenticateRequest, bearer } from './bearer';
import { registerLoginRoutes } from '../users/login.routes';
import { SessionService } from '../users/session.service';
import { UserService } from '../users/user.service';
import { registerPages } from './pages';
import { registerInputGuard } from './input-guard';
import { registerPayerSessions } from './payer-session';

export interface App {
  url: string;
  port: number;
  services: Services;
  http: FastifyInstance;
  close(): Promise<void>;
}

export interface AppOptions {
  /** Called with every SQL statement (tests count them). */
  onQuery?: (sql: string) => void;
  /** Time for services and timed work; tests pass a ManualClock. */
  clock?: Clock;
  /** The banks; the sandbox by default (tests pass one that fails on purpose). */
  bankGateway?: BankGateway;
}


/**
 * Errors leave the API with a stable code and nothing internal: a business error thrown by a query
 * (a bad cursor) becomes BAD_USER_INPUT with its code and field; anything unexpected is masked.
 */
function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (isPaygridError(original)) {
    return { ...formatted, message: original.message, extensions: { code: 'BAD_USER_INPUT', userErrorCode: original.code, field: original.field } };
  }
  // Apollo wraps validation errors and overwrites their code with GRAPHQL_VALIDATION_FAILED: keep
  // the code our own rules gave (QUERY_TOO_DEEP), as graphql-ws clients get it.
  if (formatted.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && original instanceof GraphQLError && typeof original.extensions?.code === 'string') {
    return { ...formatted, extensions: { ...formatted.extensions, code: original.extensions.code } };
  }
  if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') {
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
  return formatted;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const http = Fastify({ logger: { level: config.logLevel }, bodyLimit: 1024 * 1024, trustProxy: config.trustProxy });
  const { orm, applied } = await openDatabase({ databaseUrl: config.databaseUrl, onQuery: options.onQuery });
  if (applied.length) http.log.info({ migrations: applied }, 'database migrated');
  const db = new Database(orm, databaseKind(config.databaseUrl));
  const events = createPaygridPubSub(config.redisUrl, config.redisPrefix, (err, what) => http.log.warn({ err }, `redis ${what} failed`));
  const outbox = new OutboxDispatcher(db, events, http.log);
  db.onCommitted((events) => outbox.dispatch(events));

  const ledger = new LedgerService();
  const clock = options.clock ?? systemClock;
  const tokens = new TokenService(db, clock);
  const users = new UserService(db, clock, {
    maxAttempts: config.loginMaxAttempts,
    windowMs: config.loginWindowMinutes * 60_000,
    hashConcurrency: config.passwordHashConcurrency,
    hashQueue: config.passwordHashQueue,
  });
  const scheduler = new Scheduler(db, clock, http.log, { pollMs: config.schedulerPollMs });
  const publicUrl = new PublicUrl(config.publicUrl);
  const outbound = new OutboundHttp({
    allowLoopback: config.outboundAllowLoopback,
    connectTimeoutMs: config.outboundConnectTimeoutMs,
    timeoutMs: config.outboundTimeoutMs,
    maxResponseBytes: config.outboundMaxResponseKib * 1024,
  });
  const webhooks = new WebhookService(db, scheduler, clock, http.log, outbound, {
    retryBaseMs: config.webhookRetryBaseMs,
    maxAttempts: config.webhookMaxAttempts,
  });
  const services: Services = {
    db,
    clock,
    events: events.subscriber,
    tokens,
    users,
    authorization: new AuthorizationService(db, tokens, users, clock),
    ledger,
    accounts: new AccountService(db, ledger),
    payments: new PaymentService(db),
    accountPayments: new AccountPaymentService(db, ledger),
    orders: new OrderService(db, ledger, webhooks, scheduler, publicUrl, clock),
    initiations: new InitiationService(db, options.bankGateway ?? new SandboxBank(), new ProviderCalls(db, scheduler, clock), webhooks, scheduler, tokens, publicUrl, clock, { expireDays: config.paymentExpireDays }),
    scheduler,
    webhooks,
  };

  const schema = await buildPaygridSchema();
  const wsServer = new WebSocketServer({ server: http.server, path: '/graphql' });
  const wsCleanup = useServer<Record<string, unknown>, { caller?: Caller }>(
    {
      schema,
      validate: (s, document) => validate(s, document, [...specifiedRules, depthLimit(MAX_QUERY_DEPTH)]),
      // The token is checked once at connection_init; each event is checked again as it arrives.
      onConnect: async (ctx) => {
        const token = bearer(ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization);
        const caller = token ? await tokens.authenticate(token) : null;
        if (!caller) return false;
        ctx.extra.caller = caller;
        return true;
      },
      context: (ctx): Context => ({ caller: ctx.extra.caller ?? null, services, loaders: createLoaders(services) }),
    },
    wsServer,
  );
  const drainWebSockets: ApolloServerPlugin<Context> = {
    async serverWillStart() {
      return { drainServer: async () => void (await wsCleanup.dispose()) };
    },
  };

  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    validationRules: [depthLimit(MAX_QUERY_DEPTH)],
    plugins: [fastifyApolloDrainPlugin(http), drainWebSockets],
  });
  await apollo.start();

  // No route ever answers a server error with its message: a driver's message is its SQL.
  http.setErrorHandler((error: { statusCode?: number; code?: string; message?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status < 500) return reply.status(status).send({ error: error.code ?? 'BAD_REQUEST', message: error.message });
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ error: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
  });
  registerInputGuard(http);
  await http.register(formbody);
  await http.register(cookie);
  // The issuer is the public URL, or the address the server ends up listening on (port 0 in tests).
  const getIssuer = () => publicUrl.base();
  registerPayerSessions(http, { sessions: new SessionService(db, clock), users });
  registerPages(http, (pages) => {
    registerLoginRoutes(pages, users);
    registerAuthorizeRoutes(pages, services.authorization, getIssuer);
    registerCheckoutRoutes(pages, services.orders, tokens, services.accounts);
    registerWebviewRoutes(pages, services.initiations);
  });
  registerTokenRoutes(http, { tokens, authorization: services.authorization, issuer: getIssuer });
  registerOrderRoutes(http, services.orders, tokens);
  http.get('/health', async () => ({ status: 'ok' }));
  await http.register(fastifyApollo(apollo), {
    path: '/graphql',
    context: async (request): Promise<Context> => {
      const caller = await authenticateRequest(request, tokens);
      if (caller === false) throw unauthenticated('The bearer token is invalid, expired or revoked.');
      return { caller, services, loaders: createLoaders(services) };
    },
  });

  await http.listen({ port: config.port, host: config.host });
  outbox.start();
  scheduler.start();
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  publicUrl.listeningAt(url);
  return {
    url,
    port,
    services,
    http,
    async close() {
      // Runs under way finish and are recorded first; then HTTP, so that no commit happens after the
      // outbox stopped.
      await scheduler.stop();
      await http.close();
      await outbox.stop();
      await events.close();
      await orm.close(true);
    },
  };
}
