import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isFinalizedGrant } from '@interledger/open-payments';
import { EUR, assertBooksBalance, balances, nonInteractiveGrant, outgoingGrant, startWorld, type OpenPaymentsWorld } from './support/open-payments-world';

/**
 * Two Paygrid instances, each with its own database: Alice's wallet on the first pays the shop's
 * incoming payment on the second, driven by the official client (validateResponses on). The first
 * resolves the remote receiver (public read, a grant on the second's AS, authenticated read),
 * quotes it, reserves, sends a signed idempotent peer transfer, and posts against its peer account.
 */
describe('Open Payments between two Paygrid instances', () => {
  let sender: OpenPaymentsWorld;
  let receiver: OpenPaymentsWorld;
  let peerOnSender: string;
  let peerOnReceiver: string;
  let incomingToken: string;
  let quoteToken: string;
  let serial = 0;

  async function configurePeer(on: OpenPaymentsWorld, other: OpenPaymentsWorld, creditLimit = '100.00'): Promise<string> {
    const jwks = (await (await fetch(`${other.server.url}/.well-known/pay/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
    const doc = (await (await fetch(`${other.server.url}/.well-known/pay`)).json()) as { id: string };
    const created = await on.server.ok(
      on.operator.token,
      `mutation($input: CreatePeerInput!) { createPeer(input: $input) { peer { id } userErrors { code field } } }`,
      { input: { name: 'Other instance', opOrigin: other.server.url, assetCode: 'EUR', creditLimit, walletAddress: doc.id, keys: jwks.keys.map(({ kid, kty, crv, alg, x }) => ({ kid, kty, crv, alg, x })) } },
    );
    assert.deepEqual(created.createPeer.userErrors, []);
    return created.createPeer.peer.id;
  }
  const position = async (on: OpenPaymentsWorld, peerId: string) => BigInt((await on.server.ok(on.operator.token, `{ peers { id position } }`)).peers.find((p: any) => p.id === peerId).position);
  const newIncoming = (value: string) =>
    sender.app.client.incomingPayment.create({ url: `${receiver.server.url}/op`, accessToken: incomingToken }, { walletAddress: receiver.shop.walletAddress, incomingAmount: EUR(value), metadata: { serial: ++serial } });
  const quoteFor = (receiverUrl: string) => sender.app.client.quote.create({ url: `${sender.server.url}/op`, accessToken: quoteToken }, { walletAddress: sender.holders.alice.walletAddress, receiver: receiverUrl, method: 'ilp' });

  before(async () => {
    sender = await startWorld({ alice: '100.00' });
    receiver = await startWorld({});
    peerOnSender = await configurePeer(sender, receiver);
    peerOnReceiver = await configurePeer(receiver, sender);
    const grant = await sender.app.client.grant.request({ url: receiver.authServer }, { access_token: { access: [{ type: 'incoming-payment', actions: ['create', 'read', 'list', 'complete'] }] } });
    assert.ok(isFinalizedGrant(grant));
    incomingToken = grant.access_token!.value;
    quoteToken = (await nonInteractiveGrant(sender, [{ type: 'quote', actions: ['create', 'read'] }])).access_token!.value;
  });
  after(async () => {
    await sender?.close();
    await receiver?.close();
  });

  it('pays an incoming payment on the other instance, once, with mirrored peer positions', async () => {
    const ip = await newIncoming('2500');
    const quote = await quoteFor(ip.id);
    assert.equal(quote.receiver, ip.id);
    assert.deepEqual(quote.receiveAmount, EUR('2500'));
    assert.deepEqual(quote.debitAmount, EUR('2500'));
    const { grant } = await outgoingGrant(sender, sender.holders.alice, { debitAmount: EUR('5000') });
    const before = await balances(sender, sender.holders.alice.accountId);
    const paid = await sender.app.client.outgoingPayment.create({ url: `${sender.server.url}/op`, accessToken: grant.access_token!.value }, { walletAddress: sender.holders.alice.walletAddress, quoteId: quote.id });
    assert.equal(paid.failed, false);
    assert.deepEqual(paid.sentAmount, EUR('2500'));
    assert.equal(paid.receiver, ip.id);
    const seen = await sender.app.client.incomingPayment.get({ url: ip.id, accessToken: incomingToken });
    assert.equal(seen.completed, true);
    assert.deepEqual(seen.receivedAmount, EUR('2500'));
    const after = await balances(sender, sender.holders.alice.accountId);
    assert.equal(before.posted - after.posted, 2500n);
    assert.equal(after.reserved, 0n);
    assert.equal(await position(receiver, peerOnReceiver), 2500n, 'the sender owes the receiver');
    assert.equal((await position(sender, peerOnSender)) + (await position(receiver, peerOnReceiver)), 0n, 'positions mirror');
    await assertBooksBalance(sender);
    await assertBooksBalance(receiver);
  });

  it('keeps the reservation while the peer answers 500, and completes once when the scheduler resends', async () => {
    const ip = await newIncoming('1000');
    const quote = await quoteFor(ip.id);
    const { grant } = await outgoingGrant(sender, sender.holders.alice, { debitAmount: EUR('5000') });
    const peers = receiver.server.app.services.peers;
    const original = peers.receiveTransfer.bind(peers);
    let failures = 0;
    peers.receiveTransfer = async () => {
      failures++;
      throw new Error('the receiving instance fails');
    };
    let paid;
    try {
      paid = await sender.app.client.outgoingPayment.create({ url: `${sender.server.url}/op`, accessToken: grant.access_token!.value }, { walletAddress: sender.holders.alice.walletAddress, quoteId: quote.id });
    } finally {
      peers.receiveTransfer = original;
    }
    assert.equal(failures, 1);
    assert.equal(paid.failed, false);
    assert.deepEqual(paid.sentAmount, EUR('0'), 'not sent yet');
    assert.equal((await balances(sender, sender.holders.alice.accountId)).reserved, 1000n, 'the reservation is held');
    await assertBooksBalance(sender);
    sender.clock.advance(120_000);
    await sender.server.app.services.scheduler.runDue();
    const done = await sender.app.client.outgoingPayment.get({ url: paid.id, accessToken: grant.access_token!.value });
    assert.deepEqual(done.sentAmount, EUR('1000'));
    assert.equal((await balances(sender, sender.holders.alice.accountId)).reserved, 0n);
    assert.deepEqual((await sender.app.client.incomingPayment.get({ url: ip.id, accessToken: incomingToken })).receivedAmount, EUR('1000'), 'credited once');
    assert.equal((await position(sender, peerOnSender)) + (await position(receiver, peerOnReceiver)), 0n, 'positions mirror');
    await assertBooksBalance(sender);
    await assertBooksBalance(receiver);
  });

  it('completes once when the receiver credits and then fails before answering (the retry gets the stored answer)', async () => {
    const ip = await newIncoming('700');
    const quote = await quoteFor(ip.id);
    const { grant } = await outgoingGrant(sender, sender.holders.alice, { debitAmount: EUR('5000') });
    const peers = receiver.server.app.services.peers;
    const original = peers.receiveTransfer.bind(peers);
    peers.receiveTransfer = async (peer, request) => {
      await original(peer, request);
      throw new Error('lost before answering');
    };
    let paid;
    try {
      paid = await sender.app.client.outgoingPayment.create({ url: `${sender.server.url}/op`, accessToken: grant.access_token!.value }, { walletAddress: sender.holders.alice.walletAddress, quoteId: quote.id });
    } finally {
      peers.receiveTransfer = original;
    }
    assert.deepEqual(paid.sentAmount, EUR('0'));
    assert.deepEqual((await sender.app.client.incomingPayment.get({ url: ip.id, accessToken: incomingToken })).receivedAmount, EUR('700'), 'credited on the receiver');
    sender.clock.advance(120_000);
    await sender.server.app.services.scheduler.runDue();
    const done = await sender.app.client.outgoingPayment.get({ url: paid.id, accessToken: grant.access_token!.value });
    assert.deepEqual(done.sentAmount, EUR('700'));
    assert.deepEqual((await sender.app.client.incomingPayment.get({ url: ip.id, accessToken: incomingToken })).receivedAmount, EUR('700'), 'credited once');
    assert.equal((await balances(sender, sender.holders.alice.accountId)).reserved, 0n);
    assert.equal((await position(sender, peerOnSender)) + (await position(receiver, peerOnReceiver)), 0n, 'positions mirror');
    await assertBooksBalance(sender);
    await assertBooksBalance(receiver);
  });

  it('completes once when the sender fails after the peer answered and before posting (the resend is answered from the stored transfer)', async () => {
    const ip = await newIncoming('300');
    const quote = await quoteFor(ip.id);
    const { grant } = await outgoingGrant(sender, sender.holders.alice, { debitAmount: EUR('5000') });
    const outgoing = sender.server.app.services.outgoingPayments;
    const original = outgoing.finishRemote.bind(outgoing);
    let crashes = 0;
    outgoing.finishRemote = async () => {
      crashes++;
      throw new Error('the sender dies before posting');
    };
    let paid;
    try {
      paid = await sender.app.client.outgoingPayment.create({ url: `${sender.server.url}/op`, accessToken: grant.access_token!.value }, { walletAddress: sender.holders.alice.walletAddress, quoteId: quote.id });
    } catch {
      paid = null;
    } finally {
      outgoing.finishRemote = original;
    }
    assert.equal(crashes, 1);
    assert.equal((await balances(sender, sender.holders.alice.accountId)).reserved, 300n, 'the reservation is held');
    sender.clock.advance(120_000);
    await sender.server.app.services.scheduler.runDue();
    const list = await sender.app.client.outgoingPayment.list({ url: `${sender.server.url}/op`, walletAddress: sender.holders.alice.walletAddress, accessToken: grant.access_token!.value });
    const done = list.result.find((p) => p.quoteId === quote.id)!;
    assert.equal(paid, null, 'the crash reached the client as an error');
    assert.deepEqual(done.sentAmount, EUR('300'));
    assert.deepEqual((await sender.app.client.incomingPayment.get({ url: ip.id, accessToken: incomingToken })).receivedAmount, EUR('300'), 'credited once');
    assert.equal((await balances(sender, sender.holders.alice.accountId)).reserved, 0n);
    assert.equal((await position(sender, peerOnSender)) + (await position(receiver, peerOnReceiver)), 0n, 'positions mirror');
    await assertBooksBalance(sender);
    await assertBooksBalance(receiver);
  });

  it('sends the transfer of a payment whose process died after funding it and before sending (the funding transaction scheduled a send)', async () => {
    const ip = await newIncoming('200');
    const quote = await quoteFor(ip.id);
    const { grant } = await outgoingGrant(sender, sender.holders.alice, { debitAmount: EUR('5000') });
    const remote = (sender.server.app.services.outgoingPayments as unknown as { remote: { send(paymentId: string): Promise<void> } }).remote;
    const original = remote.send;
    remote.send = async () => {
      throw new Error('the sender dies before sending');
    };
    let paid;
    try {
      paid = await sender.app.client.outgoingPayment.create({ url: `${sender.server.url}/op`, accessToken: grant.access_token!.value }, { walletAddress: sender.holders.alice.walletAddress, quoteId: quote.id });
    } catch {
      paid = null;
    } finally {
      remote.send = original;
    }
    assert.equal(paid, null, 'the crash reached the client as an error');
    assert.equal((await balances(sender, sender.holders.alice.accountId)).reserved, 200n, 'funded: the reservation is held');
    assert.deepEqual((await sender.app.client.incomingPayment.get({ url: ip.id, accessToken: incomingToken })).receivedAmount, EUR('0'), 'nothing sent yet');
    sender.clock.advance(120_000);
    await sender.server.app.services.scheduler.runDue();
    const list = await sender.app.client.outgoingPayment.list({ url: `${sender.server.url}/op`, walletAddress: sender.holders.alice.walletAddress, accessToken: grant.access_token!.value });
    assert.deepEqual(list.result.find((p) => p.quoteId === quote.id)!.sentAmount, EUR('200'));
    assert.deepEqual((await sender.app.client.incomingPayment.get({ url: ip.id, accessToken: incomingToken })).receivedAmount, EUR('200'), 'credited once');
    assert.equal((await balances(sender, sender.holders.alice.accountId)).reserved, 0n);
    assert.equal((await position(sender, peerOnSender)) + (await position(receiver, peerOnReceiver)), 0n, 'positions mirror');
    await assertBooksBalance(sender);
    await assertBooksBalance(receiver);
  });

  it('pays an incoming payment on the other instance from incomingPayment + debitAmount, without a quote, as a local one', async () => {
    const ip = await newIncoming('400');
    const { grant } = await outgoingGrant(sender, sender.holders.alice, { debitAmount: EUR('5000') });
    const create = (incomingPayment: string, debitAmount: string) =>
      sender.app.client.outgoingPayment.create({ url: `${sender.server.url}/op`, accessToken: grant.access_token!.value }, { walletAddress: sender.holders.alice.walletAddress, incomingPayment, debitAmount: EUR(debitAmount) });
    const before = await balances(sender, sender.holders.alice.accountId);
    const owed = await position(receiver, peerOnReceiver);
    const paid = await create(ip.id, '400');
    assert.equal(paid.failed, false);
    assert.equal(paid.receiver, ip.id);
    assert.equal(paid.quoteId, undefined);
    assert.deepEqual(paid.debitAmount, EUR('400'));
    assert.deepEqual(paid.sentAmount, EUR('400'));
    const seen = await sender.app.client.incomingPayment.get({ url: ip.id, accessToken: incomingToken });
    assert.equal(seen.completed, true);
    assert.deepEqual(seen.receivedAmount, EUR('400'));
    assert.equal(before.posted - (await balances(sender, sender.holders.alice.accountId)).posted, 400n);
    assert.equal((await position(receiver, peerOnReceiver)) - owed, 400n);
    // More than the remote incoming payment expects: refused before anything is reserved or sent.
    const small = await newIncoming('100');
    await assert.rejects(create(small.id, '150'), (error: any) => error.status === 400);
    assert.deepEqual(await balances(sender, sender.holders.alice.accountId), { posted: before.posted - 400n, reserved: 0n });
    assert.deepEqual((await sender.app.client.incomingPayment.get({ url: small.id, accessToken: incomingToken })).receivedAmount, EUR('0'));
    assert.equal((await position(sender, peerOnSender)) + (await position(receiver, peerOnReceiver)), 0n, 'positions mirror');
    await assertBooksBalance(sender);
    await assertBooksBalance(receiver);
  });

  it('fails the payment and releases its reservation when the peer refuses (over its credit limit), moving nothing there', async () => {
    const owed = await position(receiver, peerOnReceiver);
    const ip = await newIncoming(String(10000n - owed + 100n));
    const quote = await quoteFor(ip.id);
    const { grant } = await outgoingGrant(sender, sender.holders.alice, { debitAmount: EUR(String(10000n - owed + 100n)) });
    const before = await balances(sender, sender.holders.alice.accountId);
    const paid = await sender.app.client.outgoingPayment.create({ url: `${sender.server.url}/op`, accessToken: grant.access_token!.value }, { walletAddress: sender.holders.alice.walletAddress, quoteId: quote.id });
    assert.equal(paid.failed, true);
    assert.deepEqual(paid.sentAmount, EUR('0'));
    assert.deepEqual(await balances(sender, sender.holders.alice.accountId), before, 'nothing debited, nothing reserved');
    assert.deepEqual((await sender.app.client.incomingPayment.get({ url: ip.id, accessToken: incomingToken })).receivedAmount, EUR('0'));
    assert.equal(await position(receiver, peerOnReceiver), owed);
    assert.equal((await position(sender, peerOnSender)) + (await position(receiver, peerOnReceiver)), 0n);
    // The grant's whole allowance went to the refused payment; it was given back, so another one fits.
    const small = await newIncoming('100');
    const next = await sender.app.client.outgoingPayment.create({ url: `${sender.server.url}/op`, accessToken: grant.access_token!.value }, { walletAddress: sender.holders.alice.walletAddress, quoteId: (await quoteFor(small.id)).id });
    assert.equal(next.failed, false);
    assert.deepEqual(next.sentAmount, EUR('100'));
    assert.equal((await position(sender, peerOnSender)) + (await position(receiver, peerOnReceiver)), 0n);
    await assertBooksBalance(sender);
    await assertBooksBalance(receiver);
  });

  it('reconciles: each side fetches the other’s view of their position, and the difference is zero', async () => {
    for (const [on, peerId] of [[sender, peerOnSender], [receiver, peerOnReceiver]] as const) {
      const { peerPositions } = await on.server.ok(on.operator.token, `{ peerPositions { peer { id } position peerPosition difference } }`);
      const row = peerPositions.find((p: any) => p.peer.id === peerId);
      assert.equal(BigInt(row.position), await position(on, peerId));
      assert.equal(BigInt(row.peerPosition), -BigInt(row.position));
      assert.equal(row.difference, '0');
      assert.notEqual(row.position, '0', 'money moved between them');
    }
  });

  it('records an out-of-band settlement on each side: both positions come back to zero, and a repeat changes nothing', async () => {
    const owed = await position(receiver, peerOnReceiver);
    assert.ok(owed > 0n);
    const amount = `${owed / 100n}.${String(owed % 100n).padStart(2, '0')}`;
    const settle = (on: OpenPaymentsWorld, peerId: string, direction: string, idempotencyKey: string) =>
      on.server.ok(on.operator.token, `mutation($input: RecordPeerSettlementInput!) { recordPeerSettlement(input: $input) { peer { position } userErrors { code field } } }`, {
        input: { peerId, amount, direction, reference: 'bank transfer 42', idempotencyKey },
      });
    const paid = await settle(sender, peerOnSender, 'PAID', 'settle-1');
    assert.deepEqual(paid.recordPeerSettlement.userErrors, []);
    assert.equal(paid.recordPeerSettlement.peer.position, '0');
    const got = await settle(receiver, peerOnReceiver, 'RECEIVED', 'settle-1');
    assert.equal(got.recordPeerSettlement.peer.position, '0');
    assert.equal((await settle(receiver, peerOnReceiver, 'RECEIVED', 'settle-1')).recordPeerSettlement.peer.position, '0', 'a repeat moves nothing');
    const { peerPositions } = await sender.server.ok(sender.operator.token, `{ peerPositions { peer { id } position peerPosition difference } }`);
    assert.deepEqual(peerPositions.find((p: any) => p.peer.id === peerOnSender), { peer: { id: peerOnSender }, position: '0', peerPosition: '0', difference: '0' });
    const unknown = await sender.server.ok(sender.operator.token, `mutation { recordPeerSettlement(input: { peerId: "peer_none", amount: "1.00", direction: PAID, idempotencyKey: "settle-2" }) { peer { id } userErrors { code field } } }`);
    assert.deepEqual(unknown.recordPeerSettlement.userErrors, [{ code: 'NOT_FOUND', field: ['peerId'] }]);
    await assertBooksBalance(sender);
    await assertBooksBalance(receiver);
  });

  it('refuses to quote a receiver on an instance that is not a peer', async () => {
    await assert.rejects(quoteFor('http://127.0.0.1:9/op/incoming-payments/pay_01JZ0000000000000000000000'), (error: any) => error.status === 400 || error.status === 404);
  });
});
