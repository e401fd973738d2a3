import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generateJwk } from '@interledger/http-signature-utils';
import { signRequest } from '../src/open-payments/signatures/http-signatures';
import { EUR, assertBooksBalance, balances, nonInteractiveGrant, startWorld, type OpenPaymentsWorld } from './support/open-payments-world';

/**
 * The receiving side of peering: a peer instance configured by the operator sends signed,
 * idempotent transfers that credit an incoming payment here from the peer's account, within its
 * credit line. The peer is played by a key of the test's own.
 */
describe('Open Payments peering: receiving peer transfers', () => {
  let world: OpenPaymentsWorld;
  let incomingToken: string;
  const peerKeyId = 'peer-instance-1';
  const { privateKey } = generateKeyPairSync('ed25519');
  const peerJwk = generateJwk({ privateKey, keyId: peerKeyId });
  let peer: { id: string; accountId: string };
  let serial = 0;

  const createPeerMutation = `mutation($input: CreatePeerInput!) { createPeer(input: $input) { peer { id accountId creditLimit position keyIds } userErrors { code field } } }`;
  const peerInput = (over: Record<string, unknown> = {}) => ({
    name: 'Instance one',
    opOrigin: 'http://127.0.0.1:4841',
    assetCode: 'EUR',
    creditLimit: '50.00',
    walletAddress: 'http://127.0.0.1:4841/.well-known/pay',
    keys: [{ kid: peerJwk.kid, kty: peerJwk.kty, crv: peerJwk.crv, alg: peerJwk.alg, x: peerJwk.x }],
    ...over,
  });

  const transfersUrl = () => `${world.server.url}/peer/v1/transfers`;
  async function send(body: unknown, key: { privateKey: typeof privateKey; keyId: string } = { privateKey, keyId: peerKeyId }) {
    const text = JSON.stringify(body);
    const headers = await signRequest({ method: 'POST', url: transfersUrl(), body: text }, key);
    const response = await fetch(transfersUrl(), { method: 'POST', headers, body: text });
    return { status: response.status, json: (await response.json()) as any };
  }
  const newIncoming = (value: string) =>
    world.app.client.incomingPayment.create({ url: `${world.server.url}/op`, accessToken: incomingToken }, { walletAddress: world.shop.walletAddress, incomingAmount: EUR(value), metadata: { serial: ++serial } });
  const received = async (url: string) => (await world.app.client.incomingPayment.get({ url, accessToken: incomingToken })).receivedAmount.value;
  const position = async () => (await world.server.ok(world.operator.token, `{ peers { id position } }`)).peers.find((p: any) => p.id === peer.id).position;

  before(async () => {
    world = await startWorld({});
    incomingToken = (await nonInteractiveGrant(world, [{ type: 'incoming-payment', actions: ['create', 'read', 'list', 'complete'] }])).access_token!.value;
    const created = await world.server.ok(world.operator.token, createPeerMutation, { input: peerInput() });
    assert.deepEqual(created.createPeer.userErrors, []);
    peer = created.createPeer.peer;
    assert.equal(created.createPeer.peer.creditLimit, '5000');
    assert.deepEqual(created.createPeer.peer.keyIds, [peerKeyId]);
  });
  after(() => world?.close());

  it('configures peers for the operator only, and refuses bad input with the field at fault', async () => {
    const asMerchant = await world.server.gql(world.merchant.token, createPeerMutation, { input: peerInput({ opOrigin: 'http://127.0.0.1:4999', keys: [] }) });
    assert.ok(asMerchant.errors?.length, 'a merchant cannot configure peers');
    assert.ok((await world.server.gql(world.merchant.token, `{ peers { id } }`)).errors?.length, 'nor read them');
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ opOrigin: 'ftp://peer.example' }, 'INVALID_INPUT', 'opOrigin'],
      [{ opOrigin: 'http://127.0.0.1:4843', creditLimit: '-1' }, 'AMOUNT_NOT_POSITIVE', 'creditLimit'],
      [{ opOrigin: 'http://127.0.0.1:4843', keys: [{ ...peerInput().keys[0], kid: 'other', x: 'short' }] }, 'JWK_INVALID', 'keys.0.x'],
      [{ opOrigin: 'http://127.0.0.1:4843' }, 'INVALID_INPUT', 'keys'],
      [{}, 'INVALID_INPUT', 'opOrigin'],
    ];
    for (const [over, code, field] of cases) {
      const result = await world.server.ok(world.operator.token, createPeerMutation, { input: peerInput(over) });
      assert.equal(result.createPeer.peer, null, JSON.stringify(over));
      assert.deepEqual(result.createPeer.userErrors.map((e: any) => [e.code, e.field?.join(".")]), [[code, field]], JSON.stringify(over));
    }
    assert.equal((await world.server.ok(world.operator.token, `{ peers { id } }`)).peers.length, 1, 'nothing half-written');
  });

  it('credits an incoming payment once per transfer id, and answers a repeat as the first time', async () => {
    const ip = await newIncoming('1000');
    const before = await balances(world, world.shop.accountId);
    const body = { id: 'transfer-1', incomingPayment: ip.id, amount: EUR('1000'), outgoingPayment: 'http://127.0.0.1:4841/op/outgoing-payments/pay_1' };
    const first = await send(body);
    assert.equal(first.status, 201, JSON.stringify(first.json));
    assert.deepEqual(first.json, { id: 'transfer-1', amount: EUR('1000'), incomingPayment: ip.id, receivedAmount: EUR('1000'), completed: true });
    const again = await send(body);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, first.json);
    assert.equal(await received(ip.id), '1000');
    assert.equal((await balances(world, world.shop.accountId)).posted - before.posted, 1000n, 'credited once');
    assert.equal(await position(), '1000', 'the peer owes what it sent');
    const reused = await send({ ...body, amount: EUR('999') });
    assert.equal(reused.status, 409);
    assert.equal(reused.json.error.code, 'transfer_id_reused');
    await assertBooksBalance(world);
  });

  it('refuses an unsigned, unknown-key or badly signed request, changing nothing; a duplicate delivery is answered as the first', async () => {
    const ip = await newIncoming('100');
    const body = { id: 'transfer-bad', incomingPayment: ip.id, amount: EUR('100'), outgoingPayment: 'http://127.0.0.1:4841/op/outgoing-payments/pay_2' };
    const unsigned = await fetch(transfersUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(unsigned.status, 401);
    const stranger = generateKeyPairSync('ed25519').privateKey;
    assert.equal((await send(body, { privateKey: stranger, keyId: 'someone-else' })).status, 401, 'a key of no peer');
    const forged = await send(body, { privateKey: stranger, keyId: peerKeyId });
    assert.equal(forged.status, 401, 'the peer’s key id, another key');
    assert.equal(forged.json.error.code, 'invalid_client');
    const text = JSON.stringify(body);
    const headers = await signRequest({ method: 'POST', url: transfersUrl(), body: text }, { privateKey, keyId: peerKeyId });
    const tampered = await fetch(transfersUrl(), { method: 'POST', headers, body: JSON.stringify({ ...body, amount: EUR('200') }) });
    assert.equal(tampered.status, 401, 'a body that is not the one signed');
    assert.equal((await fetch(transfersUrl(), { method: 'POST', headers, body: text })).status, 201);
    const duplicate = await fetch(transfersUrl(), { method: 'POST', headers, body: text });
    assert.equal(duplicate.status, 200, 'the same bytes delivered twice get the first answer, and move nothing more');
    assert.equal(await received(ip.id), '100');
    await assertBooksBalance(world);
  });

  it('answers one transfer delivered several times at once as one: credited once, no delivery refused', async () => {
    const ip = await newIncoming('250');
    const before = await balances(world, world.shop.accountId);
    const body = { id: 'transfer-race', incomingPayment: ip.id, amount: EUR('250'), outgoingPayment: 'http://127.0.0.1:4841/op/outgoing-payments/pay_6' };
    // The first completes the incoming payment: a late duplicate must not be refused as "completed".
    const answers = await Promise.all([send(body), send(body), send(body), send(body)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 201], JSON.stringify(answers.map((a) => a.json)));
    assert.equal(new Set(answers.map((a) => JSON.stringify(a.json))).size, 1, 'every delivery gets the same answer');
    assert.equal(await received(ip.id), '250');
    assert.equal((await balances(world, world.shop.accountId)).posted - before.posted, 250n, 'credited once');
    await assertBooksBalance(world);
  });

  it('refuses a transfer beyond the credit limit or beyond what the incoming payment expects, moving nothing', async () => {
    const owed = BigInt(await position());
    const ip = await newIncoming('10000');
    const over = await send({ id: 'transfer-over', incomingPayment: ip.id, amount: EUR(String(5000n - owed + 1n)), outgoingPayment: 'http://127.0.0.1:4841/op/outgoing-payments/pay_3' });
    assert.equal(over.status, 403);
    assert.equal(over.json.error.code, 'credit_limit_exceeded');
    assert.equal(await received(ip.id), '0');
    assert.equal(await position(), String(owed));
    const small = await newIncoming('100');
    const beyond = await send({ id: 'transfer-beyond', incomingPayment: small.id, amount: EUR('101'), outgoingPayment: 'http://127.0.0.1:4841/op/outgoing-payments/pay_4' });
    assert.equal(beyond.status, 409);
    assert.equal(beyond.json.error.code, 'receiver_invalid');
    const exact = await send({ id: 'transfer-limit', incomingPayment: ip.id, amount: EUR(String(5000n - owed)), outgoingPayment: 'http://127.0.0.1:4841/op/outgoing-payments/pay_5' });
    assert.equal(exact.status, 201, 'up to the limit exactly');
    assert.equal(await position(), '5000');
    await assertBooksBalance(world);
  });
});
