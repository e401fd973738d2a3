import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAuthenticatedClient, isFinalizedGrant, isPendingGrant, type Grant, type PendingGrant } from '@interledger/open-payments';
import { generateJwk } from '@interledger/http-signature-utils';
import { signRequest } from '../src/open-payments/signatures/http-signatures';
import { SeenSignature } from '../src/open-payments/signatures/seen-signature.entity';
import { ManualClock } from '../src/shared/clock';
import { FormBrowser } from './support/form-browser';
import { decideByForms } from './support/gnap-consent';
import { startOpenPaymentsClient, verifyFinishHash, type OpenPaymentsTestClient } from './support/open-payments-client';
import { openAccount } from './support/flows';
import { startServer, type TestClient, type TestServer } from './support/server';

const PASSWORD = 'correct horse battery staple';
const WAIT_SECONDS = 5;
/** Shorter than the signature window, so that the test can move past it with signatures still fresh. */
const INTERACTION_SECONDS = 120;
const FINISH = 'http://127.0.0.1:9/return';

/** Ed25519 signatures are deterministic and `created` has whole seconds: an identical request needs a new second. */
const nextSecond = () => sleep(1010 - (Date.now() % 1000));

/** The AS calls the tests made and what they answered, for the report. */
const observed: string[] = [];
const note = (call: string, status: number | string) => observed.push(`${call} → ${status}`);

async function expectOpError(promise: Promise<unknown>, status: number, code: string, call: string): Promise<void> {
  await assert.rejects(promise, (error: any) => {
    assert.equal(error.status, status, `${call}: ${error.status} ${error.code} ${error.description}`);
    assert.equal(error.code, code, `${call}: ${error.description}`);
    return true;
  });
  note(call, `${status} ${code}`);
}

