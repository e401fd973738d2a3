import { randomUUID } from 'node:crypto';
import { MERCHANT_SCOPES, Scope } from '../../src/oauth/scopes';
import { fund, openAccount } from './flows';
import { FormBrowser } from './form-browser';
import { consent } from './payer-consent';
import type { TestClient, TestServer } from './server';

const REDIRECT = 'http://127.0.0.1:9/vendor/oauth-callback';
const PASSWORD = 'correct horse battery staple';

export const ORDER_FIELDS = `order { id status captureMode total { value } captured { value } refunded { value } refundStatus beneficiaryAccountId authorizationExpiresAt }
  userErrors { code field message }`;

export const REFUND_FIELDS = `payment { id state flowState capturedAmount { value } refundedAmount { value } refundStatus }
  refund { id kind state amount { value } reference }
  userErrors { code field message }`;

/** A vendor with a till, and a payer (funded) who consented to recurrent orders: orders are approved when created. */
export interface OrderWorld {
  vendor: TestClient;
  operator: TestClient;
  till: string;
  payerAccount: string;
  payerToken: string;
}

export async function orderWorld(server: TestServer, payerFunds = '100.00', username = `payer-${randomUUID().slice(0, 8)}`): Promise<OrderWorld> {
  const operator = await server.operator();
  const vendor = await server.client([...MERCHANT_SCOPES, Scope.ORDERS_RECURRENT, Scope.PAYMENTS_ADMIN], 'Corner Coffee', { redirectUris: [REDIRECT], verified: true });
  const till = await openAccount(server, vendor, 'EUR', 'till');
  const payer = await server.app.services.users.create({ username, password: PASSWORD, name: 'Bob Payer' });
  const payerAccount = (await server.app.services.accounts.create({ clientId: vendor.id, userId: payer.id }, { assetCode: 'EUR', name: 'Bob wallet' })).id;
  await fund(server, operator, payerAccount, payerFunds);
  const tokens = await consent(server, new FormBrowser(server.url), vendor, { redirectUri: REDIRECT, scope: 'orders:write orders:recurrent profile', username, password: PASSWORD });
  return { vendor, operator, till, payerAccount, payerToken: tokens.access };
}

/** An order of one item of `amount` EUR, approved at once (recurrent consent). */
export async function createOrder(server: TestServer, world: OrderWorld, amount: string, extra: Record<string, unknown> = {}, callbackUrl = 'http://127.0.0.1:9/cb') {
  const data = await server.ok(world.payerToken, `mutation($input: CreateOrderInput!) { createOrder(input: $input) { ${ORDER_FIELDS} } }`, {
    input: {
      externalId: `shop-${randomUUID()}`,
      requestId: `order-${randomUUID().slice(0, 30)}`,
      items: [{ name: 'Beans', amount: { value: amount, currencyCode: 'EUR' }, count: 1 }],
      callbackUrl,
      successUrl: 'http://127.0.0.1:9/ok',
      errorUrl: 'http://127.0.0.1:9/ko',
      ...extra,
    },
  });
  return data.createOrder;
}

export async function captureOrder(server: TestServer, token: string, orderId: string, extra: Record<string, unknown> = {}) {
  const data = await server.ok(token, `mutation($input: CaptureOrderInput!) { captureOrder(input: $input) { ${ORDER_FIELDS} } }`, {
    input: { orderId, idempotencyKey: `capture-${randomUUID()}`, ...extra },
  });
  return data.captureOrder;
}

export async function refund(server: TestServer, token: string, input: { paymentId: string; amount?: string; reference?: string; idempotencyKey?: string }) {
  const data = await server.ok(token, `mutation($input: RefundPaymentInput!) { refundPayment(input: $input) { ${REFUND_FIELDS} } }`, {
    input: { idempotencyKey: `refund-${randomUUID()}`, ...input },
  });
  return data.refundPayment;
}
