import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { buildSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  OPERATION_SCOPES,
  POLICY,
  can,
  scopesAllow,
  type AccessObject,
  type AccountFacts,
  type ObjectKind,
  type PaymentFacts,
  type Principal,
  type PrincipalKind,
} from '../src/access';
import { MERCHANT_SCOPES, OPERATOR_SCOPES, Scope } from '../src/oauth/scopes';
import { PaymentFlow } from '../src/payments/payment.entity';
import { createPayment, fund, openAccount, step, initiationInstruction } from './support/flows';
import { FormBrowser } from './support/form-browser';
import { consent } from './support/payer-consent';
import { startServer, subscribe, type TestClient, type TestServer } from './support/server';

const REDIRECT = 'http://127.0.0.1:9/shop/callback';
const PASSWORD = 'correct horse battery staple';
const PAYER_SCOPE = 'orders:write orders:recurrent accounts:read payments:read profile';
const CLIENT_SCOPES = [...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN, Scope.ORDERS_RECURRENT];
const ITEMS = [{ name: 'Tea', amount: { value: '1.00', currencyCode: 'EUR' }, count: 1 }];

/** How one face answered: it did the thing (or refused only for the object's state), or it refused access. */
type Outcome = 'allowed' | 'refused';

/** A face that reaches an object: GraphQL over HTTP, REST, a page, or a subscription (run apart). */
interface Face {
  operation: string;
  kind: ObjectKind;
  action: string;
  /** Which objects of the kind it takes (e.g. orders only). */
  applies?: (o: Obj) => boolean;
  /** Principal kinds the face can be used by: token principals unless said. */
  by?: readonly PrincipalKind[];
  /** A face about the caller's own client reaches client A only through A's tokens. */
  ownClientOnly?: boolean;
  run?: (who: Who, o: Obj) => Promise<Outcome>;
  /** Subscriptions: the query and its variables. */
  subscription?: (o: Obj) => { query: string; variables: Record<string, unknown> };
}

interface Obj {
  name: string;
  object: AccessObject;
  id: string;
  /** Orders: the checkout link; initiations: the validation URL of its scoped token. */
  extra?: Record<string, string>;
}

interface Who {
  name: string;
  principal: Principal;
  token?: string;
  browser?: FormBrowser;
}

const REFUSAL_CODES = new Set(['FORBIDDEN', 'NOT_FOUND', 'UNAUTHENTICATED']);

