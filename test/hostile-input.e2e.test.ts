import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import type { Client as WsClient } from 'graphql-ws';
import { buildPaygridSchema } from '../src/graphql/schema';
import { MERCHANT_SCOPES, Scope } from '../src/oauth/scopes';
import { rowCounts } from './support/database-shape';
import { createPayment, fund, openAccount, step, initiationInstruction } from './support/flows';
import { FormBrowser } from './support/form-browser';
import { consent } from './support/payer-consent';
import { startServer, usingPostgres, type TestServer } from './support/server';

/**
 * Generated from the server's schema: every String and ID argument and input field (nested too) of every
 * query, mutation and subscription, fed control characters, unpaired surrogates, over-long and
 * empty values, and every amount fed malformed numbers, from a valid baseline per operation. No
 * answer may be a server error; each refusal carries a stable code and a field; refusals write
 * nothing. Over HTTP and over the WebSocket.
 */

const REDIRECT = 'http://127.0.0.1:9/vendor/oauth-callback';
const PASSWORD = 'correct horse battery staple';

type Who = 'merchant' | 'operator' | 'payer';
interface Fixture {
  who: Who;
  /** A valid request: what each hostile value is put into. */
  args: () => Record<string, unknown>;
}

/** Column widths of the inputs stored in a column of their own (`Type.field` → characters). */
const COLUMN_MAX: Record<string, number> = {
  'CreateAccountInput.name': 200,
  'CreateAccountPaymentInput.requestId': 40,
  'CreateAccountPaymentInput.reference': 140,
  'AddPaymentTransactionInput.reference': 140,
  'RefundPaymentInput.reference': 140,
  'FundAccountInput.reference': 200,
  'CreateOrderInput.requestId': 40,
  'CreateOrderInput.externalId': 255,
  'CreateOrderInput.callbackUrl': 2048,
  'CreateOrderInput.successUrl': 2048,
  'CreateOrderInput.errorUrl': 2048,
  'CreateInitiationInput.clientRedirectUri': 2048,
  'Mutation.setWebhookUrl.url': 2048,
  'OneClickOperatorInput.baseUrl': 2048,
  'OneClickOperatorInput.pathPrefix': 100,
  idempotencyKey: 255,
  id: 40,
  accountId: 40,
  paymentId: 40,
  transactionId: 40,
  orderId: 40,
  deliveryId: 40,
  sellerId: 40,
  beneficiaryAccountId: 40,
  'CreateWalletAddressInput.slug': 64,
  'CreateWalletAddressInput.publicName': 200,
  'JwkInput.kid': 200,
  'RevokeWalletAddressKeyInput.kid': 200,
  walletAddressId: 40,
  grantId: 40,
};

const TEXT_VALUES: Array<[string, (max: number | undefined) => string | null]> = [
  ['NUL', () => 'a\u0000b'],
  ['U+0001', () => '\u0001'],
  ['DEL', () => 'x\u007f'],
  ['lone high surrogate', () => 'x\ud800'],
  ['lone low surrogate', () => '\udfffx'],
  ['column max + 1', (max) => (max ? '1'.padEnd(max + 1, 'x') : null)],
  ['100 000 characters', () => 'x'.repeat(100_000)],
];
const AMOUNT_VALUES = ['0', '-1', '-0', '+1', ' 1.00', '1.00 ', '1.', '.5', '00001.00', '1e3', '1,00', '１', '1.001', 'NaN', 'Infinity', '9223372036854775808', '18446744073709551616', '92233720368547758.08'];

interface Attempt {
  operation: string;
  kind: 'query' | 'mutation' | 'subscription';
  who: Who;
  document: string;
  variables: Record<string, unknown>;
  /** What was put where, for messages. */
  label: string;
  /** An empty value may be accepted (blank counts as absent); everything else must be refused. */
  mayBeAccepted: boolean;
}

interface Outcome {
  status: number;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
  data?: Record<string, any> | null;
}

