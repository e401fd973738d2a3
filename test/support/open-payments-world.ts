import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isFinalizedGrant, isPendingGrant, type GrantRequest } from '@interledger/open-payments';
import type { Config } from '../../src/config/config';
import { ManualClock } from '../../src/shared/clock';
import { FormBrowser } from './form-browser';
import { fund, openAccount } from './flows';
import { decideByForms } from './gnap-consent';
import { startOpenPaymentsClient, verifyFinishHash, type OpenPaymentsTestClient } from './open-payments-client';
import { startServer, type TestClient, type TestServer } from './server';

export const PASSWORD = 'correct horse battery staple';
export const EUR = (value: string) => ({ value, assetCode: 'EUR', assetScale: 2 });

/** A holder of a funded EUR account with a wallet address. */
export interface Holder {
  username: string;
  userId: string;
  accountId: string;
  walletAddress: string;
}

/**
 * Paygrid with a merchant's shop (a wallet address on its till), account holders with funded
 * wallets, and an Open Payments client app (the official client on a loopback wallet address).
 */
export interface OpenPaymentsWorld {
  server: TestServer;
  clock: ManualClock;
  merchant: TestClient;
  operator: TestClient;
  shop: { accountId: string; walletAddress: string };
  holders: Record<string, Holder>;
  app: OpenPaymentsTestClient;
  authServer: string;
  resourceServer: string;
  close(): Promise<void>;
}

export async function startWorld(holders: Record<string, string>, config: Partial<Config> = {}, onQuery?: (sql: string) => void): Promise<OpenPaymentsWorld> {
  const clock = new ManualClock(new Date());
  // Signatures carry real time and the clock stands still: a window wide enough for a test's time travel.
  const server = await startServer({ clock, onQuery, config: { schedulerPollMs: 3_600_000, opSignatureWindowSeconds: 3600, ...config } });
  const merchant = await server.client(undefined, 'Shop');
  const operator = await server.operator();
  const till = await openAccount(server, merchant, 'EUR', 'Till');
  const created = await server.ok(
    merchant.token,
    `mutation($input: CreateWalletAddressInput!) { createWalletAddress(input: $input) { walletAddress { url } userErrors { code field } } }`,
    { input: { accountId: till, slug: 'shop', publicName: 'The Shop' } },
  );
  assert.deepEqual(created.createWalletAddress.userErrors, []);
  const services = server.app.services;
  const made: Record<string, Holder> = {};
  for (const [username, balance] of Object.entries(holders)) {
    const user = await services.users.create({ username, password: PASSWORD, name: username });
    const account = await services.accounts.create({ clientId: merchant.id, userId: user.id }, { assetCode: 'EUR', name: `${username} wallet` });
    if (balance !== '0') await fund(server, operator, account.id, balance);
    const asHolder = { kind: 'payer' as const, clientId: merchant.id, userId: user.id, scopes: new Set<string>() };
    const wa = await services.walletAddresses.create(asHolder, { accountId: account.id, slug: username, publicName: username });
    made[username] = { username, userId: user.id, accountId: account.id, walletAddress: services.walletAddresses.urlOf(wa.slug) };
  }
  const app = await startOpenPaymentsClient({ publicName: 'Budget App' });
  return {
    server,
    clock,
    merchant,
    operator,
    shop: { accountId: till, walletAddress: created.createWalletAddress.walletAddress.url },
    holders: made,
    app,
    authServer: `${server.url}/gnap`,
    resourceServer: `${server.url}/op`,
    async close() {
      await app.close();
      await server.close();
    },
  };
}

/** A non-interactive grant (incoming payments, quotes): its access token value and manage URL. */
export async function nonInteractiveGrant(world: OpenPaymentsWorld, access: NonNullable<GrantRequest['access_token']>['access']) {
  const grant = await world.app.client.grant.request({ url: world.authServer }, { access_token: { access } });
  assert.ok(isFinalizedGrant(grant), JSON.stringify(grant));
  return grant;
}

/**
 * An interactive outgoing-payment grant for `holder`'s wallet address, approved by the holder with
 * form posts; the finish hash is verified before continuing. Returns the continued grant and the
 * pending one (for its continue URI and token).
 */
export async function outgoingGrant(world: OpenPaymentsWorld, holder: Holder, limits?: Record<string, unknown>, actions = ['create', 'read', 'list']) {
  const nonce = randomBytes(16).toString('base64url');
  const pending = await world.app.client.grant.request(
    { url: world.authServer },
    {
      access_token: { access: [{ type: 'outgoing-payment', actions: actions as never, identifier: holder.walletAddress, ...(limits ? { limits } : {}) }] },
      interact: { start: ['redirect'], finish: { method: 'redirect', uri: 'http://127.0.0.1:9/return', nonce } },
    },
  );
  assert.ok(isPendingGrant(pending), JSON.stringify(pending));
  const decided = await decideByForms(new FormBrowser(world.server.url), pending.interact.redirect, { username: holder.username, password: PASSWORD }, 'approve');
  assert.equal(decided.status, 303, decided.text);
  const back = new URL(decided.location!);
  const hash = back.searchParams.get('hash')!;
  const interactRef = back.searchParams.get('interact_ref')!;
  assert.ok(verifyFinishHash(hash, nonce, pending.interact.finish, interactRef, world.authServer), 'the finish hash verifies');
  world.clock.advance((pending.continue.wait ?? 0) * 1000);
  const grant = await world.app.client.grant.continue({ url: pending.continue.uri, accessToken: pending.continue.access_token.value }, { interact_ref: interactRef });
  assert.ok(isFinalizedGrant(grant), JSON.stringify(grant));
  return { grant, pending, hash, interactRef };
}

/** The sum of every account per asset is zero, and no account drifts from its entries. */
export async function assertBooksBalance(world: OpenPaymentsWorld): Promise<void> {
  const report = await world.server.app.services.db.transaction((tx) => world.server.app.services.ledger.report(tx));
  for (const asset of report) {
    assert.equal(asset.postedSum, 0n, `${asset.assetCode} sums to zero`);
    assert.equal(asset.driftingAccounts, 0, `${asset.assetCode}: no account drifts`);
  }
}

/** Posted and reserved balances of an account, in minor units. */
export async function balances(world: OpenPaymentsWorld, accountId: string): Promise<{ posted: bigint; reserved: bigint }> {
  const [account] = await world.server.app.services.accounts.byIds([accountId]);
  return { posted: account.posted, reserved: account.reserved };
}
