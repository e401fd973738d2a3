import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Services } from '../graphql/context';
import { MERCHANT_SCOPES, OPERATOR_SCOPES } from '../oauth/scopes';

export const DEMO_MERCHANT = { id: 'demo-merchant', secret: 'demo-merchant-secret' };
export const DEMO_OPERATOR = { id: 'demo-operator', secret: 'demo-operator-secret' };

/**
 * A sandbox to try every flow at once: a merchant with a funded buyer account and a seller account,
 * and an operator that can record deposits. Created on the first start only; fixed, documented
 * credentials because this is demo data (turn it off with DEMO_DATA=false).
 */
export async function ensureDemoData(services: Services): Promise<string[] | null> {
  if (await services.tokens.findClient(DEMO_MERCHANT.id)) return null;
  try {
    await services.tokens.createClient({ ...DEMO_OPERATOR, name: 'Demo operator', scopes: OPERATOR_SCOPES, verified: true });
    await services.tokens.createClient({ ...DEMO_MERCHANT, name: 'Demo merchant', scopes: MERCHANT_SCOPES, verified: true });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) return null; // another instance got there first
    throw error;
  }
  const buyer = await services.accounts.create({ clientId: DEMO_MERCHANT.id, userId: null }, { assetCode: 'EUR', name: 'Demo buyer' });
  const seller = await services.accounts.create({ clientId: DEMO_MERCHANT.id, userId: null }, { assetCode: 'EUR', name: 'Demo seller' });
  await services.accounts.fund(DEMO_OPERATOR.id, { accountId: buyer.id, amount: '1000.00', idempotencyKey: 'demo-initial-deposit' });
  return [buyer.id, seller.id];
}
