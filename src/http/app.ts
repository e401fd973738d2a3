import 'reflect-metadata';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { specifiedRules } from 'graphql';
import { WebSocketServer } from 'ws';
import type { Writable } from 'node:stream';
import { AccountService } from '../accounts/account.service';
import type { Config } from '../config/config';
import { OutboxDispatcher } from '../events/outbox';
import { createPaygridPubSub } from '../events/pubsub';
import { AccountPaymentService } from '../flows/account-payments/account-payment.service';
import { createLoaders, unauthenticated, type Context, type Services } from '../graphql/context';
import { serveGraphQLWebSockets } from '../graphql/websocket';
import { MAX_QUERY_TOKENS, buildPaygridSchema, queryLimits } from '../graphql/schema';
import { LedgerService } from '../ledger/ledger.service';
import { AuthorizationService } from '../oauth/authorization.service';
import { registerAuthorizeRoutes } from '../oauth/authorize.routes';
import { registerTokenRoutes } from '../oauth/token.routes';
import { TokenService } from '../oauth/token.service';
import { Database } from '../persistence/database';
import { databaseKind, openDatabase } from '../persistence/orm';
import { PaymentService } from '../payments/payment.service';
import { AuthorizationExpiry } from '../payments/authorization-expiry';
import { RefundService } from '../payments/refunds/refund.service';
import { systemClock, type Clock } from '../shared/clock';
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
import { DEFAULT_PROVIDER_CALL_OPTIONS, ProviderCalls } from '../providers/provider-call';
import { IdentityProviders, type IdentityProvider } from '../providers/identity/identity-provider';
import { SandboxBankId } from '../providers/identity/sandbox-bankid';
import { OneClickService } from '../flows/one-click/one-click.service';
import { oneClickAuthorize, registerOneClickRoutes } from '../flows/one-click/one-click.routes';
import { authenticateRequest, repeatedAuthorization } from './bearer';
import { INTERNAL_MESSAGE, formatGraphQLError, reportUnexpected } from './error-boundary';
import type { Logger } from '../shared/logger';
import { REQUEST_ID_HEADER, bindRequestLog, createPaygridLogger, requestIdOf } from './logging';
import { registerLoginRoutes } from '../users/login.routes';
import { SessionService } from '../users/session.service';
import { UserService } from '../users/user.service';
import { registerPages } from './pages';
import { registerInputGuard } from './input-guard';
import { registerPayerSessions } from './payer-session';
import { createOpenPaymentsAuth, registerOpenPaymentsAuthRoutes, registerOpenPaymentsPages } from '../open-payments/open-payments-auth';
import { createOpenPaymentsResources } from '../open-payments/resources/open-payments-resources';
import { PeerService } from '../open-payments/peering/peer.service';
import { registerPeerRoutes } from '../open-payments/peering/peer.routes';
import { InstanceIdentity } from '../open-payments/peering/instance-identity';
import { PeerClient } from '../open-payments/peering/peer-client';
import { PeerSending } from '../open-payments/peering/peer-sending';
import { ExchangeRates } from '../providers/exchange-rates/exchange-rates';
import { SandboxExchangeRates } from '../providers/exchange-rates/sandbox-exchange-rates';
import { currencyAsset } from '../money/money';
import { registerResourceServerRoutes } from '../open-payments/resources/resource-server.routes';
import { registerHealthRoutes } from '../operations/health.routes';
import { ClientService } from '../oauth/client.service';
import { Metrics, observeRequests, registerMetricsRoute } from '../operations/metrics';
import { Retention } from '../operations/retention';
import { registerExplorerRoutes } from '../operations/explorer.routes';
import { OperationsOverview } from '../operations/dashboard/overview';
import { withPaymentFeed } from '../operations/dashboard/payment-feed';
import { registerDashboardRoutes } from '../operations/dashboard/dashboard.routes';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';

export interface App {
  url: string;
  port: number;
  services: Services;
  http: FastifyInstance;
  /** The process's logger (Fastify's request lines are children of it). */
  log: Logger;
  outbox: OutboxDispatcher;
  close(): Promise<void>;
}

