import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Services } from '../graphql/context';
import { MERCHANT_SCOPES, OPERATOR_SCOPES, Scope } from '../oauth/scopes';

export const DEMO_MERCHANT = { id: 'demo-merchant', secret: 'demo-merchant-secret', redirectUri: 'http://127.0.0.1:8080/callback' };
export const DEMO_PAYER = { username: 'demo-payer', password: 'demo-payer-password', name: 'Demo Payer' };
export const DEMO_OPERATOR = { id: 'demo-operator', secret: 'demo-operator-secret' };

export interface DemoData {
  buyerAccountId: string;
  sellerAccountId: string;
  payerId: string;
  payerAccountId: string;
  /** Open Payments wallet addresses: the payer's wallet and the merchant's seller account. */
  payerWalletAddress: string;
  merchantWalletAddress: string;
}

export const DEMO_WALLET_SLUGS = { payer: 'demo-payer', merchant: 'demo-merchant' };

/**
 * A sandbox to try every flow at once: a merchant with a funded buyer account and a seller account
 * and a redirect URI for the authorization code grant, a payer who can log in with a funded account
 * of their own, and an operator that can record deposits. Created on the first start only; fixed,
 * documented credentials because this is demo data (turn it off with DEMO_DATA=false).
 */
export async function ensureDemoData(services: Services): Promise<DemoData | null> {
  if (await services.tokens.findClient(DEMO_MERCHANT.id)) return null;
  try {
    await services.tokens.createClient({ ...DEMO_OPERATOR, name: 'Demo operator', scopes: OPERATOR_SCOPES, verified: true });
    await services.tokens.createClient({
      id: DEMO_MERCHANT.id,
      secret: DEMO_MERCHANT.secret,
      name: 'Demo merchant',
      scopes: [...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN, Scope.ORDERS_RECURRENT],
      verified: true,
      redirectUris: [DEMO_MERCHANT.redirectUri],
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) return null; // another instance got there first
    throw error;
  }
  const buyer = await services.accounts.create({ clientId: DEMO_MERCHANT.id, userId: null }, { assetCode: 'EUR', name: 'Demo buyer' });
  const seller = await services.accounts.create({ clientId: DEMO_MERCHANT.id, userId: null }, { assetCode: 'EUR', name: 'Demo seller' });
  await services.accounts.fund(DEMO_OPERATOR.id, { accountId: buyer.id, amount: '1000.00', idempotencyKey: 'demo-initial-deposit' });
  const payer = await services.users.create(DEMO_PAYER);
  const wallet = await services.accounts.create({ clientId: DEMO_MERCHANT.id, userId: payer.id }, { assetCode: 'EUR', name: 'Demo payer wallet' });
  await services.accounts.fund(DEMO_OPERATOR.id, { accountId: wallet.id, amount: '500.00', idempotencyKey: 'demo-payer-deposit' });
  const payerWa = await services.walletAddresses.create(
    { kind: 'payer', clientId: DEMO_MERCHANT.id, userId: payer.id, scopes: new Set() },
    { accountId: wallet.id, slug: DEMO_WALLET_SLUGS.payer, publicName: DEMO_PAYER.name },
  );
  const merchantWa = await services.walletAddresses.create(
    { kind: 'merchant', clientId: DEMO_MERCHANT.id, scopes: new Set() },
    { accountId: seller.id, slug: DEMO_WALLET_SLUGS.merchant, publicName: 'Demo merchant' },
  );
  return {
    buyerAccountId: buyer.id,
    sellerAccountId: seller.id,
    payerId: payer.id,
    payerAccountId: wallet.id,
    payerWalletAddress: services.walletAddresses.urlOf(payerWa.slug),
    merchantWalletAddress: services.walletAddresses.urlOf(merchantWa.slug),
  };
}
