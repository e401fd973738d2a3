import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { DEMO_MERCHANT, DEMO_OPERATOR } from '../src/demo/demo-data';
import { FaultProxy, type SeenRequest } from './support/fault-proxy';
import { InstanceProcess, freePort } from './support/instance-process';

/**
 * Exactly-once peer transfers between two Paygrid processes (`node dist/src/main.js`, each with its
 * own database), with real faults: either side killed with SIGKILL mid-transfer and started again
 * on the same database and port, a peer answering 500 before 200, an answer that comes too late,
 * and the same signed transfer delivered several times. The receiver sits behind a proxy (its
 * PUBLIC_URL) that injects the network's faults. After each scenario: both ledgers sum to zero per
 * asset, the peer positions mirror, every payment is completed or failed with nothing reserved, and
 * each completed payment was credited once and debited once.
 */

const TRANSFERS = '/peer/v1/transfers';
/** Short enough for a test, long enough for a loaded machine's transfer to finish in time. */
const SENDER_ENV = { OUTBOUND_TIMEOUT_MS: '3000', PROVIDER_CALL_LEASE_SECONDS: '6' };
const SETTLE_TIMEOUT_MS = 90_000;

interface Node {
  instance: InstanceProcess;
  /** Where GraphQL is reached (directly, not through the proxy). */
  url: string;
  operator: string;
  merchant: string;
}

async function token(url: string, id: string, secret: string): Promise<string> {
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  const json = (await response.json()) as { access_token?: string };
  assert.ok(json.access_token, JSON.stringify(json));
  return json.access_token;
}

async function gql(url: string, bearer: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query, variables }) });
  const json = (await response.json()) as { data?: any; errors?: unknown[] };
  if (json.errors?.length || !json.data) throw new Error(`GraphQL errors: ${JSON.stringify(json.errors)}`);
  return json.data;
}