describe('Open Payments auth: wallet addresses and the GNAP AS with the official client', () => {
  let server: TestServer;
  let clock: ManualClock;
  let merchant: TestClient;
  let operator: TestClient;
  let app: OpenPaymentsTestClient;
  let other: OpenPaymentsTestClient;
  let payerWa: string;
  let merchantWa: string;
  let authServer: string;

  const outgoingAccess = (identifier: string) => ({
    access_token: {
      access: [
        {
          type: 'outgoing-payment' as const,
          actions: ['create' as const, 'read' as const, 'list' as const],
          identifier,
          limits: { debitAmount: { value: '5000', assetCode: 'EUR', assetScale: 2 }, interval: 'R/2026-01-01T00:00:00Z/P1M' },
        },
      ],
    },
  });

  async function requestInteractive(identifier = payerWa, client = app): Promise<{ grant: PendingGrant; nonce: string }> {
    const nonce = randomBytes(12).toString('base64url');
    const grant = await client.client.grant.request(
      { url: authServer },
      { ...outgoingAccess(identifier), interact: { start: ['redirect'], finish: { method: 'redirect', uri: FINISH, nonce } } },
    );
    assert.ok(isPendingGrant(grant));
    return { grant, nonce };
  }

  const grantState = async (id: string) => (await server.ok(operator.token, `query($id: ID!) { grant(id: $id) { state finalizationReason approvedByUserId } }`, { id })).grant;
  const grantIdOf = (continueUri: string) => continueUri.split('/').pop()!;

  before(async () => {
    clock = new ManualClock(new Date());
    server = await startServer({ clock, config: { gnapContinueWaitSeconds: WAIT_SECONDS, gnapInteractionSeconds: INTERACTION_SECONDS, schedulerPollMs: 3_600_000 } });
    merchant = await server.client(undefined, 'Shop');
    operator = await server.operator();
    const till = await openAccount(server, merchant, 'EUR', 'Till');
    const created = await server.ok(
      merchant.token,
      `mutation($input: CreateWalletAddressInput!) { createWalletAddress(input: $input) { walletAddress { id url publicName accountId } userErrors { code field } } }`,
      { input: { accountId: till, slug: 'shop', publicName: 'The Shop' } },
    );
    assert.deepEqual(created.createWalletAddress.userErrors, []);
    merchantWa = created.createWalletAddress.walletAddress.url;
    assert.equal(merchantWa, `${server.url}/wallet/shop`);

    const services = server.app.services;
    const paula = await services.users.create({ username: 'paula', password: PASSWORD, name: 'Paula' });
    await services.users.create({ username: 'otto', password: PASSWORD, name: 'Otto' });
    const paulaAccount = await services.accounts.create({ clientId: merchant.id, userId: paula.id }, { assetCode: 'EUR', name: 'Paula wallet' });
    const asPayer = { kind: 'payer' as const, clientId: merchant.id, userId: paula.id, scopes: new Set<string>() };
    payerWa = services.walletAddresses.urlOf((await services.walletAddresses.create(asPayer, { accountId: paulaAccount.id, slug: 'paula', publicName: 'Paula' })).slug);
    authServer = `${server.url}/gnap`;
    app = await startOpenPaymentsClient({ publicName: 'Budget App' });
    other = await startOpenPaymentsClient({ publicName: 'Other App' });
  });

  after(async () => {
    console.log(`AS calls observed:\n  ${observed.join('\n  ')}`);
    await app?.close();
    await other?.close();
    await server?.close();
  });

  it('serves the wallet address and its active keys as the spec shapes them, 404 for an unknown one', async () => {
    const wa = await app.client.walletAddress.get({ url: merchantWa });
    assert.deepEqual(wa, { id: merchantWa, publicName: 'The Shop', assetCode: 'EUR', assetScale: 2, authServer: `${server.url}/gnap`, resourceServer: `${server.url}/op` });
    assert.deepEqual(await app.client.walletAddress.getKeys({ url: merchantWa }), { keys: [] });

    const id = (await server.ok(merchant.token, `{ walletAddresses { nodes { id url } } }`)).walletAddresses.nodes[0].id;
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = generateJwk({ privateKey, keyId: 'shop-key-1' });
    const add = `mutation($input: AddWalletAddressKeyInput!) { addWalletAddressKey(input: $input) { key { kid revokedAt } userErrors { code field } } }`;
    const added = await server.ok(merchant.token, add, { input: { walletAddressId: id, jwk } });
    assert.deepEqual(added.addWalletAddressKey.userErrors, []);
    const again = await server.ok(merchant.token, add, { input: { walletAddressId: id, jwk } });
    assert.deepEqual(again.addWalletAddressKey.userErrors, [{ code: 'KEY_ID_TAKEN', field: ['jwk', 'kid'] }]);
    const bad = await server.ok(merchant.token, add, { input: { walletAddressId: id, jwk: { ...jwk, kid: 'k2', crv: 'X25519' } } });
    assert.deepEqual(bad.addWalletAddressKey.userErrors, [{ code: 'JWK_INVALID', field: ['jwk', 'crv'] }]);
    const shortX = await server.ok(merchant.token, add, { input: { walletAddressId: id, jwk: { ...jwk, kid: 'k3', x: 'abc' } } });
    assert.deepEqual(shortX.addWalletAddressKey.userErrors, [{ code: 'JWK_INVALID', field: ['jwk', 'x'] }]);
    assert.deepEqual(await app.client.walletAddress.getKeys({ url: merchantWa }), { keys: [jwk] });

    const revoked = await server.ok(merchant.token, `mutation($input: RevokeWalletAddressKeyInput!) { revokeWalletAddressKey(input: $input) { key { kid revokedAt } userErrors { code } } }`, {
      input: { walletAddressId: id, kid: 'shop-key-1' },
    });
    assert.ok(revoked.revokeWalletAddressKey.key.revokedAt);
    assert.deepEqual(await app.client.walletAddress.getKeys({ url: merchantWa }), { keys: [] });

    // Another merchant reaches neither the wallet address nor its keys.
    const stranger = await server.client(undefined, 'Stranger');
    assert.equal((await server.ok(stranger.token, `query($id: ID!) { walletAddress(id: $id) { id } }`, { id })).walletAddress, null);
    const foreign = await server.ok(stranger.token, add, { input: { walletAddressId: id, jwk: { ...jwk, kid: 'k4' } } });
    assert.equal(foreign.addWalletAddressKey.userErrors[0].code, 'NOT_FOUND');
    const taken = await server.ok(stranger.token, `mutation($input: CreateWalletAddressInput!) { createWalletAddress(input: $input) { userErrors { code field } } }`, {
      input: { accountId: await openAccount(server, stranger), slug: 'shop', publicName: 'Copycat' },
    });
    assert.deepEqual(taken.createWalletAddress.userErrors, [{ code: 'SLUG_TAKEN', field: ['slug'] }]);

    const missing = await fetch(`${server.url}/wallet/nobody`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as any).error.code, 'not_found');
    assert.equal((await fetch(`${server.url}/wallet/nobody/jwks.json`)).status, 404);
    assert.equal((await fetch(`${merchantWa}/did.json`)).status, 404);
  });

  it('non-interactive incoming-payment and quote grants: 200 with an access token and continue', async () => {
    const grant = await app.client.grant.request({ url: authServer }, { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read', 'list', 'complete'] }] } });
    note('POST /gnap incoming-payment (non-interactive)', 200);
    assert.ok(isFinalizedGrant(grant));
    assert.match(grant.access_token!.manage, new RegExp(`^${server.url}/gnap/token/gtok_`));
    assert.deepEqual(grant.access_token!.access, [{ type: 'incoming-payment', actions: ['create', 'read', 'list', 'complete'] }]);
    assert.equal(grant.access_token!.expires_in, 600);
    const quote = await app.client.grant.request({ url: authServer }, { access_token: { access: [{ type: 'quote', actions: ['create', 'read'] }] } });
    note('POST /gnap quote (non-interactive)', 200);
    assert.ok(isFinalizedGrant(quote));
    assert.equal((await grantState(grantIdOf(quote.continue.uri))).state, 'APPROVED');
  });

  it('refuses malformed grant requests with invalid_request or invalid_client', async () => {
    const post = async (body: unknown, client = app) => {
      const url = authServer;
      const text = JSON.stringify(body);
      const headers = await signRequest({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body: text }, { privateKey: client.privateKey, keyId: client.keyId });
      const response = await fetch(url, { method: 'POST', headers: { ...headers, accept: 'application/json' }, body: text });
      return { status: response.status, body: (await response.json()) as any };
    };
    const cases: Array<[string, unknown, number, string]> = [
      ['four items', { client: app.walletAddressUrl, access_token: { access: Array.from({ length: 4 }, (_, i) => ({ type: 'quote', actions: i % 2 ? ['read'] : ['create'] })) } }, 400, 'invalid_request'],
      ['quote with complete', { client: app.walletAddressUrl, access_token: { access: [{ type: 'quote', actions: ['complete'] }] } }, 400, 'invalid_request'],
      ['outgoing without identifier', { client: app.walletAddressUrl, access_token: { access: [{ type: 'outgoing-payment', actions: ['create'] }] } }, 400, 'invalid_request'],
      ['outgoing without interaction', { client: app.walletAddressUrl, ...outgoingAccess(payerWa) }, 400, 'invalid_request'],
      ['both amounts', { client: app.walletAddressUrl, interact: { start: ['redirect'] }, access_token: { access: [{ type: 'outgoing-payment', actions: ['create'], identifier: payerWa, limits: { debitAmount: { value: '1', assetCode: 'EUR', assetScale: 2 }, receiveAmount: { value: '1', assetCode: 'EUR', assetScale: 2 } } }] } }, 400, 'invalid_request'],
      ['bad interval', { client: app.walletAddressUrl, interact: { start: ['redirect'] }, access_token: { access: [{ type: 'outgoing-payment', actions: ['create'], identifier: payerWa, limits: { interval: 'every month' } }] } }, 400, 'invalid_request'],
      ['foreign identifier', { client: app.walletAddressUrl, interact: { start: ['redirect'] }, access_token: { access: [{ type: 'outgoing-payment', actions: ['create'], identifier: 'https://elsewhere.example/alice' }] } }, 400, 'invalid_request'],
      ['client of another shape', { client: { id: app.walletAddressUrl }, access_token: { access: [{ type: 'quote', actions: ['create'] }] } }, 400, 'invalid_client'],
      ['jwk client asking for interaction', { client: { jwk: app.jwk }, interact: { start: ['redirect'] }, ...outgoingAccess(payerWa) }, 400, 'invalid_client'],
    ];
    for (const [name, body, status, code] of cases) {
      const answer = await post(body);
      assert.equal(answer.status, status, `${name}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, code, name);
      note(`POST /gnap ${name}`, `${status} ${code}`);
    }
    // A client known by its key alone gets non-interactive access.
    const direct = await post({ client: { jwk: app.jwk }, access_token: { access: [{ type: 'quote', actions: ['create'] }] } });
    assert.equal(direct.status, 200);
    note('POST /gnap client {jwk} (non-interactive)', 200);
    const byObject = await post({ client: { walletAddress: app.walletAddressUrl }, access_token: { access: [{ type: 'quote', actions: ['create'] }] } });
    assert.equal(byObject.status, 200);
    note('POST /gnap client {walletAddress}', 200);
  });

  it('interactive grant without publicName on the client wallet address: 400 invalid_client', async () => {
    const nameless = await startOpenPaymentsClient({ publicName: null });
    try {
      await expectOpError(
        nameless.client.grant.request({ url: authServer }, { ...outgoingAccess(payerWa), interact: { start: ['redirect'], finish: { method: 'redirect', uri: FINISH, nonce: 'n' } } }),
        400,
        'invalid_client',
        'POST /gnap interactive, client without publicName',
      );
    } finally {
      await nameless.close();
    }
  });

  it('interactive outgoing-payment grant with plain HTTP forms: finish hash, too fast, continue, reused interact_ref, rotate, revoke, cancel', async () => {
    const { grant, nonce } = await requestInteractive();
    note('POST /gnap outgoing-payment (interactive)', 200);
    assert.match(grant.interact.redirect, new RegExp(`^${server.url}/gnap/interact/grant_`));
    assert.equal(grant.continue.wait, WAIT_SECONDS);
    const grantId = grantIdOf(grant.continue.uri);
    assert.equal((await grantState(grantId)).state, 'PROCESSING');

    await expectOpError(app.client.grant.continue({ url: grant.continue.uri, accessToken: grant.continue.access_token.value }), 400, 'too_fast', 'POST continue before wait');

    const browser = new FormBrowser(server.url);
    const decided = await decideByForms(browser, grant.interact.redirect, { username: 'paula', password: PASSWORD }, 'approve');
    assert.equal(decided.status, 303);
    const back = new URL(decided.location!);
    assert.equal(`${back.origin}${back.pathname}`, FINISH);
    const interactRef = back.searchParams.get('interact_ref')!;
    const hash = back.searchParams.get('hash')!;
    assert.ok(verifyFinishHash(hash, nonce, grant.interact.finish, interactRef, authServer), 'finish hash');
    assert.ok(!verifyFinishHash(hash, nonce, grant.interact.finish, `${interactRef}x`, authServer));
    assert.match(hash, /^[A-Za-z0-9_-]{43}$/, 'base64url without padding');
    const approved = await grantState(grantId);
    assert.equal(approved.state, 'APPROVED');
    // Decided: the consent page and its form are gone.
    assert.equal((await browser.get(grant.interact.redirect.replace('/gnap/interact/', '/gnap/consent/'))).status, 404);
    assert.ok(approved.approvedByUserId);

    clock.advance(WAIT_SECONDS * 1000);
    await expectOpError(
      app.client.grant.continue({ url: grant.continue.uri, accessToken: grant.continue.access_token.value }, { interact_ref: 'gref_not-the-one' }),
      404,
      'invalid_continuation',
      'POST continue with a wrong interact_ref',
    );
    const issued = (await app.client.grant.continue({ url: grant.continue.uri, accessToken: grant.continue.access_token.value }, { interact_ref: interactRef })) as Grant;
    note('POST continue {interact_ref}', 200);
    assert.deepEqual(issued.access_token!.access, outgoingAccess(payerWa).access_token.access);
    assert.deepEqual(await grantState(grantId), { ...approved, state: 'FINALIZED', finalizationReason: 'ISSUED' });

    await expectOpError(
      app.client.grant.continue({ url: issued.continue.uri, accessToken: issued.continue.access_token.value }, { interact_ref: interactRef }),
      404,
      'invalid_continuation',
      'POST continue with a used interact_ref',
    );
    await expectOpError(
      app.client.grant.continue({ url: grant.continue.uri, accessToken: grant.continue.access_token.value }, { interact_ref: interactRef }),
      401,
      'invalid_continuation',
      'POST continue with a replaced continue token',
    );

    const token = issued.access_token!;
    const rotated = await app.client.token.rotate({ url: token.manage, accessToken: token.value });
    note('POST manage (rotate)', 200);
    assert.notEqual(rotated.access_token.value, token.value);
    assert.notEqual(rotated.access_token.manage, token.manage);
    // The same call in the same second would carry the very same signature (a replay): move to the next one.
    await nextSecond();
    await expectOpError(app.client.token.rotate({ url: token.manage, accessToken: token.value }), 404, 'invalid_rotation', 'POST manage with the rotated-away token');
    // The old value is dead for the RS too.
    await assert.rejects(server.app.services.grants.authenticate({ method: 'GET', url: `${server.url}/op/x`, headers: { authorization: `GNAP ${token.value}` } }), { code: 'GNAP_TOKEN_INVALID' });

    await app.client.token.revoke({ url: rotated.access_token.manage, accessToken: rotated.access_token.value });
    note('DELETE manage (revoke)', 204);
    await expectOpError(
      app.client.token.rotate({ url: rotated.access_token.manage, accessToken: rotated.access_token.value }),
      404,
      'invalid_rotation',
      'POST manage with a revoked token',
    );

    await app.client.grant.cancel({ url: issued.continue.uri, accessToken: issued.continue.access_token.value });
    note('DELETE continue (cancel)', 204);
    assert.equal((await grantState(grantId)).finalizationReason, 'REVOKED');
  });

  it('a denied consent sends result=grant_rejected and finalizes the grant as rejected', async () => {
    const { grant } = await requestInteractive();
    const decided = await decideByForms(new FormBrowser(server.url), grant.interact.redirect, { username: 'paula', password: PASSWORD }, 'deny');
    assert.equal(decided.status, 303);
    const back = new URL(decided.location!);
    assert.equal(back.searchParams.get('result'), 'grant_rejected');
    assert.equal(back.searchParams.get('interact_ref'), null);
    assert.deepEqual(await grantState(grantIdOf(grant.continue.uri)), { state: 'FINALIZED', finalizationReason: 'REJECTED', approvedByUserId: null });
    clock.advance(WAIT_SECONDS * 1000);
    await expectOpError(app.client.grant.continue({ url: grant.continue.uri, accessToken: grant.continue.access_token.value }), 401, 'request_denied', 'POST continue after denial');
  });

  it('an approver who does not hold the identifier’s account cannot approve; the grant stays pending', async () => {
    const { grant } = await requestInteractive();
    const browser = new FormBrowser(server.url);
    const decided = await decideByForms(browser, grant.interact.redirect, { username: 'otto', password: PASSWORD }, 'approve');
    assert.equal(decided.location, null);
    assert.match(decided.text, /id="not-holder"/);
    // A hand-made approval with Otto's session and CSRF token is refused too.
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(decided.text)![1];
    const consentUrl = grant.interact.redirect.replace('/gnap/interact/', '/gnap/consent/');
    const forced = await browser.post(consentUrl, { csrf_token: csrf, decision: 'approve' });
    assert.equal(forced.status, 403);
    assert.equal((await grantState(grantIdOf(grant.continue.uri))).state, 'PENDING');
    clock.advance(WAIT_SECONDS * 1000);
    const poll = await app.client.grant.continue({ url: grant.continue.uri, accessToken: grant.continue.access_token.value });
    note('POST continue (poll while pending)', 200);
    assert.ok(!('access_token' in poll) || !poll.access_token, 'a pending poll answers continue only');
  });

  it('an interaction left past its lifetime: the consent page is gone, continuing rejects the grant', async () => {
    const { grant } = await requestInteractive();
    // Past the lifetime as the server counts it: earlier tests moved its clock ahead of the wall clock.
    clock.advance((INTERACTION_SECONDS + 1) * 1000);
    try {
      const opened = await new FormBrowser(server.url).get(grant.interact.redirect);
      assert.equal(opened.status, 404);
      await expectOpError(app.client.grant.continue({ url: grant.continue.uri, accessToken: grant.continue.access_token.value }), 401, 'request_denied', 'POST continue after the interaction expired');
      assert.deepEqual(await grantState(grantIdOf(grant.continue.uri)), { state: 'FINALIZED', finalizationReason: 'REJECTED', approvedByUserId: null });
    } finally {
      clock.set(new Date());
    }
  });

  it('a key the client just published is fetched at once; a key it withdrew stops working once the cache lapses', async () => {
    const rotating = await startOpenPaymentsClient({ publicName: 'Rotating App' });
    try {
      const quote = { access_token: { access: [{ type: 'quote' as const, actions: ['create' as const] }] } };
      assert.ok(isFinalizedGrant(await rotating.client.grant.request({ url: authServer }, quote)));
      const { privateKey } = generateKeyPairSync('ed25519');
      const newJwk = generateJwk({ privateKey, keyId: 'second-key' });
      rotating.setPublishedKeys([newJwk]);
      const renewed = await createAuthenticatedClient({ walletAddressUrl: rotating.walletAddressUrl, privateKey, keyId: 'second-key', validateResponses: true });
      assert.ok(isFinalizedGrant(await renewed.grant.request({ url: authServer }, quote)));
      note('POST /gnap signed with a key published after the JWKS was cached', 200);
      clock.set(new Date(Date.now() + 31_000));
      await expectOpError(rotating.client.grant.request({ url: authServer }, quote), 401, 'invalid_client', 'POST /gnap signed with a withdrawn key');
    } finally {
      clock.set(new Date());
      await rotating.close();
    }
  });

  it('a wallet address of this server as the client: its keys are read from the database, a revoked one stops at once', async () => {
    const id = (await server.ok(merchant.token, `{ walletAddresses { nodes { id } } }`)).walletAddresses.nodes[0].id;
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = generateJwk({ privateKey, keyId: 'shop-client-key' });
    const added = await server.ok(merchant.token, `mutation($input: AddWalletAddressKeyInput!) { addWalletAddressKey(input: $input) { userErrors { code } } }`, { input: { walletAddressId: id, jwk } });
    assert.deepEqual(added.addWalletAddressKey.userErrors, []);
    const shop = await createAuthenticatedClient({ walletAddressUrl: merchantWa, privateKey, keyId: 'shop-client-key', validateResponses: true });
    const quote = { access_token: { access: [{ type: 'quote' as const, actions: ['create' as const] }] } };
    assert.ok(isFinalizedGrant(await shop.grant.request({ url: authServer }, quote)));
    note('POST /gnap by a wallet address of this server', 200);
    await server.ok(merchant.token, `mutation($input: RevokeWalletAddressKeyInput!) { revokeWalletAddressKey(input: $input) { userErrors { code } } }`, { input: { walletAddressId: id, kid: 'shop-client-key' } });
    await expectOpError(shop.grant.request({ url: authServer }, quote), 401, 'invalid_client', 'POST /gnap signed with a revoked key of this server');
  });

  it('GraphQL: grants of the holder’s wallet addresses, revokeGrant ends the tokens', async () => {
    const grant = await app.client.grant.request({ url: authServer }, { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read'], identifier: merchantWa }] } });
    assert.ok(isFinalizedGrant(grant));
    const id = grantIdOf(grant.continue.uri);
    const list = await server.ok(merchant.token, `{ grants(first: 10) { nodes { id state client clientName accountId access { type actions identifier } } } }`);
    assert.deepEqual(list.grants.nodes.map((g: any) => g.id), [id], 'the merchant sees the grant on its wallet address only');
    assert.deepEqual(list.grants.nodes[0].access, [{ type: 'incoming-payment', actions: ['create', 'read'], identifier: merchantWa }]);
    const stranger = await server.client(undefined, 'Stranger 2');
    const refused = await server.ok(stranger.token, `mutation($input: RevokeGrantInput!) { revokeGrant(input: $input) { grant { id } userErrors { code } } }`, { input: { grantId: id } });
    assert.equal(refused.revokeGrant.userErrors[0].code, 'NOT_FOUND');
    const revoked = await server.ok(merchant.token, `mutation($input: RevokeGrantInput!) { revokeGrant(input: $input) { grant { state finalizationReason } userErrors { code } } }`, { input: { grantId: id } });
    assert.deepEqual(revoked.revokeGrant.grant, { state: 'FINALIZED', finalizationReason: 'REVOKED' });
    await expectOpError(app.client.token.rotate({ url: grant.access_token!.manage, accessToken: grant.access_token!.value }), 404, 'invalid_rotation', 'POST manage after revokeGrant');
    const all = await server.ok(operator.token, `{ grants(first: 100) { nodes { id } } }`);
    assert.ok(all.grants.nodes.length > 3, 'the operator sees every grant');
  });

  describe('request signatures at the AS', () => {
    const body = () => JSON.stringify({ client: app.walletAddressUrl, access_token: { access: [{ type: 'quote', actions: ['create'] }] } });
    const send = async (url: string, method: string, headers: Record<string, string>, text?: string) => {
      const response = await fetch(url, { method, headers: { accept: 'application/json', ...headers }, body: text });
      const json = response.status === 204 ? null : ((await response.json()) as any);
      return { status: response.status, code: json?.error?.code as string | undefined, wwwAuthenticate: response.headers.get('www-authenticate') };
    };
    const signed = (url: string, text: string, key = { privateKey: app.privateKey, keyId: app.keyId }, method = 'POST', extra: Record<string, string> = {}) =>
      signRequest({ method, url, headers: { 'content-type': 'application/json', ...extra }, body: text }, key);
    const expect401 = (answer: { status: number; code?: string; wwwAuthenticate: string | null }, call: string) => {
      assert.equal(answer.status, 401, call);
      assert.equal(answer.code, 'invalid_client', call);
      assert.equal(answer.wwwAuthenticate, `GNAP as_uri=${authServer}`);
      note(call, '401 invalid_client');
    };

    it('unsigned, badly signed, digest mismatch, wrong key: 401 invalid_client', async () => {
      const text = body();
      expect401(await send(authServer, 'POST', { 'content-type': 'application/json' }, text), 'POST /gnap unsigned');
      const headers = await signed(authServer, text);
      const sig = Buffer.from(headers.signature.slice(6, -1), 'base64');
      sig[0] ^= 0xff;
      expect401(await send(authServer, 'POST', { ...headers, signature: `sig1=:${sig.toString('base64')}:` }, text), 'POST /gnap badly signed');
      const tampered = text.replace('"create"', '"crea7e"');
      expect401(await send(authServer, 'POST', await signed(authServer, text), tampered), 'POST /gnap content-digest mismatch');
      const { privateKey } = generateKeyPairSync('ed25519');
      expect401(await send(authServer, 'POST', await signed(authServer, text, { privateKey, keyId: 'not-published' }), text), 'POST /gnap keyid not in the client JWKS');
      expect401(await send(authServer, 'POST', await signed(authServer, text, { privateKey, keyId: app.keyId }), text), 'POST /gnap published keyid, other key');
      // A body whose digest the signature does not cover.
      const partial = await signRequest({ method: 'POST', url: authServer, headers: {} }, { privateKey: app.privateKey, keyId: app.keyId });
      expect401(await send(authServer, 'POST', { ...partial, 'content-type': 'application/json' }, text), 'POST /gnap body without content-digest covered');
    });

    it('a signature whose created is outside the window, and a replayed one: 401', async () => {
      const text = body();
      const headers = await signed(authServer, text);
      // The server's clock stands still between moves while the client signs with the real time.
      clock.set(new Date(Date.now() + 301_000));
      try {
        expect401(await send(authServer, 'POST', headers, text), 'POST /gnap stale created');
      } finally {
        clock.set(new Date());
      }
      const fresh = await signed(authServer, text);
      assert.equal((await send(authServer, 'POST', fresh, text)).status, 200);
      expect401(await send(authServer, 'POST', fresh, text), 'POST /gnap replayed signature');
    });

    it('a token or continuation used with another client’s signature is refused', async () => {
      const grant = await app.client.grant.request({ url: authServer }, { access_token: { access: [{ type: 'quote', actions: ['create'] }] } });
      assert.ok(isFinalizedGrant(grant));
      await expectOpError(other.client.token.rotate({ url: grant.access_token!.manage, accessToken: grant.access_token!.value }), 401, 'invalid_client', 'POST manage signed by another client');
      await expectOpError(other.client.token.revoke({ url: grant.access_token!.manage, accessToken: grant.access_token!.value }), 401, 'invalid_client', 'DELETE manage signed by another client');
      await expectOpError(other.client.grant.cancel({ url: grant.continue.uri, accessToken: grant.continue.access_token.value }), 401, 'invalid_client', 'DELETE continue signed by another client');
      await assert.rejects(
        server.app.services.grants.authenticate({ method: 'GET', url: `${server.url}/op/x`, headers: { authorization: `GNAP ${grant.access_token!.value}` } }),
        { code: 'SIGNATURE_INVALID' },
      );
      const rs = `${server.url}/op/quotes/x`;
      const rsHeaders = await signRequest({ method: 'GET', url: rs, headers: { authorization: `GNAP ${grant.access_token!.value}` } }, { privateKey: other.privateKey, keyId: other.keyId });
      await assert.rejects(server.app.services.grants.authenticate({ method: 'GET', url: rs, headers: { authorization: `GNAP ${grant.access_token!.value}`, ...rsHeaders } }), { code: 'SIGNATURE_INVALID' });
      const own = await signRequest({ method: 'GET', url: rs, headers: { authorization: `GNAP ${grant.access_token!.value}` } }, { privateKey: app.privateKey, keyId: app.keyId });
      const access = await server.app.services.grants.authenticate({ method: 'GET', url: rs, headers: { authorization: `GNAP ${grant.access_token!.value}`, ...own } });
      assert.equal(access.clientWalletAddress, app.walletAddressUrl);
      assert.deepEqual(access.access, [{ type: 'quote', actions: ['create'] }]);
      // Still usable by its own client: rotate works.
      await app.client.token.rotate({ url: grant.access_token!.manage, accessToken: grant.access_token!.value });
      await expectOpError(app.client.token.rotate({ url: `${authServer}/token/gtok_unknown`, accessToken: 'gtok_x' }), 404, 'invalid_rotation', 'POST manage unknown token');
      await expectOpError(app.client.grant.continue({ url: `${authServer}/continue/grant_unknown`, accessToken: 'gcont_x' }), 404, 'invalid_continuation', 'POST continue unknown grant');
    });

    it('the scheduler sweeps accepted signatures once they would be stale anyway', async () => {
      const em = server.app.services.db.reader();
      assert.ok((await em.count(SeenSignature, {})) > 10);
      clock.advance(20 * 60_000);
      await server.app.services.scheduler.runDue();
      assert.equal(await em.fork().count(SeenSignature, {}), 0);
    });
  });
});
