import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestClient, TestServer } from './server';

/** A valid instruction of a bank payment initiation (an instant transfer to a French company), with changes. */
export const initiationInstruction = (overrides: Record<string, unknown> = {}) => ({
  label: 'Invoice 2024-117',
  amount: '50.90',
  currency: 'EUR',
  executionDateType: 'instant',
  beneficiary: { schemeName: 'iban', identification: 'FR76 3000 6000 0112 3456 7890 189', label: 'ACME Corp.' },
  beneficiaryIdentity: { kind: 'corporate', orgName: 'ACME Corp.', orgLegalStatus: 'SAS', schemeName: 'siren', identification: '749867206' },
  ...overrides,
});

/** Small steps every flow test needs, through the public API only. */
export async function openAccount(server: TestServer, client: TestClient, assetCode = 'EUR', name?: string): Promise<string> {
  const data = await server.ok(
    client.token,
    `mutation($input: CreateAccountInput!) { createAccount(input: $input) { account { id } userErrors { code field message } } }`,
    { input: { assetCode, name } },
  );
  if (data.createAccount.userErrors.length) throw new Error(JSON.stringify(data.createAccount.userErrors));
  return data.createAccount.account.id;
}

export async function fund(server: TestServer, operator: TestClient, accountId: string, amount: string, key = `fund-${accountId}-${amount}-${Math.random()}`): Promise<void> {
  const data = await server.ok(
    operator.token,
    `mutation($input: FundAccountInput!) { fundAccount(input: $input) { account { id } userErrors { code field message } } }`,
    { input: { accountId, amount, idempotencyKey: key } },
  );
  if (data.fundAccount.userErrors.length) throw new Error(JSON.stringify(data.fundAccount.userErrors));
}

export const PAYMENT_FIELDS = `payment { id state flowState requestId amount { value formatted assetCode } lastSequence }
  transaction { id state amount { value } }
  userErrors { code field message }`;

export async function createPayment(
  server: TestServer,
  client: TestClient,
  input: { accountId: string; sellerId: string; requestId: string; currency?: string; reference?: string },
) {
  const data = await server.ok(
    client.token,
    `mutation($input: CreateAccountPaymentInput!) { createAccountPayment(input: $input) { ${PAYMENT_FIELDS} } }`,
    { input: { currency: 'EUR', ...input } },
  );
  return data.createAccountPayment;
}

export async function step(server: TestServer, client: TestClient, mutation: string, input: Record<string, unknown>) {
  const inputType: Record<string, string> = {
    addPaymentTransaction: 'AddPaymentTransactionInput',
    cancelPaymentTransaction: 'CancelPaymentTransactionInput',
    authorizePayment: 'PaymentStepInput',
    executePayment: 'PaymentStepInput',
    cancelPayment: 'PaymentStepInput',
  };
  // Every step takes a key; a test that does not care about repeats gets a fresh one per call.
  const keyed = { idempotencyKey: `${mutation}-${randomUUID()}`, ...input };
  const data = await server.ok(client.token, `mutation($input: ${inputType[mutation]}!) { ${mutation}(input: $input) { ${PAYMENT_FIELDS} } }`, { input: keyed });
  return data[mutation];
}

export async function balance(server: TestServer, client: TestClient, accountId: string) {
  const data = await server.ok(
    client.token,
    `query($id: ID!) { account(id: $id) { balance { posted { value } reserved { value } available { value } } } }`,
    { id: accountId },
  );
  const b = data.account.balance;
  return { posted: b.posted.value as string, reserved: b.reserved.value as string, available: b.available.value as string };
}

export async function ledgerReport(server: TestServer, operator: TestClient) {
  const data = await server.ok(operator.token, `{ ledgerReport { assetCode accounts postedSum driftingAccounts } }`);
  return data.ledgerReport as Array<{ assetCode: string; accounts: number; postedSum: string; driftingAccounts: number }>;
}

/** Revokes a token the way a client does (RFC 7009, the client's own credentials). */
export async function revoke(server: TestServer, client: TestClient, token: string): Promise<void> {
  const response = await fetch(`${server.url}/oauth/revoke`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
    body: new URLSearchParams({ token }),
  });
  assert.equal(response.status, 200);
}