/** A value at `path` inside `root`, creating objects and first list items on the way. */
function withValue(root: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(root);
  let at: any = copy;
  for (const [i, key] of path.slice(0, -1).entries()) {
    const next = path[i + 1];
    if (at[key] == null) at[key] = /^\d+$/.test(next) ? [{}] : {};
    at = at[key];
  }
  at[path.at(-1)!] = value;
  return copy;
}

/** Every String/ID leaf under an input type, as [path, owner `Type.field`, is it an amount]. */
function leaves(type: GraphQLInputType, path: string[], owner: string, seen: Set<string> = new Set()): Array<[string[], string, boolean]> {
  if (isNonNullType(type)) return leaves(type.ofType, path, owner, seen);
  if (isListType(type)) return leaves(type.ofType, [...path, '0'], owner, seen);
  if (isInputObjectType(type)) {
    if (seen.has(type.name) && path.length > 6) return [];
    return Object.values(type.getFields()).flatMap((f) => leaves(f.type, [...path, f.name], `${type.name}.${f.name}`, new Set([...seen, type.name])));
  }
  if (type.name === 'String' || type.name === 'ID') {
    const amount = path.at(-1) === 'amount' || owner === 'OrderAmountInput.value';
    return [[path, owner, amount]];
  }
  return [];
}

function selection(field: GraphQLField<unknown, unknown>): string {
  const type = getNamedType(field.type);
  if (!isObjectType(type)) return '';
  return 'userErrors' in type.getFields() ? '{ __typename userErrors { code field message } }' : '{ __typename }';
}

