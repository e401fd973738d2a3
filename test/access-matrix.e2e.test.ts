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
import { KycProfile } from '../src/flows/one-click/kyc-profile.entity';
import { createPayment, fund, openAccount, step, initiationInstruction } from './support/flows';
import { FormBrowser } from './support/form-browser';
import { consent } from './support/payer-consent';
import { startServer, subscribe, type TestClient, type TestServer } from './support/server';
import { startOpenPaymentsClient } from './support/open-payments-client';

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
      operation: 'Subscription.paymentFeed',
      kind: 'paymentEvent',
      action: 'monitor',
      subscription: () => ({ query: `subscription { paymentFeed { flow } }`, variables: {} }),
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
    ...([
      ['Query.payments', 'payments', undefined],
      ['Query.orders', 'orders', isFlow(PaymentFlow.ORDER)],
      ['Query.initiations', 'initiations', isFlow(PaymentFlow.INITIATION)],
    ] as const).map(
      ([operation, list, applies]): Face => ({
        operation,
        kind: 'payment',
        action: 'read',
        applies,
        run: async (who, o) => {
          const result = await gql(who.token!, `{ ${list}(first: 100) { nodes { id } } }`);
          return result.data?.[list]?.nodes.some((n: any) => n.id === o.id) ? 'allowed' : 'refused';
        },
      }),
    ),
    {
      operation: 'Query.deposit',
      kind: 'payment',
      action: 'read',
      applies: isFlow(PaymentFlow.DEPOSIT),
      run: readFace(`query($id: ID!) { deposit(id: $id) { id } }`, (d) => d?.deposit),
    },
    {
      operation: 'Mutation.cancelDeposit',
      kind: 'payment',
      action: 'act',
      applies: isFlow(PaymentFlow.DEPOSIT),
      run: mutationFace('cancelDeposit', 'CancelDepositInput', (o) => ({ paymentId: o.id })),
    },
    { operation: 'Query.kycProfile', kind: 'kycProfile', action: 'read', run: readFace(`query($id: ID!) { kycProfile(id: $id) { id } }`, (d) => d?.kycProfile) },
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
        run: mutationFace(mutation, mutation === 'captureOrder' ? 'CaptureOrderInput' : 'OrderStepInput', (o) => ({ orderId: o.id, idempotencyKey: key() })),
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
    {
      operation: 'Mutation.setOneClickOperator',
      kind: 'client',
      action: 'configure',
      ownClientOnly: true,
      run: async (who) => {
        const result = await gql(who.token!, `mutation { setOneClickOperator(input: { baseUrl: "http://127.0.0.1:9" }) { operator { baseUrl } userErrors { code } } }`);
        return result.data?.setOneClickOperator?.operator ? 'allowed' : 'refused';
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
    {
      operation: 'Query.operationsOverview',
      kind: 'ledger',
      action: 'read',
      run: readFace(`{ operationsOverview { schedulerBacklog { dueJobs } } }`, (d) => d?.operationsOverview),
    },
    { operation: 'Query.peers', kind: 'peering', action: 'read', run: readFace(`{ peers { id } }`, (d) => d?.peers) },
    { operation: 'Query.peerPositions', kind: 'peering', action: 'read', run: readFace(`{ peerPositions { position } }`, (d) => d?.peerPositions) },
    { operation: 'Query.exchangeRates', kind: 'exchangeRates', action: 'read', run: readFace(`{ exchangeRates { pair } }`, (d) => d?.exchangeRates) },
    {
      operation: 'Mutation.setExchangeRate',
      kind: 'exchangeRates',
      action: 'manage',
      run: mutationFace('setExchangeRate', 'SetExchangeRateInput', () => ({ from: 'EUR', to: 'USD', rate: '1.0843', idempotencyKey: key() }), 'exchangeRate { pair } userErrors { code field }'),
    },
    {
      operation: 'Mutation.recordPeerSettlement',
      kind: 'peering',
      action: 'manage',
      run: async (who) => {
        const result = await gql(who.token!, `mutation($input: RecordPeerSettlementInput!) { recordPeerSettlement(input: $input) { userErrors { code } } }`, {
          input: { peerId: 'peer_none', amount: '1.00', direction: 'RECEIVED', idempotencyKey: key() },
        });
        // The operator is let through to the peer lookup (NOT_FOUND in userErrors); anyone else is refused outright.
        return result.errors?.length ? 'refused' : 'allowed';
      },
    },
    {
      operation: 'Mutation.createPeer',
      kind: 'peering',
      action: 'manage',
      run: mutationFace('createPeer', 'CreatePeerInput', () => {
        const kid = key();
        return { name: 'Matrix peer', opOrigin: `http://${kid}.peer.example`, assetCode: 'EUR', creditLimit: '1.00', walletAddress: `http://${kid}.peer.example/.well-known/pay`, keys: [{ kid, kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] };
      }),
    },
    {
      operation: 'Query.walletAddress',
      kind: 'account',
      action: 'read',
      run: async (who, o) => {
        const result = await gql(who.token!, `query($id: ID!) { walletAddress(id: $id) { id } }`, { id: o.extra!.walletAddressId });
        return result.data?.walletAddress ? 'allowed' : 'refused';
      },
    },
    {
      operation: 'Query.walletAddresses',
      kind: 'account',
      action: 'read',
      run: async (who, o) => {
        const result = await gql(who.token!, `{ walletAddresses(first: 100) { nodes { id } } }`);
        return result.data?.walletAddresses?.nodes.some((n: any) => n.id === o.extra!.walletAddressId) ? 'allowed' : 'refused';
      },
    },
    // Every account already has its wallet address: the holder is told WALLET_ADDRESS_EXISTS, anyone else NOT_FOUND.
    {
      operation: 'Mutation.createWalletAddress',
      kind: 'account',
      action: 'manageWalletAddress',
      run: mutationFace('createWalletAddress', 'CreateWalletAddressInput', (o) => ({ accountId: o.id, slug: key(), publicName: 'Twice' })),
    },
    {
      operation: 'Mutation.addWalletAddressKey',
      kind: 'account',
      action: 'manageWalletAddress',
      run: mutationFace('addWalletAddressKey', 'AddWalletAddressKeyInput', (o) => ({
        walletAddressId: o.extra!.walletAddressId,
        jwk: { kid: key(), kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
      })),
    },
    {
      operation: 'Mutation.revokeWalletAddressKey',
      kind: 'account',
      action: 'manageWalletAddress',
      run: mutationFace('revokeWalletAddressKey', 'RevokeWalletAddressKeyInput', (o) => ({ walletAddressId: o.extra!.walletAddressId, kid: 'base-key' }), 'userErrors { code field } key { kid }'),
    },
    { operation: 'Query.grant', kind: 'grant', action: 'read', run: readFace(`query($id: ID!) { grant(id: $id) { id } }`, (d) => d?.grant) },
    {
      operation: 'Query.grants',
      kind: 'grant',
      action: 'read',
      run: async (who, o) => {
        const result = await gql(who.token!, `{ grants(first: 100) { nodes { id } } }`);
        return result.data?.grants?.nodes.some((n: any) => n.id === o.id) ? 'allowed' : 'refused';
      },
    },
    { operation: 'Mutation.revokeGrant', kind: 'grant', action: 'revoke', run: mutationFace('revokeGrant', 'RevokeGrantInput', (o) => ({ grantId: o.id })) },
    // Open Payments resources: on each account's wallet address; a quote or payment pays an incoming payment on B's second account.
    {
      operation: 'Mutation.createIncomingPayment',
      kind: 'account',
      action: 'receiveInto',
      run: mutationFace('createIncomingPayment', 'CreateIncomingPaymentInput', (o) => ({ walletAddress: walletAddressUrls[o.id], idempotencyKey: key() })),
    },
    {
      operation: 'Mutation.completeIncomingPayment',
      kind: 'account',
      action: 'receiveInto',
      run: (who, o) => completeFace(who, o),
    },
    {
      operation: 'Mutation.createQuote',
      kind: 'account',
      action: 'sendFrom',
      run: async (who, o) => {
        const { url } = await receiverOfPayments();
        return mutationFace('createQuote', 'CreateQuoteInput', () => ({ walletAddress: walletAddressUrls[o.id], receiver: url, debitAmount: '0.01', idempotencyKey: key() }))(who, o);
      },
    },
    {
      operation: 'Mutation.createOutgoingPayment',
      kind: 'account',
      action: 'sendFrom',
      run: async (who, o) => {
        const { url } = await receiverOfPayments();
        return mutationFace('createOutgoingPayment', 'CreateOutgoingPaymentInput', () => ({ walletAddress: walletAddressUrls[o.id], incomingPayment: url, debitAmount: '0.01', idempotencyKey: key() }))(who, o);
      },
    },
    {
      operation: 'Query.incomingPayment',
      kind: 'account',
      action: 'read',
      run: async (who, o) => readFace(`query($id: ID!) { incomingPayment(id: $id) { id } }`, (d) => d?.incomingPayment)(who, { ...o, id: (await resourcesOf(o)).incomingPaymentId }),
    },
    {
      operation: 'Query.incomingPayments',
      kind: 'account',
      action: 'read',
      run: async (who, o) => {
        const result = await gql(who.token!, `query($w: String!) { incomingPayments(walletAddress: $w, first: 100) { nodes { id } } }`, { w: walletAddressUrls[o.id] });
        return result.data?.incomingPayments?.nodes.length ? 'allowed' : 'refused';
      },
    },
    {
      operation: 'Query.quote',
      kind: 'account',
      action: 'read',
      run: async (who, o) => readFace(`query($id: ID!) { quote(id: $id) { id } }`, (d) => d?.quote)(who, { ...o, id: (await resourcesOf(o)).quoteId }),
    },
    {
      operation: 'Query.outgoingPayment',
      kind: 'account',
      action: 'read',
      run: async (who, o) => readFace(`query($id: ID!) { outgoingPayment(id: $id) { id } }`, (d) => d?.outgoingPayment)(who, { ...o, id: (await resourcesOf(o)).outgoingPaymentId }),
    },
    {
      operation: 'Query.outgoingPayments',
      kind: 'account',
      action: 'read',
      run: async (who, o) => {
        await resourcesOf(o);
        const result = await gql(who.token!, `query($w: String!) { outgoingPayments(walletAddress: $w, first: 100) { nodes { id } } }`, { w: walletAddressUrls[o.id] });
        return result.data?.outgoingPayments?.nodes.length ? 'allowed' : 'refused';
      },
    },
    // Last: these move money back or end a payment, which no face before them should meet.
    {
      operation: 'Mutation.refundPayment',
      kind: 'payment',
      action: 'refund',
      run: mutationFace('refundPayment', 'RefundPaymentInput', (o) => ({ paymentId: o.id, amount: '0.01', idempotencyKey: key() })),
    },
    {
      operation: 'Mutation.cancelInitiation',
      kind: 'payment',
      action: 'act',
      applies: isFlow(PaymentFlow.INITIATION),
      run: mutationFace('cancelInitiation', 'CancelInitiationInput', (o) => ({ paymentId: o.id })),
    },
  ];

  /** The incoming payment every quote and outgoing payment of the matrix pays: on B's second account, open amount. */
  let receiver: Promise<{ url: string }> | undefined;
  function receiverOfPayments(): Promise<{ url: string }> {
    receiver ??= (async () => {
      const services = server.app.services;
      const holder: Principal = { kind: 'merchant', clientId: b.id, scopes: new Set() };
      const wa = await services.walletAddresses.create(holder, { accountId: acct.b2.id, publicName: 'B second' });
      const wallet = (await services.walletAddresses.resolve(services.walletAddresses.urlOf(wa.slug)))!;
      const ip = await services.incomingPayments.create({ clientKey: null, grantId: null }, wallet, {});
      return { url: services.resourceUrls.incomingPayment(ip.payment.id) };
    })();
    return receiver;
  }

  /** One incoming payment, quote and outgoing payment of each account's wallet address, made through the services. */
  const resources = new Map<string, Promise<{ incomingPaymentId: string; quoteId: string; outgoingPaymentId: string }>>();
  function resourcesOf(o: Obj) {
    let made = resources.get(o.id);
    if (!made) {
      made = (async () => {
        const services = server.app.services;
        const wallet = (await services.walletAddresses.resolve(walletAddressUrls[o.id]))!;
        const actor = { clientKey: null, grantId: null };
        const ip = await services.incomingPayments.create(actor, wallet, {});
        const { url } = await receiverOfPayments();
        const quote = await services.quotes.create(actor, wallet, { receiver: url, debitAmount: { value: '1', assetCode: 'EUR', assetScale: 2 } });
        const paid = await services.outgoingPayments.create(actor, wallet, { incomingPayment: url, debitAmount: { value: '1', assetCode: 'EUR', assetScale: 2 } }, null);
        return { incomingPaymentId: ip.payment.id, quoteId: quote.quote.id, outgoingPaymentId: paid.record.payment.id };
      })();
      resources.set(o.id, made);
    }
    return made;
  }

  /** Completes a fresh incoming payment of the account's wallet address. */
  async function completeFace(who: Who, o: Obj): Promise<Outcome> {
    const services = server.app.services;
    const wallet = (await services.walletAddresses.resolve(walletAddressUrls[o.id]))!;
    const ip = await services.incomingPayments.create({ clientKey: null, grantId: null }, wallet, {});
    return mutationFace('completeIncomingPayment', 'CompleteIncomingPaymentInput', () => ({ id: ip.payment.id, idempotencyKey: key() }))(who, o);
  }

  /**
   * Operations that reach no object of another owner, so no matrix cell: each is gated by its scope
   * (OPERATION_SCOPES) and creates or shows only the token's own.
   */
  const NO_OBJECT: Record<string, string> = {
    'Query.payer': 'the payer the token acts for, nobody else',
    'Mutation.createOrder': 'an order for the payer the token acts for (refused to other tokens, see access-policy tests)',
    'Mutation.createInitiation': 'an initiation of the token’s own client',
    'Mutation.startDeposit': 'a 1-Click deposit of the token’s own client, into its own account',
    'Mutation.createClient': 'a new client, reaching no existing one (clients:manage, operators only)',
  };

  /**
   * Each account's wallet address, made by its holder, with one key (`base-key`) to revoke. An
   * account of a payer is given one as the payer (there is no payer face for this mutation).
   */
  const walletAddressUrls: Record<string, string> = {};
  async function withWalletAddress(facts: AccountFacts): Promise<Record<string, string>> {
    const services = server.app.services;
    const holder: Principal = facts.userId
      ? { kind: 'payer', clientId: a.id, userId: facts.userId, scopes: new Set() }
      : { kind: 'merchant', clientId: facts.clientId!, scopes: new Set() };
    const wa = await services.walletAddresses.create(holder, { accountId: facts.id, publicName: `Holder of ${facts.id}` });
    await services.walletAddresses.addKey(holder, { walletAddressId: wa.id, jwk: { kid: 'base-key', kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' } });
    walletAddressUrls[facts.id] = services.walletAddresses.urlOf(wa.slug);
    return { walletAddressId: wa.id };
  }

  /** A non-interactive grant naming each account's wallet address, requested by an Open Payments client. */
  async function grantsOnWalletAddresses(): Promise<void> {
    const opClient = await startOpenPaymentsClient({ publicName: 'Matrix app' });
    try {
      for (const [name, facts] of [
        ['grant on A’s wallet address', acct.a],
        ['grant on B’s wallet address', acct.b],
        ['grant on payer U1’s wallet address', acct.u1],
        ['grant on payer U2’s wallet address', acct.u2],
      ] as const) {
        const grant = await opClient.client.grant.request(
          { url: `${server.url}/gnap` },
          { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read'], identifier: walletAddressUrls[facts.id] }] } },
        );
        objects.push({ name, id: grant.continue.uri.split('/').pop()!, object: { kind: 'grant', account: facts } });
      }
    } finally {
      await opClient.close();
    }
  }

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
      objects.push({ name, id: facts.id, object: { kind: 'account', account: facts }, extra: await withWalletAddress(facts) });
    }
    await grantsOnWalletAddresses();

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

    // 1-Click deposits, one of A and one of B, and a KYC profile each (as an identification leaves it).
    for (const [name, client] of [
      ['deposit of A', a],
      ['deposit of B', b],
    ] as const) {
      await server.ok(client.token, `mutation { setOneClickOperator(input: { baseUrl: "http://127.0.0.1:9" }) { userErrors { code } } }`);
      const data = await server.ok(client.token, `mutation($input: StartDepositInput!) { startDeposit(input: $input) { deposit { id } userErrors { code field } } }`, {
        input: { identityProvider: 'sandbox-bankid', amount: '5.00', currency: 'EUR', redirectUri: REDIRECT, idempotencyKey: key() },
      });
      assert.deepEqual(data.startDeposit.userErrors, []);
      const found = (await server.app.services.payments.byIds([data.startDeposit.deposit.id]))[0];
      const facts = payment(found.id, client.id, PaymentFlow.DEPOSIT, { id: found.payerAccountId!, clientId: null, userId: null }, { id: found.beneficiaryAccountId!, clientId: client.id, userId: null });
      objects.push({ name, id: found.id, object: { kind: 'payment', payment: facts } });
      const profileId = `kyc_matrix_${name.slice(-1)}`;
      await server.app.services.db.transaction(async (tx) => {
        tx.em.create(KycProfile, { id: profileId, clientId: client.id, subjectHash: profileId.padEnd(64, '0'), identityProvider: 'sandbox-bankid', userId: 'player', data: null, createdAt: new Date() });
      });
      objects.push({ name: `KYC profile of ${name.slice(-1)}`, id: profileId, object: { kind: 'kycProfile', profile: { clientId: client.id } } });
    }

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
    objects.push({ name: 'the peering', id: '', object: { kind: 'peering' } });
    objects.push({ name: 'the exchange rates', id: '', object: { kind: 'exchangeRates' } });

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