describe('access matrix: every face of every object kind answers as the policy says, for every principal kind', () => {
  let server: TestServer;
  let operator: TestClient;
  let a: TestClient;
  let b: TestClient;
  const objects: Obj[] = [];
  const whos: Who[] = [];
  let u1Tokens: { access: string };
  let u2Tokens: { access: string };
  let u1Browser: FormBrowser;
  let acct: Record<string, AccountFacts> = {};
  const orders: Record<string, string> = {};

  async function gql(token: string, query: string, variables: Record<string, unknown> = {}) {
    const result = await server.gql(token, query, variables);
    for (const e of result.errors ?? []) {
      assert.ok(REFUSAL_CODES.has(String(e.extensions?.code)), `unexpected error ${JSON.stringify(e)} for ${query}`);
    }
    return result;
  }

  /** A read that answers null (or a top-level refusal) when refused. */
  const readFace = (query: string, pick: (d: any) => unknown) => async (who: Who, o: Obj): Promise<Outcome> => {
    const result = await gql(who.token!, query, { id: o.id });
    return result.errors?.length || !pick(result.data) ? 'refused' : 'allowed';
  };

  /** A mutation that answers NOT_FOUND in userErrors (or a top-level refusal) when refused. */
  const mutationFace = (mutation: string, inputType: string, input: (o: Obj) => Record<string, unknown>, fields = 'userErrors { code field }') =>
    async (who: Who, o: Obj): Promise<Outcome> => {
      const result = await gql(who.token!, `mutation($input: ${inputType}!) { ${mutation}(input: $input) { ${fields} } }`, { input: input(o) });
      if (result.errors?.length) return 'refused';
      const errors = result.data[mutation].userErrors as Array<{ code: string }>;
      return errors.some((e) => e.code === 'NOT_FOUND') ? 'refused' : 'allowed';
    };

  const rest = (method: 'GET' | 'POST', path: (o: Obj) => string) => async (who: Who, o: Obj): Promise<Outcome> => {
    const response = await fetch(`${server.url}${path(o)}`, { method, headers: { authorization: `Bearer ${who.token}` } });
    assert.ok([200, 403, 404, 422].includes(response.status), `${method} ${path(o)}: ${response.status}`);
    return response.status === 403 || response.status === 404 ? 'refused' : 'allowed';
  };

  const isFlow = (flow: PaymentFlow) => (o: Obj) => 'payment' in o.object && o.object.payment.flow === flow;
  const key = () => `k-${Math.random().toString(36).slice(2)}`;

  /** The faces of each object kind and action. A schema operation missing here fails the test. */
  const FACES: Face[] = [
    { operation: 'Query.account', kind: 'account', action: 'read', run: readFace(`query($id: ID!) { account(id: $id) { id } }`, (d) => d?.account) },
    {
      operation: 'Query.accounts',
      kind: 'account',
      action: 'read',
      run: async (who, o) => {
        const result = await gql(who.token!, `{ accounts(first: 100) { nodes { id } } }`);
        return result.data?.accounts?.nodes.some((n: any) => n.id === o.id) ? 'allowed' : 'refused';
      },
    },
    {
      operation: 'Subscription.accountBalanceUpdated',
      kind: 'account',
      action: 'read',
      subscription: (o) => ({ query: `subscription($id: ID!) { accountBalanceUpdated(accountId: $id) { accountId } }`, variables: { id: o.id } }),
    },
    {
      operation: 'Subscription.accountPaymentUpdated',
      kind: 'account',
      action: 'read',
      subscription: (o) => ({ query: `subscription($id: ID!) { accountPaymentUpdated(accountId: $id) { paymentId } }`, variables: { id: o.id } }),
    },
    {
      operation: 'Mutation.createAccount',
      kind: 'account',
      action: 'open',
      applies: (o) => o.name === 'account of A',
      run: async (who) => {
        const result = await gql(who.token!, `mutation { createAccount(input: { assetCode: "EUR" }) { account { id } } }`);
        return result.data?.createAccount?.account ? 'allowed' : 'refused';
      },
    },
    {
      operation: 'Mutation.fundAccount',
      kind: 'account',
      action: 'fund',
      run: mutationFace('fundAccount', 'FundAccountInput', (o) => ({ accountId: o.id, amount: '0.01', idempotencyKey: key() })),
    },
    {
      operation: 'Mutation.createAccountPayment',
      kind: 'account',
      action: 'payFrom',
      run: mutationFace('createAccountPayment', 'CreateAccountPaymentInput', (o) => ({ accountId: o.id, sellerId: acct.a2.id, currency: 'EUR', requestId: key() })),
    },
    { operation: 'Query.payment', kind: 'payment', action: 'read', run: readFace(`query($id: ID!) { payment(id: $id) { id } }`, (d) => d?.payment) },
    {
      operation: 'Query.order',
      kind: 'payment',
      action: 'read',
      applies: isFlow(PaymentFlow.ORDER),
      run: readFace(`query($id: ID!) { order(id: $id) { id } }`, (d) => d?.order),
    },
    { operation: 'GET /orders/:id', kind: 'payment', action: 'read', applies: isFlow(PaymentFlow.ORDER), run: rest('GET', (o) => `/orders/${o.id}`) },
    {
      operation: 'Query.initiation',
      kind: 'payment',
      action: 'read',
      applies: isFlow(PaymentFlow.INITIATION),
      run: readFace(`query($id: ID!) { initiation(id: $id) { id } }`, (d) => d?.initiation),
    },
    {
      operation: 'GET /checkout/:id',
      kind: 'payment',
      action: 'read',
      by: ['payerSession'],
      applies: isFlow(PaymentFlow.ORDER),
      run: async (who, o) => {
        const page = await who.browser!.get(`${server.url}/checkout/${o.id}`);
        assert.ok([200, 404].includes(page.status), `checkout ${page.status}`);
        return page.status === 200 ? 'allowed' : 'refused';
      },
    },
    ...(['authorizePayment', 'executePayment', 'cancelPayment'] as const).map(
      (mutation): Face => ({
        operation: `Mutation.${mutation}`,
        kind: 'payment',
        action: 'act',
        applies: isFlow(PaymentFlow.ACCOUNT_PAYMENT),
        run: mutationFace(mutation, 'PaymentStepInput', (o) => ({ paymentId: o.id, idempotencyKey: key() })),
      }),
    ),
    {
      operation: 'Mutation.addPaymentTransaction',
      kind: 'payment',
      action: 'act',
      applies: isFlow(PaymentFlow.ACCOUNT_PAYMENT),
      run: mutationFace('addPaymentTransaction', 'AddPaymentTransactionInput', (o) => ({ paymentId: o.id, amount: '0.01', idempotencyKey: key() })),
    },
    {
      operation: 'Mutation.cancelPaymentTransaction',
      kind: 'payment',
      action: 'act',
      applies: isFlow(PaymentFlow.ACCOUNT_PAYMENT),
      run: mutationFace('cancelPaymentTransaction', 'CancelPaymentTransactionInput', (o) => ({ paymentId: o.id, transactionId: o.extra!.transactionId, idempotencyKey: key() })),
    },
    ...(['captureOrder', 'cancelOrder'] as const).map(
      (mutation): Face => ({
        operation: `Mutation.${mutation}`,
        kind: 'payment',
        action: 'act',
        applies: isFlow(PaymentFlow.ORDER),
        run: mutationFace(mutation, 'OrderStepInput', (o) => ({ orderId: o.id, idempotencyKey: key() })),
      }),
    ),
    ...(['capture', 'cancel'] as const).map(
      (step): Face => ({
        operation: `POST /orders/:id/${step}`,
        kind: 'payment',
        action: 'act',
        applies: isFlow(PaymentFlow.ORDER),
        run: rest('POST', (o) => `/orders/${o.id}/${step}`),
      }),
    ),
    {
      operation: 'Mutation.createInitiationToken',
      kind: 'payment',
      action: 'act',
      applies: isFlow(PaymentFlow.INITIATION),
      run: mutationFace('createInitiationToken', 'CreateInitiationTokenInput', (o) => ({ paymentId: o.id })),
    },
    {
      operation: 'GET /webview/payment',
      kind: 'payment',
      action: 'validate',
      by: ['payment'],
      applies: isFlow(PaymentFlow.INITIATION),
      run: async (_who, o) => {
        // The payer's browser opens the validation URL of the token it holds, pointed at this payment.
        const url = new URL(validationUrl);
        url.searchParams.set('payment_id', o.id);
        const response = await fetch(url, { redirect: 'manual' });
        assert.ok([303, 400].includes(response.status), `webview ${response.status}`);
        return response.status === 303 ? 'allowed' : 'refused';
      },
    },
    {
      operation: 'Query.payment',
      kind: 'paymentEvent',
      action: 'read',
      run: readFace(`query($id: ID!) { payment(id: $id) { events { sequence } } }`, (d) => d?.payment?.events?.length),
    },
    {
      operation: 'Subscription.paymentUpdated',
      kind: 'paymentEvent',
      action: 'read',
      subscription: (o) => ({ query: `subscription($id: ID!) { paymentUpdated(paymentId: $id) { sequence } }`, variables: { id: o.id } }),
    },
    {
      operation: 'Query.transaction',
      kind: 'transaction',
      action: 'read',
      run: readFace(`query($id: ID!) { transaction(id: $id) { id } }`, (d) => d?.transaction),
    },
    {
      operation: 'Query.webhookDelivery',
      kind: 'webhookDelivery',
      action: 'read',
      run: readFace(`query($id: ID!) { webhookDelivery(id: $id) { id } }`, (d) => d?.webhookDelivery),
    },
    {
      operation: 'Query.webhookDeliveries',
      kind: 'webhookDelivery',
      action: 'read',
      run: async (who, o) => {
        const result = await gql(who.token!, `{ webhookDeliveries(first: 100) { nodes { id } } }`);
        return result.data?.webhookDeliveries?.nodes.some((n: any) => n.id === o.id) ? 'allowed' : 'refused';
      },
    },
    {
      operation: 'Mutation.resendWebhookDelivery',
      kind: 'webhookDelivery',
      action: 'resend',
      run: mutationFace('resendWebhookDelivery', 'ResendWebhookDeliveryInput', (o) => ({ deliveryId: o.id })),
    },
    { operation: 'Query.viewer', kind: 'client', action: 'read', ownClientOnly: true, run: readFace(`{ viewer { id } }`, (d) => d?.viewer) },
    {
      operation: 'Query.viewer',
      kind: 'client',
      action: 'readSecret',
      ownClientOnly: true,
      run: readFace(`{ viewer { webhookSecret } }`, (d) => d?.viewer?.webhookSecret),
    },
    {
      operation: 'Mutation.setWebhookUrl',
      kind: 'client',
      action: 'configure',
      ownClientOnly: true,
      run: async (who) => {
        const result = await gql(who.token!, `mutation { setWebhookUrl(url: "http://127.0.0.1:9/hooks") { webhookUrl userErrors { code } } }`);
        return result.data?.setWebhookUrl?.webhookUrl ? 'allowed' : 'refused';
      },
    },
    { operation: 'Query.client', kind: 'client', action: 'manage', run: readFace(`query($id: ID!) { client(id: $id) { id } }`, (d) => d?.client) },
    {
      operation: 'Query.clients',
      kind: 'client',
      action: 'manage',
      run: async (who, o) => {
        const result = await gql(who.token!, `{ clients(first: 100) { nodes { id } } }`);
        return result.data?.clients?.nodes.some((n: any) => n.id === o.id) ? 'allowed' : 'refused';
      },
    },
    { operation: 'Mutation.updateClient', kind: 'client', action: 'manage', run: mutationFace('updateClient', 'UpdateClientInput', (o) => ({ id: o.id, name: 'Shop A' }), 'client { id } userErrors { code field }') },
    {
      operation: 'Mutation.rotateWebhookSecret',
      kind: 'client',
      action: 'manage',
      run: mutationFace('rotateWebhookSecret', 'RotateSecretInput', (o) => ({ id: o.id, overlapSeconds: 86400 }), 'client { id } userErrors { code field }'),
    },
    // A's secret stays valid for the overlap, so rotating it leaves the matrix's tokens and grants working.
    {
      operation: 'Mutation.rotateClientSecret',
      kind: 'client',
      action: 'manage',
      run: mutationFace('rotateClientSecret', 'RotateSecretInput', (o) => ({ id: o.id, overlapSeconds: 86400 }), 'client { id } userErrors { code field }'),
    },
    // Disabling client A would end the matrix's own tokens: its refusals are checked on a client of its own in operations-clients.
    { operation: 'Mutation.disableClient', kind: 'client', action: 'manage' },
    { operation: 'Query.ledgerReport', kind: 'ledger', action: 'read', run: readFace(`{ ledgerReport { assetCode } }`, (d) => d?.ledgerReport) },
  ];

  /**
   * Operations that reach no object of another owner, so no matrix cell: each is gated by its scope
   * (OPERATION_SCOPES) and creates or shows only the token's own.
   */
  const NO_OBJECT: Record<string, string> = {
    'Query.payer': 'the payer the token acts for, nobody else',
    'Mutation.createOrder': 'an order for the payer the token acts for (refused to other tokens, see access-policy tests)',
    'Mutation.createInitiation': 'an initiation of the token’s own client',
    'Mutation.createClient': 'a new client, reaching no existing one (clients:manage, operators only)',
  };

  let validationUrl: string;
  /** `kind.action:principalKind:outcome` of every cell checked. */
  const covered = new Set<string>();
  let cells = 0;

  before(async () => {
    server = await startServer({ config: { schedulerPollMs: 3_600_000 } });
    operator = await server.operator();
    a = await server.client(CLIENT_SCOPES, 'Shop A', { redirectUris: [REDIRECT] });
    b = await server.client(CLIENT_SCOPES, 'Shop B', { redirectUris: [REDIRECT] });
    const accountIds = {
      a: await openAccount(server, a, 'EUR', 'A till'),
      a2: await openAccount(server, a, 'EUR', 'A second'),
      b: await openAccount(server, b, 'EUR', 'B till'),
      b2: await openAccount(server, b, 'EUR', 'B second'),
    };
    const u1 = await server.app.services.users.create({ username: 'ursula', password: PASSWORD, name: 'Ursula' });
    const u2 = await server.app.services.users.create({ username: 'ulrich', password: PASSWORD, name: 'Ulrich' });
    const u1Account = (await server.app.services.accounts.create({ clientId: a.id, userId: u1.id }, { assetCode: 'EUR', name: 'U1' })).id;
    const u2Account = (await server.app.services.accounts.create({ clientId: a.id, userId: u2.id }, { assetCode: 'EUR', name: 'U2' })).id;
    for (const id of [accountIds.a, accountIds.b, u1Account, u2Account]) await fund(server, operator, id, '100.00');
    acct = {
      a: { id: accountIds.a, clientId: a.id, userId: null },
      a2: { id: accountIds.a2, clientId: a.id, userId: null },
      b: { id: accountIds.b, clientId: b.id, userId: null },
      b2: { id: accountIds.b2, clientId: b.id, userId: null },
      u1: { id: u1Account, clientId: null, userId: u1.id },
      u2: { id: u2Account, clientId: null, userId: u2.id },
    };
    u1Browser = new FormBrowser(server.url);
    const u2Browser = new FormBrowser(server.url);
    u1Tokens = await consent(server, u1Browser, a, { redirectUri: REDIRECT, scope: PAYER_SCOPE, username: 'ursula', password: PASSWORD });
    u2Tokens = await consent(server, u2Browser, a, { redirectUri: REDIRECT, scope: PAYER_SCOPE, username: 'ulrich', password: PASSWORD });
    const u2AtB = await consent(server, u2Browser, b, { redirectUri: REDIRECT, scope: PAYER_SCOPE, username: 'ulrich', password: PASSWORD });

    for (const [name, facts] of [
      ['account of A', acct.a],
      ['account of B', acct.b],
      ['account of payer U1', acct.u1],
      ['account of payer U2', acct.u2],
    ] as const) {
      objects.push({ name, id: facts.id, object: { kind: 'account', account: facts } });
    }

    const payment = (id: string, clientId: string, flow: PaymentFlow, payer: AccountFacts | null, beneficiary: AccountFacts | null): PaymentFacts => ({
      id,
      clientId,
      flow,
      accounts: [payer, beneficiary].filter((x): x is AccountFacts => !!x),
      payerAccount: payer,
    });

    // Account payments, completed, each with one transaction.
    for (const [name, client, from, to] of [
      ['payment of A between its accounts', a, acct.a, acct.a2],
      ['payment of B into A’s account', b, acct.b, acct.a],
      ['payment of B between its accounts', b, acct.b, acct.b2],
    ] as const) {
      const created = await createPayment(server, client, { accountId: from.id, sellerId: to.id, requestId: key() });
      const added = await step(server, client, 'addPaymentTransaction', { paymentId: created.payment.id, amount: '1.00', idempotencyKey: key() });
      await step(server, client, 'authorizePayment', { paymentId: created.payment.id });
      await step(server, client, 'executePayment', { paymentId: created.payment.id });
      const facts = payment(created.payment.id, client.id, PaymentFlow.ACCOUNT_PAYMENT, from, to);
      objects.push({ name, id: facts.id, object: { kind: 'payment', payment: facts }, extra: { transactionId: added.transaction.id } });
      objects.push({ name: `transaction of ${name}`, id: added.transaction.id, object: { kind: 'transaction', payment: facts } });
      objects.push({ name: `events of ${name}`, id: facts.id, object: { kind: 'paymentEvent', payment: facts } });
    }

    // Orders (approved at once: recurrent consent), then cancelled by their vendor.
    for (const [name, token, vendor, payer, till] of [
      ['order of A for U1', u1Tokens.access, a, acct.u1, acct.a],
      ['order of A for U2', u2Tokens.access, a, acct.u2, acct.a],
      ['order of B for U2', u2AtB.access, b, acct.u2, acct.b],
    ] as const) {
      const data = await server.ok(token, `mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id status } userErrors { code } } }`, {
        input: { externalId: key(), requestId: key(), items: ITEMS, callbackUrl: 'http://127.0.0.1:9/cb', successUrl: 'http://127.0.0.1:9/ok', errorUrl: 'http://127.0.0.1:9/ko' },
      });
      const id = data.createOrder.order.id;
      orders[name] = id;
      const cancelled = await server.ok(vendor.token, `mutation($input: OrderStepInput!) { cancelOrder(input: $input) { order { status } userErrors { code } } }`, {
        input: { orderId: id, idempotencyKey: key() },
      });
      assert.equal(cancelled.cancelOrder.order.status, 'CANCELLED');
      const facts = payment(id, vendor.id, PaymentFlow.ORDER, payer, till);
      objects.push({ name, id, object: { kind: 'payment', payment: facts } });
      objects.push({ name: `events of ${name}`, id, object: { kind: 'paymentEvent', payment: facts } });
    }

    // Bank initiations: two of A, one of B.
    const initiationInput = () => ({
      clientRedirectUri: REDIRECT,
      clientState: 'x',
      instructions: [
        initiationInstruction({ label: 'Invoice', amount: '5.00' }),
      ],
      payerIdentity: { kind: 'individual', firstName: 'Germaine', lastName: 'Michu', birthDate: '1963-01-01', birthCity: 'Paris', birthCountry: 'FR', nationality: 'French' },
      idempotencyKey: key(),
    });
    const initiations: Record<string, string> = {};
    for (const [name, client] of [
      ['initiation 1 of A', a],
      ['initiation 2 of A', a],
      ['initiation of B', b],
    ] as const) {
      const data = await server.ok(client.token, `mutation($input: CreateInitiationInput!) { createInitiation(input: $input) { initiation { id } userErrors { code field } } }`, {
        input: initiationInput(),
      });
      assert.deepEqual(data.createInitiation.userErrors, []);
      initiations[name] = data.createInitiation.initiation.id;
      const found = (await server.app.services.payments.byIds([initiations[name]]))[0];
      const facts = payment(found.id, client.id, PaymentFlow.INITIATION, null, found.beneficiaryAccountId ? { id: found.beneficiaryAccountId, clientId: null, userId: null } : null);
      objects.push({ name, id: found.id, object: { kind: 'payment', payment: facts } });
    }
    const scoped = await server.ok(a.token, `mutation($input: CreateInitiationTokenInput!) { createInitiationToken(input: $input) { token validationUrl } }`, {
      input: { paymentId: initiations['initiation 1 of A'] },
    });
    validationUrl = scoped.createInitiationToken.validationUrl;

    // Webhook deliveries: the orders' callbacks.
    for (const [name, client] of [
      ['delivery of A', a],
      ['delivery of B', b],
    ] as const) {
      const data = await server.ok(client.token, `{ webhookDeliveries(first: 1) { nodes { id } } }`);
      objects.push({ name, id: data.webhookDeliveries.nodes[0].id, object: { kind: 'webhookDelivery', delivery: { clientId: client.id } } });
    }
    objects.push({ name: 'client A', id: a.id, object: { kind: 'client', client: { id: a.id } } });
    objects.push({ name: 'the ledger', id: '', object: { kind: 'ledger' } });

    const narrow = await server.token(a.id, a.secret, 'accounts:read');
    const adminOnly = await server.token(a.id, a.secret, 'payments:admin');
    const scopesOf = (list: readonly string[]) => new Set(list);
    whos.push(
      { name: 'merchant A (client credentials)', token: a.token, principal: { kind: 'merchant', clientId: a.id, scopes: scopesOf(CLIENT_SCOPES) } },
      { name: 'merchant A, accounts:read only', token: narrow, principal: { kind: 'merchant', clientId: a.id, scopes: scopesOf([Scope.ACCOUNTS_READ]) } },
      { name: 'merchant A, payments:admin only', token: adminOnly, principal: { kind: 'merchant', clientId: a.id, scopes: scopesOf([Scope.PAYMENTS_ADMIN]) } },
      { name: 'operator', token: operator.token, principal: { kind: 'operator', clientId: operator.id, scopes: scopesOf(OPERATOR_SCOPES) } },
      { name: 'A acting for payer U1', token: u1Tokens.access, principal: { kind: 'payer', clientId: a.id, userId: u1.id, scopes: scopesOf(PAYER_SCOPE.split(' ')) } },
      {
        name: 'payment-scoped token of A’s initiation 1',
        token: scoped.createInitiationToken.token,
        principal: { kind: 'payment', clientId: a.id, paymentId: initiations['initiation 1 of A'], scopes: scopesOf([Scope.PAYMENTS_VALIDATE]) },
      },
      { name: 'payer U1’s browser session', browser: u1Browser, principal: { kind: 'payerSession', userId: u1.id } },
    );
  });
  after(() => server.close());

  it('lists every query, mutation and subscription of the schema as a face or as reaching no object, and each has its scopes', () => {
    const schema = buildSchema(readFileSync(join(__dirname, '..', '..', 'schema', 'schema.graphql'), 'utf8'));
    const faced = new Set([...FACES.map((f) => f.operation), ...Object.keys(NO_OBJECT)]);
    for (const type of [schema.getQueryType()!, schema.getMutationType()!, schema.getSubscriptionType()!]) {
      for (const field of Object.keys(type.getFields())) {
        const operation = `${type.name}.${field}`;
        assert.ok(faced.has(operation), `${operation} is in the schema but not in the access matrix's faces`);
        assert.ok(operation in OPERATION_SCOPES, `${operation} has no entry in OPERATION_SCOPES`);
      }
    }
    for (const face of FACES) {
      assert.ok(face.operation in OPERATION_SCOPES || face.by, `${face.operation} has no scopes`);
      assert.ok(face.action in POLICY[face.kind], `${face.operation}: no action ${face.action} on ${face.kind} in the policy`);
    }
  });

  /** The policy's answer for a face, given the scopes the operation needs. */
  function expected(who: Who, face: Face, o: Obj): Outcome {
    const scopes = 'scopes' in who.principal ? who.principal.scopes : new Set<string>();
    const scoped = face.by ? true : scopesAllow(face.operation, scopes);
    // A payment-scoped token reaches only what names payments:validate.
    const bound = who.principal.kind !== 'payment' || face.by !== undefined || OPERATION_SCOPES[face.operation].includes(Scope.PAYMENTS_VALIDATE);
    return scoped && bound && can(who.principal, face.action as never, o.object) ? 'allowed' : 'refused';
  }

  const usable = (who: Who, face: Face) =>
    (face.by ? face.by.includes(who.principal.kind) : who.principal.kind !== 'payerSession') &&
    (!face.ownClientOnly || ('clientId' in who.principal && who.principal.clientId === a.id));

  it('answers every cell (object × principal × face) over GraphQL, REST and pages as the policy says', async () => {
    const mismatches: string[] = [];
    for (const face of FACES.filter((f) => f.run)) {
      for (const o of objects.filter((x) => x.object.kind === face.kind && (!face.applies || face.applies(x)))) {
        for (const who of whos.filter((w) => usable(w, face))) {
          const want = expected(who, face, o);
          const got = await face.run!(who, o);
          cells++;
          covered.add(`${face.kind}.${face.action}:${who.principal.kind}:${want}`);
          if (got !== want) mismatches.push(`${face.operation} on ${o.name} by ${who.name}: expected ${want}, got ${got}`);
        }
      }
    }
    console.log(`access matrix: ${cells} cells over GraphQL, REST and pages`);
    assert.deepEqual(mismatches, []);
    // Policy cells never seen allowed: no token of that kind holds the scope the faces need (e.g. a payer's consent never grants accounts:write).
    const unseen: string[] = [];
    for (const [kind, actions] of Object.entries(POLICY)) {
      for (const [action, cell] of Object.entries(actions)) {
        for (const principalKind of Object.keys(cell)) {
          if (!covered.has(`${kind}.${action}:${principalKind}:allowed`)) unseen.push(`${kind}.${action}:${principalKind}`);
        }
      }
    }
    console.log(`access matrix: policy cells allowed but not reachable with the scopes tokens can hold, or without a face here: ${unseen.join(', ')}`);
  });

  it('answers every subscription cell as the policy says', async () => {
    let subscriptionCells = 0;
    const open: Array<{ label: string; want: Outcome; sub: ReturnType<typeof subscribe> }> = [];
    for (const who of whos.filter((w) => w.token)) {
      const ws = server.ws(who.token!);
      for (const face of FACES.filter((f) => f.subscription)) {
        for (const o of objects.filter((x) => x.object.kind === face.kind)) {
          const { query, variables } = face.subscription!(o);
          const want = expected(who, face, o);
          open.push({ label: `${face.operation} on ${o.name} by ${who.name}`, want, sub: subscribe(ws, query, variables) });
          covered.add(`${face.kind}.${face.action}:${who.principal.kind}:${want}`);
          subscriptionCells++;
        }
      }
    }
    // Refusals arrive as errors; once every expected refusal arrived (and a while after), the others are open.
    for (const s of open.filter((x) => x.want === 'refused')) await s.sub.collector.waitFor((c) => c.errors.length > 0);
    await sleep(500);
    const mismatches = open
      .filter((s) => (s.sub.collector.errors.length > 0 ? 'refused' : 'allowed') !== s.want)
      .map((s) => `${s.label}: expected ${s.want}, got ${JSON.stringify(s.sub.collector.errors)}`);
    for (const s of open) {
      for (const e of s.sub.collector.errors as any[]) {
        const code = e?.extensions?.code ?? e?.[0]?.extensions?.code;
        assert.ok(REFUSAL_CODES.has(String(code)), `${s.label}: ${JSON.stringify(e)}`);
      }
      s.sub.stop();
    }
    cells += subscriptionCells;
    console.log(`access matrix: ${subscriptionCells} subscription cells; ${cells} cells in all`);
    assert.deepEqual(mismatches, []);
  });

  it('reached every object kind of the policy both allowed and refused', () => {
    for (const kind of Object.keys(POLICY)) {
      assert.ok([...covered].some((c) => c.startsWith(`${kind}.`) && c.endsWith(':allowed')), `${kind} never allowed`);
      assert.ok([...covered].some((c) => c.startsWith(`${kind}.`) && c.endsWith(':refused')), `${kind} never refused`);
    }
  });
});