const key = (what: string) => `${what}-${randomBytes(6).toString('hex')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isTransfer = (r: SeenRequest) => r.method === 'POST' && r.path === TRANSFERS;
const transferId = (r: SeenRequest) => (JSON.parse(r.body.toString('utf8')) as { id: string }).id;

interface Planned {
  quoteId: string;
  incomingId: string;
  receive: bigint;
  debit: bigint;
}

describe('Open Payments peering under faults (two processes)', () => {
  let sender: Node;
  let receiver: Node;
  let proxy: FaultProxy;
  let payerWallet: string;
  let payerAccount: string;
  let shopWallet: string;
  let peerOnSender: string;
  let peerOnReceiver: string;

  async function connect(instance: InstanceProcess): Promise<Node> {
    const url = instance.directUrl;
    return { instance, url, operator: await token(url, DEMO_OPERATOR.id, DEMO_OPERATOR.secret), merchant: await token(url, DEMO_MERCHANT.id, DEMO_MERCHANT.secret) };
  }

  async function configurePeer(on: Node, otherOrigin: string): Promise<string> {
    const doc = (await (await fetch(`${otherOrigin}/.well-known/pay`)).json()) as { id: string };
    const jwks = (await (await fetch(`${otherOrigin}/.well-known/pay/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
    const created = await gql(on.url, on.operator, `mutation($input: CreatePeerInput!) { createPeer(input: $input) { peer { id } userErrors { code field } } }`, {
      input: { name: 'Other instance', opOrigin: otherOrigin, assetCode: 'EUR', creditLimit: '400.00', walletAddress: doc.id, keys: jwks.keys.map(({ kid, kty, crv, alg, x }) => ({ kid, kty, crv, alg, x })) },
    });
    assert.deepEqual(created.createPeer.userErrors, []);
    return created.createPeer.peer.id;
  }

  /** A merchant account with a wallet address (funded by the operator when `funds` is given). */
  async function walletOf(on: Node, slug: string, funds?: string): Promise<{ url: string; accountId: string }> {
    const opened = await gql(on.url, on.merchant, `mutation($input: CreateAccountInput!) { createAccount(input: $input) { account { id } userErrors { code } } }`, { input: { assetCode: 'EUR', name: slug } });
    const accountId = opened.createAccount.account.id;
    if (funds) {
      const funded = await gql(on.url, on.operator, `mutation($input: FundAccountInput!) { fundAccount(input: $input) { userErrors { code } } }`, { input: { accountId, amount: funds, idempotencyKey: key('fund') } });
      assert.deepEqual(funded.fundAccount.userErrors, []);
    }
    const created = await gql(on.url, on.merchant, `mutation($input: CreateWalletAddressInput!) { createWalletAddress(input: $input) { walletAddress { url } userErrors { code field } } }`, {
      input: { accountId, slug, publicName: slug },
    });
    assert.deepEqual(created.createWalletAddress.userErrors, []);
    return { url: created.createWalletAddress.walletAddress.url, accountId };
  }

  /** An incoming payment on the receiver and the sender's quote for it (the remote read goes through the proxy). */
  async function plan(value: string): Promise<Planned> {
    const ip = await gql(receiver.url, receiver.merchant, `mutation($input: CreateIncomingPaymentInput!) { createIncomingPayment(input: $input) { incomingPayment { id url } userErrors { code field } } }`, {
      input: { walletAddress: shopWallet, incomingAmount: value, idempotencyKey: key('ip') },
    });
    assert.deepEqual(ip.createIncomingPayment.userErrors, []);
    const quoted = await gql(sender.url, sender.merchant, `mutation($input: CreateQuoteInput!) { createQuote(input: $input) { quote { id receiveAmount { value } debitAmount { value } } userErrors { code field message } } }`, {
      input: { walletAddress: payerWallet, receiver: ip.createIncomingPayment.incomingPayment.url, idempotencyKey: key('quote') },
    });
    assert.deepEqual(quoted.createQuote.userErrors, [], JSON.stringify(quoted.createQuote.userErrors));
    const quote = quoted.createQuote.quote;
    return { quoteId: quote.id, incomingId: ip.createIncomingPayment.incomingPayment.id, receive: BigInt(quote.receiveAmount.value), debit: BigInt(quote.debitAmount.value) };
  }

  /** Pays a quote; resolves with the state the mutation answered, or `lost` when the sender died under it. */
  async function pay(planned: Planned): Promise<string> {
    try {
      const paid = await gql(sender.url, sender.merchant, `mutation($input: CreateOutgoingPaymentInput!) { createOutgoingPayment(input: $input) { outgoingPayment { state } userErrors { code } } }`, {
        input: { walletAddress: payerWallet, quoteId: planned.quoteId, idempotencyKey: key('pay') },
      });
      return paid.createOutgoingPayment.outgoingPayment.state;
    } catch {
      return 'lost';
    }
  }

  async function outgoingByQuote(): Promise<Map<string, { id: string; state: string; failed: boolean; sentAmount: bigint; receiveAmount: bigint; debitAmount: bigint }>> {
    const { outgoingPayments } = await gql(sender.url, sender.merchant, `query($w: String!) { outgoingPayments(walletAddress: $w, first: 100) { nodes { id quoteId state failed sentAmount { value } receiveAmount { value } debitAmount { value } } } }`, { w: payerWallet });
    return new Map(
      outgoingPayments.nodes.map((p: any) => [p.quoteId, { id: p.id, state: p.state, failed: p.failed, sentAmount: BigInt(p.sentAmount.value), receiveAmount: BigInt(p.receiveAmount.value), debitAmount: BigInt(p.debitAmount.value) }]),
    );
  }

  async function received(incomingId: string): Promise<bigint> {
    const { incomingPayment } = await gql(receiver.url, receiver.merchant, `query($id: ID!) { incomingPayment(id: $id) { receivedAmount { value } } }`, { id: incomingId });
    return BigInt(incomingPayment.receivedAmount.value);
  }

  async function payerBalance(): Promise<{ posted: bigint; reserved: bigint }> {
    const { account } = await gql(sender.url, sender.merchant, `query($id: ID!) { account(id: $id) { balance { posted { value } reserved { value } } } }`, { id: payerAccount });
    return { posted: BigInt(account.balance.posted.value), reserved: BigInt(account.balance.reserved.value) };
  }

  async function position(on: Node, peerId: string): Promise<{ position: bigint; difference: string | null }> {
    const { peerPositions } = await gql(on.url, on.operator, `{ peerPositions { peer { id } position difference } }`);
    const row = peerPositions.find((p: any) => p.peer.id === peerId);
    return { position: BigInt(row.position), difference: row.difference };
  }

  async function assertBooksBalance(on: Node, side: string): Promise<void> {
    const { ledgerReport } = await gql(on.url, on.operator, `{ ledgerReport { assetCode postedSum driftingAccounts } }`);
    for (const asset of ledgerReport) {
      assert.equal(asset.postedSum, '0', `${side}: ${asset.assetCode} sums to zero`);
      assert.equal(asset.driftingAccounts, 0, `${side}: ${asset.assetCode} has no drifting account`);
    }
  }

  /**
   * Waits until every planned payment is completed or failed, then checks the books on both sides
   * and logs the scenario's figures. `before` is the state ahead of the scenario.
   */
  async function settleAndCheck(t: TestContext, label: string, planned: Planned[], before: { payer: bigint; owed: bigint }): Promise<{ completed: number; failed: number }> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    let payments = await outgoingByQuote();
    while (planned.some((p) => !['COMPLETED', 'FAILED'].includes(payments.get(p.quoteId)?.state ?? 'none'))) {
      if (Date.now() > deadline) {
        const states = planned.map((p) => payments.get(p.quoteId)?.state ?? 'none');
        assert.fail(`${label}: payments still not final after ${SETTLE_TIMEOUT_MS} ms: ${states.join(', ')}\nsender:\n${sender.instance.tail()}\nreceiver:\n${receiver.instance.tail()}`);
      }
      await sleep(250);
      payments = await outgoingByQuote();
    }
    let completed = 0;
    let failed = 0;
    let credited = 0n;
    let debited = 0n;
    for (const p of planned) {
      const payment = payments.get(p.quoteId)!;
      const got = await received(p.incomingId);
      credited += got;
      if (payment.state === 'COMPLETED') {
        completed++;
        debited += payment.debitAmount;
        assert.equal(payment.sentAmount, p.receive, `${label}: ${payment.id} sent what was quoted`);
        assert.equal(got, p.receive, `${label}: ${payment.id} credited once on the receiver`);
      } else {
        failed++;
        assert.equal(payment.failed, true);
        assert.equal(payment.sentAmount, 0n, `${label}: ${payment.id} failed, nothing sent`);
        assert.equal(got, 0n, `${label}: ${payment.id} failed, nothing credited`);
      }
    }
    const payer = await payerBalance();
    assert.equal(payer.reserved, 0n, `${label}: no reservation left on the payer`);
    assert.equal(before.payer - payer.posted, debited, `${label}: debited once per completed payment`);
    const onReceiver = await position(receiver, peerOnReceiver);
    const onSender = await position(sender, peerOnSender);
    assert.equal(onReceiver.position - before.owed, credited, `${label}: the receiver's position grew by what it credited`);
    assert.equal(onSender.difference, '0', `${label}: positions mirror (sender's reconciliation)`);
    assert.equal(onReceiver.difference, '0', `${label}: positions mirror (receiver's reconciliation)`);
    await assertBooksBalance(sender, `${label}, sender`);
    await assertBooksBalance(receiver, `${label}, receiver`);
    t.diagnostic(`${label}: sent ${planned.length}, completed ${completed}, failed ${failed}, credited ${credited} minor units, debited ${debited}, position difference ${onSender.difference}`);
    return { completed, failed };
  }

  async function snapshot(): Promise<{ payer: bigint; owed: bigint }> {
    return { payer: (await payerBalance()).posted, owed: (await position(receiver, peerOnReceiver)).position };
  }

  before(async () => {
    const proxyPort = await freePort();
    const receiverInstance = await InstanceProcess.start({ publicUrl: `http://127.0.0.1:${proxyPort}` });
    proxy = await FaultProxy.start(receiverInstance.port, proxyPort);
    const senderInstance = await InstanceProcess.start({ env: SENDER_ENV });
    receiver = await connect(receiverInstance);
    sender = await connect(senderInstance);
    peerOnSender = await configurePeer(sender, proxy.url);
    peerOnReceiver = await configurePeer(receiver, sender.url);
    ({ url: payerWallet, accountId: payerAccount } = await walletOf(sender, 'payer', '300.00'));
    shopWallet = (await walletOf(receiver, 'shop')).url;
  });

  after(async () => {
    await proxy?.close();
    await sender?.instance.destroy();
    await receiver?.instance.destroy();
  });

  it('a. the receiver killed with SIGKILL while transfers are in flight, then restarted on the same database and port', async (t) => {
    const before = await snapshot();
    const planned = await Promise.all(['1.00', '1.10', '1.20', '1.30', '1.40', '1.50'].map(plan));
    let transfers = 0;
    let killed: Promise<void> | null = null;
    proxy.rule = (request) => {
      if (!isTransfer(request)) return { kind: 'pass' };
      // The third transfer to arrive kills the receiver: some are credited with their answer on the
      // way back, some in the middle of their transaction, some not yet sent.
      if (++transfers === 3) killed = sleep(50).then(() => receiver.instance.kill());
      return { kind: 'delay', ms: 200 };
    };
    const answered = Promise.all(planned.map(pay));
    while (!killed) await sleep(10);
    await killed;
    await answered;
    assert.equal(receiver.instance.running, false);
    proxy.rule = () => ({ kind: 'pass' });
    await sleep(500);
    await receiver.instance.run();
    const { completed } = await settleAndCheck(t, 'receiver killed', planned, before);
    assert.equal(completed, planned.length, 'every payment completes once the receiver is back');
  });

  it('b. the sender killed with SIGKILL after sending and before posting, then restarted', async (t) => {
    const before = await snapshot();
    const planned = await Promise.all(['2.00', '2.10', '2.20', '2.30'].map(plan));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let heldAnswers = 0;
    let allHeld!: () => void;
    const everyAnswerHeld = new Promise<void>((resolve) => (allHeld = resolve));
    proxy.rule = (request) => (isTransfer(request) ? { kind: 'hold', release: held, onHeld: () => ++heldAnswers === planned.length && allHeld() } : { kind: 'pass' });
    const answered = Promise.all(planned.map(pay));
    // Every transfer credited on the receiver, every answer held back: the sender dies before posting.
    await everyAnswerHeld;
    await sender.instance.kill();
    release();
    for (const p of planned) assert.equal(await received(p.incomingId), p.receive, 'credited on the receiver');
    assert.ok((await answered).every((state) => state === 'lost'), 'no mutation was answered');
    proxy.rule = () => ({ kind: 'pass' });
    await sender.instance.run();
    const { completed } = await settleAndCheck(t, 'sender killed', planned, before);
    assert.equal(completed, planned.length);
  });

  it('c. a peer answering 500 then 200 (before and after crediting), and a refusal that fails its payment', async (t) => {
    const before = await snapshot();
    const planned = await Promise.all(['3.00', '3.10', '3.20', '3.30'].map(plan));
    const refusedOne = planned[3];
    // Completed by its owner before the transfer arrives: the receiver refuses it for good.
    const done = await gql(receiver.url, receiver.merchant, `mutation($input: CompleteIncomingPaymentInput!) { completeIncomingPayment(input: $input) { userErrors { code } } }`, {
      input: { id: refusedOne.incomingId, idempotencyKey: key('complete') },
    });
    assert.deepEqual(done.completeIncomingPayment.userErrors, []);
    const tries = new Map<string, number>();
    let n = 0;
    proxy.rule = (request) => {
      if (!isTransfer(request)) return { kind: 'pass' };
      const id = transferId(request);
      const count = (tries.get(id) ?? 0) + 1;
      tries.set(id, count);
      // First try: a 500, either without reaching the receiver or after it credited.
      return count === 1 ? { kind: 'answer', status: 500, forwardFirst: n++ % 2 === 1 } : { kind: 'pass' };
    };
    const states = await Promise.all(planned.map(pay));
    assert.deepEqual(states, ['SENDING', 'SENDING', 'SENDING', 'SENDING'], 'a 500 is no answer: the payments wait');
    const { completed, failed } = await settleAndCheck(t, '500 then 200', planned, before);
    proxy.rule = () => ({ kind: 'pass' });
    assert.equal(completed, 3);
    assert.equal(failed, 1, 'the refused one fails, its reservation released');
    assert.ok([...tries.values()].every((c) => c >= 2), 'each transfer was sent again after its 500');
  });

  it('d. the same signed transfer delivered several times, at once and later: answered alike, credited once', async (t) => {
    const before = await snapshot();
    const planned = [await plan('4.00')];
    const replays: Array<Promise<{ status: number; body: string }>> = [];
    proxy.rule = (request) => {
      // The same bytes arrive three more times while the first is being credited.
      if (isTransfer(request) && replays.length === 0) for (let i = 0; i < 3; i++) replays.push(proxy.replay(request));
      return { kind: 'pass' };
    };
    assert.equal(await pay(planned[0]), 'COMPLETED');
    proxy.rule = () => ({ kind: 'pass' });
    const signed = proxy.seen.filter(isTransfer).at(-1)!;
    const late = await Promise.all([proxy.replay(signed), proxy.replay(signed)]);
    const answers = [...(await Promise.all(replays)), ...late];
    for (const answer of answers) assert.ok(answer.status === 200 || answer.status === 201, `a duplicate is answered, not refused: ${answer.status} ${answer.body}`);
    const bodies = new Set(answers.map((a) => a.body));
    assert.equal(bodies.size, 1, 'every delivery gets the same answer');
    await settleAndCheck(t, 'duplicate deliveries', planned, before);
    t.diagnostic(`duplicate deliveries: ${answers.length + 1} deliveries of one transfer, statuses ${answers.map((a) => a.status).join(' ')}`);
  });

  it('e. a transfer whose answer comes too late: the sender times out and resends with the same id', async (t) => {
    const before = await snapshot();
    const planned = [await plan('5.00'), await plan('5.10')];
    const tries = new Map<string, number>();
    proxy.rule = (request) => {
      if (!isTransfer(request)) return { kind: 'pass' };
      const id = transferId(request);
      tries.set(id, (tries.get(id) ?? 0) + 1);
      // Longer than the sender's OUTBOUND_TIMEOUT_MS: the receiver credits, the sender gives up waiting.
      return tries.get(id) === 1 ? { kind: 'delay', ms: 5000 } : { kind: 'pass' };
    };
    const states = await Promise.all(planned.map(pay));
    assert.deepEqual(states, ['SENDING', 'SENDING'], 'a timeout is no answer');
    const { completed } = await settleAndCheck(t, 'timeout and retry', planned, before);
    proxy.rule = () => ({ kind: 'pass' });
    assert.equal(completed, 2);
    assert.ok([...tries.values()].every((c) => c >= 2), 'resent after the timeout');
  });
});