export interface AppOptions {
  /** Called with every SQL statement (tests count them). */
  onQuery?: (sql: string) => void;
  /** Time for services and timed work; tests pass a ManualClock. */
  clock?: Clock;
  /** The banks; the sandbox by default (tests pass one that fails on purpose). */
  bankGateway?: BankGateway;
  /** Where the log goes (stdout by default); tests read it to check what it never holds. */
  logStream?: Writable;
  /** The identity providers, given the sandbox BankID (whose pages are served either way); the sandbox alone by default. */
  identityProviders?: (sandbox: SandboxBankId) => IdentityProvider[];
}

/** Largest WebSocket message, as for HTTP bodies. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;


export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const headersTimeout = Math.min(config.headersTimeoutMs, config.requestTimeoutMs);
  const log = createPaygridLogger(config.logLevel, options.logStream);
  const http = Fastify({
    // Typed as Fastify's base logger: the routes' types are written against it.
    loggerInstance: log as FastifyBaseLogger,
    genReqId: requestIdOf,
    bodyLimit: MAX_MESSAGE_BYTES,
    trustProxy: config.trustProxy,
    // A body sent a byte at a time is cut off; Node checks open requests every interval.
    requestTimeout: config.requestTimeoutMs,
    http: { headersTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) },
  });
  const { orm, applied } = await openDatabase({ databaseUrl: config.databaseUrl, onQuery: options.onQuery, migrate: config.migrateOnStart });
  if (applied.length) log.info({ migrations: applied }, 'database migrated');
  const db = new Database(orm, databaseKind(config.databaseUrl));
  const events = createPaygridPubSub(config.redisUrl, config.redisPrefix, (err, what) => log.warn({ err }, `redis ${what} failed`));
  const outbox = new OutboxDispatcher(db, withPaymentFeed(events), log.child({ component: 'outbox' }));
  db.onCommitted((events) => outbox.dispatch(events));

  const ledger = new LedgerService();
  const clock = options.clock ?? systemClock;
  const tokens = new TokenService(db, clock, {
    cacheMs: config.tokenCacheMs,
    revocations: events.revocations,
    onError: (err, what) => log.child({ component: 'tokens' }).warn({ err }, `${what} failed`),
  });
  const users = new UserService(db, clock, {
    maxAttempts: config.loginMaxAttempts,
    windowMs: config.loginWindowMinutes * 60_000,
    hashConcurrency: config.passwordHashConcurrency,
    hashQueue: config.passwordHashQueue,
  });
  const scheduler = new Scheduler(db, clock, log.child({ component: 'scheduler' }), { pollMs: config.schedulerPollMs });
  const publicUrl = new PublicUrl(config.publicUrl);
  const outbound = new OutboundHttp({
    allowLoopback: config.outboundAllowLoopback,
    connectTimeoutMs: config.outboundConnectTimeoutMs,
    timeoutMs: config.outboundTimeoutMs,
    maxResponseBytes: config.outboundMaxResponseKib * 1024,
  });
  const webhooks = new WebhookService(db, scheduler, clock, log.child({ component: 'webhooks' }), outbound, {
    retryBaseMs: config.webhookRetryBaseMs,
    maxAttempts: config.webhookMaxAttempts,
  });
  const refunds = new RefundService(db, ledger, clock);
  const expiry = new AuthorizationExpiry(db, clock, scheduler, config.authorizationSweepSeconds * 1000);
  const authorization = new AuthorizationService(db, tokens, users, clock);
  const providerCallLeaseMs = config.providerCallLeaseSeconds * 1000;
  const providerCalls = new ProviderCalls(db, scheduler, clock, { leaseMs: providerCallLeaseMs, timeoutMs: Math.min(DEFAULT_PROVIDER_CALL_OPTIONS.timeoutMs, providerCallLeaseMs / 2), waitMs: DEFAULT_PROVIDER_CALL_OPTIONS.waitMs });
  const sandboxBankId = new SandboxBankId(() => publicUrl.base(), clock);
  const identityProviders = new IdentityProviders(options.identityProviders?.(sandboxBankId) ?? [sandboxBankId]);
  const openPaymentsAuth = createOpenPaymentsAuth(db, clock, scheduler, publicUrl, config);
  const exchangeRates = new ExchangeRates(new SandboxExchangeRates(db, clock, config.exchangeRates), clock, config.exchangeRateMaxAgeSeconds * 1000);
  const openPaymentsResources = createOpenPaymentsResources({ db, ledger, webhooks, scheduler, clock, publicUrl, walletAddresses: openPaymentsAuth.walletAddresses, exchangeRates }, config);
  const instanceIdentity = new InstanceIdentity(db, () => publicUrl.base(), clock);
  const peerClient = new PeerClient(outbound, instanceIdentity, clock);
  const services: Services = {
    db,
    clock,
    events: events.subscriber,
    tokens,
    users,
    authorization,
    ledger,
    accounts: new AccountService(db, ledger),
    payments: new PaymentService(db),
    accountPayments: new AccountPaymentService(db, ledger, clock, { authorizationMs: config.accountPaymentAuthorizationMinutes * 60_000 }, refunds, expiry),
    orders: new OrderService(db, ledger, webhooks, scheduler, publicUrl, clock, { authorizationMs: config.orderAuthorizationMinutes * 60_000 }, refunds, expiry),
    refunds,
    initiations: new InitiationService(db, options.bankGateway ?? new SandboxBank(), providerCalls, webhooks, scheduler, tokens, publicUrl, clock, { expireDays: config.paymentExpireDays }),
    oneClick: new OneClickService(db, ledger, identityProviders, providerCalls, scheduler, outbound, authorization, publicUrl, clock, { kycRetentionDays: config.kycRetentionDays, sessionMinutes: config.depositSessionMinutes }),
    scheduler,
    webhooks,
    ...openPaymentsAuth,
    ...openPaymentsResources,
    clients: new ClientService(db, tokens, webhooks, clock),
    peers: new PeerService(db, ledger, openPaymentsResources.incomingPayments, clock, peerClient),
    overview: new OperationsOverview(db, clock),
    exchangeRates,
  };

  services.quotes.useRemoteReceivers(services.peers);
  services.outgoingPayments.useRemoteSending(new PeerSending(db, providerCalls, peerClient, services.outgoingPayments, services.resourceUrls, scheduler, clock, providerCallLeaseMs));

  const schema = await buildPaygridSchema();
  const rules = [...specifiedRules, ...queryLimits()];
  const report = (where: string) => (error: unknown) => reportUnexpected(http.log, error, where);
  const wsServer = new WebSocketServer({ server: http.server, path: '/graphql', maxPayload: MAX_MESSAGE_BYTES });
  const wsCleanup = serveGraphQLWebSockets(wsServer, { schema, rules, services, clock, report: report('GraphQL WebSocket operation') });
  const drainWebSockets: ApolloServerPlugin<Context> = {
    async serverWillStart() {
      return { drainServer: async () => void (await wsCleanup.dispose()) };
    },
  };

  // The Fastify request of each GraphQL context (keyed by its loaders: Apollo hands plugins a shallow
  // copy of the context), so that the operation's name joins its log lines.
  const graphqlRequests = new WeakMap<object, { request: FastifyRequest; reply: FastifyReply }>();
  const operationLog: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operationName, operation }) {
          const http = graphqlRequests.get(contextValue.loaders);
          if (http) bindRequestLog(http.request, http.reply, { operationName: operationName ?? null, operationType: operation?.operation ?? null });
        },
      };
    },
  };

  const retention = new Retention(db, scheduler, clock, log.child({ component: 'retention' }), {
    retentionDays: config.retentionDays,
    idempotencyDays: config.idempotencyRetentionDays,
    intervalMs: config.retentionIntervalMinutes * 60_000,
  });
  const metrics = new Metrics({ db, ledger, clock, overview: services.overview, openSockets: () => wsServer.clients.size });

  const apollo = new ApolloServer<Context>({
    schema,
    formatError: (formatted, error) => formatGraphQLError(formatted, error, report('GraphQL request')),
    includeStacktraceInErrorResponses: false,
    validationRules: queryLimits(),
    parseOptions: { maxTokens: MAX_QUERY_TOKENS },
    // Automatic persisted queries are not offered: a hash alone answers PERSISTED_QUERY_NOT_SUPPORTED.
    persistedQueries: false,
    introspection: config.introspection,
    // Apollo's own landing page loads its explorer from the internet; Paygrid serves GraphiQL itself (GRAPHQL_EXPLORER).
    plugins: [ApolloServerPluginLandingPageDisabled(), fastifyApolloDrainPlugin(http), drainWebSockets, operationLog, metrics.apolloPlugin() as ApolloServerPlugin<Context>],
  });
  await apollo.start();

  // No route ever answers a server error with its message: a driver's message is its SQL.
  http.setErrorHandler((error: { statusCode?: number; code?: string; message?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status < 500) return reply.status(status).send({ error: error.code ?? 'BAD_REQUEST', message: error.message });
    const reference = reportUnexpected(request.log, error, 'request');
    return reply.status(500).send({ error: 'INTERNAL_SERVER_ERROR', message: INTERNAL_MESSAGE, reference });
  });
  // Node keeps only the first of two Authorization headers: a request carrying two is refused,
  // whichever is valid, on every route.
  http.addHook('onRequest', async (request, reply) => {
    if (!repeatedAuthorization(request)) return;
    const message = 'Send one Authorization header, not several.';
    const path = request.url.split('?')[0];
    if (path.startsWith('/oauth/')) return reply.status(400).header('Cache-Control', 'no-store').send({ error: 'invalid_request', error_description: message });
    if (path === '/graphql') return reply.status(400).send({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    return reply.status(400).send({ error: 'BAD_REQUEST', message });
  });
  http.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  registerInputGuard(http);
  await http.register(formbody);
  await http.register(cookie);
  // The issuer is the public URL, or the address the server ends up listening on (port 0 in tests).
  const getIssuer = () => publicUrl.base();
  registerPayerSessions(http, { sessions: new SessionService(db, clock), users });
  registerPages(http, (pages) => {
    registerLoginRoutes(pages, users);
    registerAuthorizeRoutes(pages, services.authorization, getIssuer, oneClickAuthorize(services.oneClick, services.authorization, getIssuer));
    registerOneClickRoutes(pages, services.oneClick, getIssuer);
    sandboxBankId.registerPages(pages);
    registerCheckoutRoutes(pages, services.orders, tokens, services.accounts);
    registerWebviewRoutes(pages, services.initiations);
    registerOpenPaymentsPages(pages, openPaymentsAuth);
    registerDashboardRoutes(pages, { tokens, authorization: services.authorization });
  });
  await registerOpenPaymentsAuthRoutes(http, openPaymentsAuth, publicUrl);
  await registerResourceServerRoutes(http, services);
  await registerPeerRoutes(http, services.peers, services.signatures, {
    identity: instanceIdentity,
    publicName: config.peerInstanceName,
    ...currencyAsset(config.peerInstanceAsset, 'PEER_INSTANCE_ASSET'),
    authServer: () => publicUrl.to('/gnap'),
    resourceServer: () => publicUrl.to('/op'),
  });
  registerTokenRoutes(http, {
    tokens,
    authorization: services.authorization,
    issuer: getIssuer,
    oneClick: { grantClaims: (familyId) => services.oneClick.claimsOf(familyId), checkToken: (client, token) => services.oneClick.checkToken(client, token) },
  });
  registerOrderRoutes(http, services.orders, tokens);
  if (config.explorer) registerExplorerRoutes(http);
  registerHealthRoutes(http, { orm, redis: config.redisUrl ? events : undefined, scheduler });
  observeRequests(http, metrics);
  if (config.metricsToken) registerMetricsRoute(http, metrics, config.metricsToken);
  let metricsHttp: FastifyInstance | null = null;
  if (config.metricsPort !== undefined) {
    metricsHttp = Fastify({ logger: false });
    registerMetricsRoute(metricsHttp, metrics, config.metricsToken);
    await metricsHttp.listen({ port: config.metricsPort, host: config.metricsHost });
  }
  await http.register(fastifyApollo(apollo), {
    path: '/graphql',
    context: async (request, reply): Promise<Context> => {
      const caller = await authenticateRequest(request, tokens);
      if (caller === false) throw unauthenticated('The bearer token is invalid, expired or revoked.');
      if (caller) bindRequestLog(request, reply, { clientId: caller.clientId });
      const context: Context = { caller, services, loaders: createLoaders(services) };
      graphqlRequests.set(context.loaders, { request, reply });
      return context;
    },
  });

  await http.listen({ port: config.port, host: config.host });
  outbox.start();
  // Without migrations applied there is no job table yet: readiness reports it, and the next start schedules.
  if (config.migrateOnStart && config.retention) await retention.scheduleNext();
  scheduler.start();
  tokens.start();
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  publicUrl.listeningAt(url);
  return {
    url,
    port,
    services,
    http,
    log,
    outbox,
    async close() {
      // Runs under way finish and are recorded first; then HTTP, so that no commit happens after the
      // outbox stopped.
      await scheduler.stop();
      tokens.stop();
      await http.close();
      await metricsHttp?.close();
      await outbox.stop();
      await events.close();
      await orm.close(true);
    },
  };
}