describe(`hostile input on every argument (${usingPostgres ? 'postgresql' : 'sqlite'})`, () => {
  let server: TestServer;
  let schema: GraphQLSchema;
  const tokens = {} as Record<Who, string>;
  const ids = {} as Record<'buyer' | 'seller' | 'payment' | 'transaction' | 'order' | 'initiation' | 'deposit' | 'walletAddress' | 'client', string>;
  /** Open Payments: wallet address URLs, the incoming payment paid, one to complete, a quote and a payment. */
  const op = {} as Record<'seller' | 'buyer' | 'receiver' | 'receiverId' | 'toCompleteId' | 'quoteId' | 'outgoingPaymentId', string>;
  let ws: Record<Who, WsClient>;
  let n = 0;
  const fresh = (prefix: string) => `${prefix}-${++n}`;

  const FIXTURES: Record<string, Fixture> = {
    // queries
    account: { who: 'merchant', args: () => ({ id: ids.buyer }) },
    accounts: { who: 'merchant', args: () => ({ first: 5 }) },
    initiation: { who: 'merchant', args: () => ({ id: ids.initiation }) },
    deposit: { who: 'merchant', args: () => ({ id: ids.deposit }) },
    kycProfile: { who: 'merchant', args: () => ({ id: 'kyc_none' }) },
    ledgerReport: { who: 'operator', args: () => ({}) },
    operationsOverview: { who: 'operator', args: () => ({}) },
    peers: { who: 'operator', args: () => ({}) },
    exchangeRates: { who: 'operator', args: () => ({}) },
    peerPositions: { who: 'operator', args: () => ({}) },
    order: { who: 'merchant', args: () => ({ id: ids.order }) },
    payer: { who: 'payer', args: () => ({}) },
    payment: { who: 'merchant', args: () => ({ id: ids.payment }) },
    transaction: { who: 'merchant', args: () => ({ id: ids.transaction }) },
    viewer: { who: 'merchant', args: () => ({}) },
    payments: { who: 'merchant', args: () => ({ first: 5, filter: { flow: 'ACCOUNT_PAYMENT', accountId: ids.buyer } }) },
    orders: { who: 'merchant', args: () => ({ first: 5, filter: { status: 'APPROVED', accountId: ids.buyer } }) },
    initiations: { who: 'merchant', args: () => ({ first: 5, filter: { state: 'CREATED' } }) },
    client: { who: 'operator', args: () => ({ id: ids.client }) },
    clients: { who: 'operator', args: () => ({ first: 5 }) },
    webhookDeliveries: { who: 'merchant', args: () => ({ first: 5, paymentId: ids.initiation }) },
    webhookDelivery: { who: 'merchant', args: () => ({ id: 'whd_none' }) },
    // mutations
    createAccount: { who: 'merchant', args: () => ({ input: { assetCode: 'EUR', name: 'till' } }) },
    createAccountPayment: { who: 'merchant', args: () => ({ input: { accountId: ids.buyer, sellerId: ids.seller, currency: 'EUR', requestId: fresh('req'), reference: 'ref' } }) },
    addPaymentTransaction: { who: 'merchant', args: () => ({ input: { paymentId: ids.payment, amount: '1.00', reference: 'ref', idempotencyKey: fresh('add') } }) },
    cancelPaymentTransaction: { who: 'merchant', args: () => ({ input: { paymentId: ids.payment, transactionId: ids.transaction, idempotencyKey: fresh('ctx') } }) },
    authorizePayment: { who: 'merchant', args: () => ({ input: { paymentId: ids.payment, idempotencyKey: fresh('auth') } }) },
    executePayment: { who: 'merchant', args: () => ({ input: { paymentId: ids.payment, idempotencyKey: fresh('exec') } }) },
    cancelPayment: { who: 'merchant', args: () => ({ input: { paymentId: ids.payment, idempotencyKey: fresh('cancel') } }) },
    createClient: { who: 'operator', args: () => ({ input: { name: fresh('client'), scopes: ['accounts:read'], redirectUris: ['https://shop.example/cb'], webhookUrl: 'https://shop.example/hooks' } }) },
    updateClient: { who: 'operator', args: () => ({ input: { id: ids.client, name: 'Managed shop', scopes: ['accounts:read'], redirectUris: ['https://shop.example/cb'], webhookUrl: 'https://shop.example/hooks' } }) },
    disableClient: { who: 'operator', args: () => ({ input: { id: ids.client } }) },
    rotateClientSecret: { who: 'operator', args: () => ({ input: { id: ids.client, overlapSeconds: 60 } }) },
    rotateWebhookSecret: { who: 'operator', args: () => ({ input: { id: ids.client, overlapSeconds: 60 } }) },
    createPeer: {
      who: 'operator',
      args: () => ({
        input: { name: 'Hostile peer', opOrigin: `http://127.0.0.1:${40000 + ++n}`, assetCode: 'EUR', creditLimit: '10.00', walletAddress: 'http://127.0.0.1:9/.well-known/pay', keys: [{ kid: fresh('peer-key'), kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] },
      }),
    },
    setExchangeRate: { who: 'operator', args: () => ({ input: { from: 'EUR', to: 'USD', rate: '1.0843', idempotencyKey: fresh('rate') } }) },
    recordPeerSettlement: { who: 'operator', args: () => ({ input: { peerId: 'peer_none', amount: '1.00', direction: 'RECEIVED', idempotencyKey: fresh('settle') } }) },
    fundAccount: { who: 'operator', args: () => ({ input: { accountId: ids.buyer, amount: '1.00', reference: 'deposit', idempotencyKey: fresh('fund') } }) },
    createOrder: {
      who: 'payer',
      args: () => ({
        input: {
          externalId: fresh('ext'),
          requestId: fresh('ord'),
          items: [{ name: 'Beans', description: 'washed', amount: { value: '1.00', currencyCode: 'EUR' }, count: 1 }],
          callbackUrl: 'http://127.0.0.1:9/c',
          successUrl: 'http://127.0.0.1:9/s',
          errorUrl: 'http://127.0.0.1:9/e',
        },
      }),
    },
    captureOrder: { who: 'merchant', args: () => ({ input: { orderId: ids.order, idempotencyKey: fresh('capture') } }) },
    cancelOrder: { who: 'merchant', args: () => ({ input: { orderId: ids.order, idempotencyKey: fresh('cancel-order') } }) },
    refundPayment: { who: 'merchant', args: () => ({ input: { paymentId: ids.payment, amount: '1.00', reference: 'ref', idempotencyKey: fresh('refund') } }) },
    cancelInitiation: { who: 'merchant', args: () => ({ input: { paymentId: ids.initiation } }) },
    createInitiation: {
      who: 'merchant',
      args: () => ({
        input: {
          clientRedirectUri: 'http://127.0.0.1:9/shop/powens-callback',
          clientState: 'cart-42',
          instructions: [
            initiationInstruction(),
          ],
          payerIdentity: { kind: 'individual', firstName: 'Germaine', lastName: 'Michu', birthDate: '1963-01-01' },
          idempotencyKey: fresh('ini'),
        },
      }),
    },
    createInitiationToken: { who: 'merchant', args: () => ({ input: { paymentId: ids.initiation } }) },
    resendWebhookDelivery: { who: 'merchant', args: () => ({ input: { deliveryId: 'whd_none' } }) },
    setWebhookUrl: { who: 'merchant', args: () => ({ url: 'http://127.0.0.1:9/hooks' }) },
    startDeposit: {
      who: 'merchant',
      args: () => ({
        input: { identityProvider: 'sandbox-bankid', amount: '10.00', currency: 'EUR', redirectUri: REDIRECT, state: 's', country: 'SE', locale: 'sv_SE', ssn: 'SE199110284479', enduserId: 'p-1', idempotencyKey: fresh('dep') },
      }),
    },
    cancelDeposit: { who: 'merchant', args: () => ({ input: { paymentId: ids.deposit } }) },
    setOneClickOperator: { who: 'merchant', args: () => ({ input: { baseUrl: 'http://127.0.0.1:9', pathPrefix: '/api' } }) },
    // Open Payments: wallet addresses and grants
    walletAddress: { who: 'merchant', args: () => ({ id: ids.walletAddress }) },
    walletAddresses: { who: 'merchant', args: () => ({ first: 5 }) },
    grant: { who: 'merchant', args: () => ({ id: 'grant_none' }) },
    grants: { who: 'merchant', args: () => ({ first: 5 }) },
    createWalletAddress: { who: 'merchant', args: () => ({ input: { accountId: ids.buyer, slug: fresh('wa'), publicName: 'Hostile shop' } }) },
    addWalletAddressKey: {
      who: 'merchant',
      args: () => ({ input: { walletAddressId: ids.walletAddress, jwk: { kid: fresh('key'), kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' } } }),
    },
    revokeWalletAddressKey: { who: 'merchant', args: () => ({ input: { walletAddressId: ids.walletAddress, kid: 'base-key' } }) },
    revokeGrant: { who: 'merchant', args: () => ({ input: { grantId: 'grant_none' } }) },
    // Open Payments resources: the buyer's wallet address pays an open incoming payment of the seller's
    incomingPayment: { who: 'merchant', args: () => ({ id: op.receiverId }) },
    incomingPayments: { who: 'merchant', args: () => ({ walletAddress: op.seller, first: 5 }) },
    quote: { who: 'merchant', args: () => ({ id: op.quoteId }) },
    outgoingPayment: { who: 'merchant', args: () => ({ id: op.outgoingPaymentId }) },
    outgoingPayments: { who: 'merchant', args: () => ({ walletAddress: op.buyer, first: 5 }) },
    createIncomingPayment: { who: 'merchant', args: () => ({ input: { walletAddress: op.seller, incomingAmount: '5.00', idempotencyKey: fresh('ip') } }) },
    completeIncomingPayment: { who: 'merchant', args: () => ({ input: { id: op.toCompleteId, idempotencyKey: fresh('done') } }) },
    createQuote: { who: 'merchant', args: () => ({ input: { walletAddress: op.buyer, receiver: op.receiver, debitAmount: '0.01', idempotencyKey: fresh('quo') } }) },
    createOutgoingPayment: {
      who: 'merchant',
      args: () => ({ input: { walletAddress: op.buyer, incomingPayment: op.receiver, debitAmount: '0.01', idempotencyKey: fresh('pay') } }),
    },
    // subscriptions (WebSocket only)
    accountBalanceUpdated: { who: 'merchant', args: () => ({ accountId: ids.buyer }) },
    accountPaymentUpdated: { who: 'merchant', args: () => ({ accountId: ids.buyer }) },
    paymentUpdated: { who: 'merchant', args: () => ({ paymentId: ids.payment }) },
    paymentFeed: { who: 'operator', args: () => ({}) },
  };

  before(async () => {
    server = await startServer({ config: { schedulerPollMs: 3_600_000 } });
    const merchant = await server.client([...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN, Scope.ORDERS_RECURRENT], 'Hostile shop', { redirectUris: [REDIRECT], verified: true });
    const operator = await server.operator();
    ids.client = (await server.client(['accounts:read'], 'Managed shop')).id;
    ids.buyer = await openAccount(server, merchant);
    ids.seller = await openAccount(server, merchant);
    await fund(server, operator, ids.buyer, '1000.00');
    const { payment } = await createPayment(server, merchant, { accountId: ids.buyer, sellerId: ids.seller, requestId: 'hostile-base' });
    ids.payment = payment.id;
    ids.transaction = (await step(server, merchant, 'addPaymentTransaction', { paymentId: payment.id, amount: '1.00' })).transaction.id;

    const user = await server.app.services.users.create({ username: 'bob', password: PASSWORD, name: 'Bob Payer' });
    const wallet = (await server.app.services.accounts.create({ clientId: merchant.id, userId: user.id }, { assetCode: 'EUR', name: 'Bob wallet' })).id;
    await fund(server, operator, wallet, '1000.00');
    const payer = await consent(server, new FormBrowser(server.url), merchant, { redirectUri: REDIRECT, scope: 'orders:write orders:recurrent profile', username: 'bob', password: PASSWORD });
    tokens.merchant = merchant.token;
    tokens.operator = operator.token;
    tokens.payer = payer.access;
    const order = await server.ok(payer.access, `mutation($input: CreateOrderInput!) { createOrder(input: $input) { order { id status } userErrors { code } } }`, FIXTURES.createOrder.args());
    ids.order = order.createOrder.order.id;
    const initiation = await server.ok(merchant.token, `mutation($input: CreateInitiationInput!) { createInitiation(input: $input) { initiation { id } userErrors { code } } }`, FIXTURES.createInitiation.args());
    ids.initiation = initiation.createInitiation.initiation.id;
    await server.ok(merchant.token, `mutation($input: OneClickOperatorInput!) { setOneClickOperator(input: $input) { userErrors { code } } }`, FIXTURES.setOneClickOperator.args());
    const started = await server.ok(merchant.token, `mutation($input: StartDepositInput!) { startDeposit(input: $input) { deposit { id } userErrors { code field } } }`, FIXTURES.startDeposit.args());
    ids.deposit = started.startDeposit.deposit.id;
    const wa = await server.ok(merchant.token, `mutation($input: CreateWalletAddressInput!) { createWalletAddress(input: $input) { walletAddress { id } userErrors { code } } }`, {
      input: { accountId: ids.seller, slug: 'hostile-seller', publicName: 'Hostile seller' },
    });
    ids.walletAddress = wa.createWalletAddress.walletAddress.id;
    const buyerWa = await server.ok(merchant.token, `mutation($input: CreateWalletAddressInput!) { createWalletAddress(input: $input) { walletAddress { url } userErrors { code } } }`, {
      input: { accountId: ids.buyer, slug: 'hostile-buyer', publicName: 'Hostile buyer' },
    });
    op.buyer = buyerWa.createWalletAddress.walletAddress.url;
    op.seller = `${server.url}/wallet/hostile-seller`;
    const incoming = async () =>
      (
        await server.ok(merchant.token, `mutation($input: CreateIncomingPaymentInput!) { createIncomingPayment(input: $input) { incomingPayment { id url } userErrors { code } } }`, {
          input: { walletAddress: op.seller, idempotencyKey: fresh('ip') },
        })
      ).createIncomingPayment.incomingPayment;
    const receiver = await incoming();
    [op.receiver, op.receiverId, op.toCompleteId] = [receiver.url, receiver.id, (await incoming()).id];
    const quoted = await server.ok(merchant.token, `mutation($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id } userErrors { code } } }`, FIXTURES.createQuote.args());
    op.quoteId = quoted.createQuote.quote.id;
    const paid = await server.ok(merchant.token, `mutation($input: CreateOutgoingPaymentInput!) { createOutgoingPayment(input: $input) { outgoingPayment { id } userErrors { code } } }`, FIXTURES.createOutgoingPayment.args());
    op.outgoingPaymentId = paid.createOutgoingPayment.outgoingPayment.id;

    // The server's own schema (a full introspection query is deeper than the server's depth limit).
    schema = await buildPaygridSchema();
    ws = { merchant: server.ws(tokens.merchant), operator: server.ws(tokens.operator), payer: server.ws(tokens.payer) };
  });
  after(() => server.close());

  function operations(): Array<[Attempt['kind'], GraphQLField<unknown, unknown>]> {
    const of = (kind: Attempt['kind'], fields: Record<string, GraphQLField<unknown, unknown>>) =>
      Object.values(fields).map((f): [Attempt['kind'], GraphQLField<unknown, unknown>] => [kind, f]);
    return [
      ...of('query', schema.getQueryType()!.getFields()),
      ...of('mutation', schema.getMutationType()!.getFields()),
      ...of('subscription', schema.getSubscriptionType()!.getFields()),
    ];
  }

  function attempts(kinds: ReadonlyArray<Attempt['kind']>, empties: boolean): Attempt[] {
    const all: Attempt[] = [];
    for (const [kind, field] of operations()) {
      if (!kinds.includes(kind)) continue;
      const fixture = FIXTURES[field.name];
      const declared = field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
      const document = `${kind}${declared ? `(${declared})` : ''} { ${field.name}${field.args.length ? `(${field.args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : ''} ${selection(field)} }`;
      for (const arg of field.args) {
        for (const [path, owner, amount] of leaves(arg.type, [arg.name], `${kind === 'mutation' ? 'Mutation' : 'Query'}.${field.name}.${arg.name}`)) {
          const max = COLUMN_MAX[owner] ?? COLUMN_MAX[path.at(-1)!];
          const values: Array<[string, string]> = empties
            ? [['empty', '']]
            : [
                ...TEXT_VALUES.flatMap(([name, make]) => {
                  const value = make(max);
                  return value === null ? [] : [[name, value] as [string, string]];
                }),
                ...(amount ? AMOUNT_VALUES.map((v) => [`amount ${JSON.stringify(v)}`, v] as [string, string]) : []),
              ];
          for (const [name, value] of values) {
            all.push({
              operation: field.name,
              kind,
              who: fixture.who,
              document,
              variables: withValue(fixture.args(), path, value),
              label: `${field.name} ${path.join('.')} ← ${name}`,
              mayBeAccepted: empties || (kind !== 'mutation' && name === 'column max + 1'),
            });
          }
        }
      }
    }
    return all;
  }

  async function overHttp(attempt: Attempt): Promise<Outcome> {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[attempt.who]}` },
      body: JSON.stringify({ query: attempt.document, variables: attempt.variables }),
    });
    const text = await response.text();
    try {
      return { status: response.status, ...(JSON.parse(text) as object) };
    } catch {
      return { status: response.status, errors: [{ message: text }] };
    }
  }

  function overWebSocket(attempt: Attempt): Promise<Outcome> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        stop();
        resolve(outcome);
      };
      const stop = ws[attempt.who].subscribe(
        { query: attempt.document, variables: attempt.variables },
        {
          next: (value) => done({ status: 200, data: value.data as Record<string, any>, errors: value.errors as Outcome['errors'] }),
          error: (error) => done({ status: 200, errors: Array.isArray(error) ? error : [{ message: String((error as Error)?.message ?? error) }] }),
          complete: () => done({ status: 200, data: null }),
        },
      );
      // A subscription that was accepted waits for events: being accepted is its answer.
      if (attempt.kind === 'subscription') setTimeout(() => done({ status: 200, data: { listening: true } }), 300);
    });
  }

  /** The refusal's code and field, or null when the request was accepted. Fails on a server error. */
  function judge(attempt: Attempt, outcome: Outcome): { code: string; field: unknown } | null {
    const what = `${attempt.label}: ${JSON.stringify(outcome).slice(0, 400)}`;
    assert.ok(outcome.status < 500, `no 5xx: ${what}`);
    assert.doesNotMatch(JSON.stringify(outcome.errors ?? []), /INTERNAL_SERVER_ERROR|Internal server error|select |insert /i, `no server error: ${what}`);
    if (outcome.errors?.length) {
      const extensions = outcome.errors[0].extensions ?? {};
      // A subscription to an id that is merely unknown (one character past the column) is not found, not refused.
      if (attempt.mayBeAccepted && extensions.code === 'NOT_FOUND') return null;
      assert.equal(extensions.code, 'BAD_USER_INPUT', `a stable code: ${what}`);
      // A value GraphQL itself cannot coerce is refused before any resolver, with its variable named.
      const code = extensions.userErrorCode ?? 'GRAPHQL_VARIABLE_INVALID';
      const field = extensions.field ?? /Variable "\$(\w+)"/.exec(outcome.errors[0].message)?.[1];
      assert.ok(field, `a field: ${what}`);
      return { code, field };
    }
    const payload = outcome.data?.[attempt.operation];
    const userErrors = payload?.userErrors as Array<{ code: string; field: string[] | null }> | undefined;
    if (userErrors?.length) {
      assert.ok(userErrors[0].code, `a stable code: ${what}`);
      assert.ok(userErrors[0].field?.length, `a field: ${what}`);
      return userErrors[0];
    }
    assert.ok(attempt.mayBeAccepted, `refused: ${what}`);
    return null;
  }

  async function run(list: Attempt[], transport: (a: Attempt) => Promise<Outcome>, tally: Map<string, number>): Promise<number> {
    let refused = 0;
    for (let i = 0; i < list.length; i += 16) {
      const batch = list.slice(i, i + 16);
      const outcomes = await Promise.all(batch.map(transport));
      batch.forEach((attempt, j) => {
        const refusal = judge(attempt, outcomes[j]);
        if (!refusal) return;
        refused++;
        tally.set(refusal.code, (tally.get(refusal.code) ?? 0) + 1);
      });
    }
    return refused;
  }

  it('has a baseline for every query, mutation and subscription of the schema', () => {
    const missing = operations().map(([, f]) => f.name).filter((name) => !FIXTURES[name]);
    assert.deepEqual(missing, [], 'add a fixture for each new operation');
    const stale = Object.keys(FIXTURES).filter((name) => !operations().some(([, f]) => f.name === name));
    assert.deepEqual(stale, [], 'fixtures of operations the schema no longer has');
  });

  for (const transport of ['HTTP', 'WebSocket'] as const) {
    it(`refuses every hostile value over ${transport} with a code and a field, writing nothing`, async () => {
      const send = transport === 'HTTP' ? overHttp : overWebSocket;
      const kinds: Array<Attempt['kind']> = transport === 'HTTP' ? ['query', 'mutation'] : ['query', 'mutation', 'subscription'];
      const tally = new Map<string, number>();
      const before = await rowCounts(server);
      const hostile = attempts(kinds, false);
      const refused = await run(hostile, send, tally);
      assert.deepEqual(await rowCounts(server), before, 'the refusals wrote nothing');
      // Empty values come last: a blank optional field counts as absent, so those may be accepted (and write).
      const empty = attempts(kinds, true);
      const emptyRefused = await run(empty, send, tally);
      const byCode = Object.fromEntries([...tally].sort((a, b) => b[1] - a[1]));
      console.log(
        `# hostile input over ${transport} (${usingPostgres ? 'postgresql' : 'sqlite'}): ${hostile.length + empty.length} tried ` +
          `(${hostile.length} hostile, ${refused} refused, the rest reads of an unknown id; ${empty.length} empty, ${emptyRefused} refused, ${empty.length - emptyRefused} accepted as absent); ` +
          `refusals by code ${JSON.stringify(byCode)}`,
      );
      assert.ok(hostile.length > 500, `a generated set, not a handful (${hostile.length})`);
    });
  }
});
