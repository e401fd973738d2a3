import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ManualClock } from '../src/shared/clock';
import { DepositDetails } from '../src/flows/one-click/deposit.entity';
import { ProviderCall } from '../src/providers/provider-call.entity';
import { balance } from './support/flows';
import { startServer, type TestServer } from './support/server';
import { assertLedgerBalanced, authorizeUrl, deposit, exchange, oneClickOperator, runDeposit, submit, walk, type OneClickSetup, type Stop } from './support/one-click';

const callbackOf = (stop: Stop) => {
  assert.equal(stop.kind, 'callback', JSON.stringify(stop));
  return (stop as { url: URL }).url.searchParams;
};

describe('1-Click: what goes wrong', () => {
  let server: TestServer;
  let casino: OneClickSetup;
  const clock = new ManualClock(new Date('2026-12-02T10:00:00Z'));

  before(async () => {
    server = await startServer({ clock, config: { schedulerPollMs: 3_600_000 } });
    casino = await oneClickOperator(server);
  });
  afterEach(() => assertLedgerBalanced(server));
  after(async () => {
    console.log(`1-Click notifications (${__filename.split('/').pop()}): ${casino.operator.summary()}`);
    await casino.operator.close();
    await server.close();
  });

  /** Runs the scheduler until nothing is due, moving the clock past each lease and backoff. */
  async function drive(rounds = 12): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      clock.advance(61_000);
      await server.app.services.scheduler.runDue();
    }
  }

  for (const [name, identity, description, params] of [
    ['the player denies', 'astrid', 'err_user_denied', {}],
    ['the player cannot authenticate', 'nils', 'err_not_authenticated', {}],
    ['the player is on a sanctions list', 'sanna', 'err_sanctions_hit', {}],
    ['the player is under age', 'ulla', 'err_under_age', {}],
    ['the player is not the one the operator expects', 'astrid', 'err_identity_mismatch', { ssn: 'SE198503125678' }],
  ] as const) {
    it(`ends with an error redirect and no notification when ${name}`, async () => {
      const before = casino.operator.received().length;
      const run = await runDeposit(server, casino, { identity, decision: description === 'err_user_denied' ? 'deny' : 'approve', params: { ...params, state: `s-${identity}` } });
      const q = callbackOf(run.afterIdentity);
      assert.equal(q.get('error'), 'access_denied');
      assert.equal(q.get('error_description'), description);
      assert.equal(q.get('tx_state'), 'FAILED');
      assert.equal(q.get('state'), `s-${identity}`);
      assert.equal(q.get('code'), null);
      assert.equal(casino.operator.received().length, before, 'nothing is sent to the operator before a sign-in');
      const found = await deposit(server, casino.client, run.paymentId);
      assert.equal(found.state, 'REJECTED');
      assert.equal(found.kycProfileId, null);
      // The national id the operator expected is kept only until the provider answered.
      const em = server.app.services.db.reader();
      assert.equal('ssn' in (await em.findOneOrFail(DepositDetails, { paymentId: run.paymentId })).parameters, false);
      assert.equal((await em.findOneOrFail(ProviderCall, { key: `${run.paymentId}:start-sign-in` })).request.ssn, null);
      await assertLedgerBalanced(server);
    });
  }

  it('stops at signin when the operator refuses the player, passing its errCode and errMsg on', async () => {
    casino.operator.books.blocked.add('SE198503125678');
    const run = await runDeposit(server, casino, { identity: 'bjorn' });
    casino.operator.books.blocked.clear();
    const q = callbackOf(run.afterIdentity);
    assert.equal(q.get('error'), 'access_denied');
    assert.equal(q.get('errCode'), '210003');
    assert.equal(q.get('errMsg'), 'Invalid user');
    assert.equal((await deposit(server, casino.client, run.paymentId)).state, 'REJECTED');
    assert.deepEqual(casino.operator.bodies('authorize').filter((b) => b.txId === run.paymentId), []);
  });

  it('moves no money when the operator declines authorize', async () => {
    const before = (await balance(server, casino.client, casino.accountId)).posted;
    casino.operator.script = (notification) => (notification === 'authorize' ? { status: 200, json: { success: false, userId: 'player-1', errCode: 'LIMIT', errMsg: 'Deposit limit reached' } } : undefined);
    const run = await runDeposit(server, casino);
    casino.operator.script = () => undefined;
    const q = callbackOf(run.afterIdentity);
    assert.equal(q.get('error'), 'access_denied');
    assert.equal(q.get('error_description'), 'err_declined');
    assert.equal(q.get('errCode'), 'LIMIT');
    assert.equal(q.get('errMsg'), 'Deposit limit reached');
    const found = await deposit(server, casino.client, run.paymentId);
    assert.equal(found.state, 'DECLINED');
    assert.equal(found.unifiedState, 'REJECTED');
    assert.deepEqual(found.notifications.map((n: any) => [n.notification, n.success]), [['signin', true], ['authorize', false]]);
    assert.equal((await balance(server, casino.client, casino.accountId)).posted, before);
    await drive(2);
    assert.deepEqual(casino.operator.bodies('transfer').filter((b) => b.txId === run.paymentId), []);
    assert.deepEqual(casino.operator.bodies('cancel').filter((b) => b.txId === run.paymentId), []);
    await assertLedgerBalanced(server);
  });

  it('cancels at the operator when the payment fails after authorize', async () => {
    const before = (await balance(server, casino.client, casino.accountId)).posted;
    const run = await runDeposit(server, casino, { pay: 'pay', account: 'empty' });
    const q = callbackOf(run.stop);
    assert.equal(q.get('error_description'), 'err_payment_failed');
    assert.equal(q.get('tx_state'), 'CANCELLED');
    const cancels = casino.operator.bodies('cancel').filter((b) => b.txId === run.paymentId);
    assert.equal(cancels.length, 1);
    assert.equal(cancels[0].authCode, casino.operator.books.transactions.get(run.paymentId)!.authCode);
    assert.equal(casino.operator.books.transactions.get(run.paymentId)!.state, 'CANCELED');
    const found = await deposit(server, casino.client, run.paymentId);
    assert.equal(found.state, 'CANCELLED');
    assert.deepEqual(found.notifications.map((n: any) => n.notification), ['signin', 'authorize', 'cancel']);
    assert.equal((await balance(server, casino.client, casino.accountId)).posted, before);
    await assertLedgerBalanced(server);
  });

  it('retries a transfer the operator fails twice until it accepts it, booking it once', async () => {
    casino.operator.script = (notification, _body, attempt) => (notification === 'transfer' && attempt <= 2 ? { status: 200, json: { success: false, errCode: '500', errMsg: 'database down' } } : undefined);
    const run = await runDeposit(server, casino, { identity: 'bjorn', pay: 'pay' });
    // The money is in: the player goes back with a code while the transfer is retried.
    assert.ok(callbackOf(run.stop).get('code'));
    let found = await deposit(server, casino.client, run.paymentId);
    assert.equal(found.state, 'DEPOSITED');
    const retrying = found.notifications.find((n: any) => n.notification === 'transfer');
    assert.equal(retrying.state, 'failed');
    assert.match(retrying.lastError, /refused transfer \(500: database down\)/);
    await drive();
    casino.operator.script = () => undefined;
    found = await deposit(server, casino.client, run.paymentId);
    assert.equal(found.state, 'COMPLETED');
    const transfer = found.notifications.find((n: any) => n.notification === 'transfer');
    assert.equal(transfer.state, 'answered');
    assert.equal(transfer.tries, 3);
    assert.equal(casino.operator.attempts.get(`transfer:${run.paymentId}`), 3);
    assert.equal(casino.operator.books.transactions.get(run.paymentId)!.state, 'APPROVED');
    await assertLedgerBalanced(server);
  });

  it('books the deposit of a player who pays and never comes back: the provider is asked until it answers', async () => {
    const response = await fetch(authorizeUrl(server, casino, { amount: '12.00' }));
    const json = (await response.json()) as any;
    const payStep = await submit(await walk(json.redirectOutput.url, casino.operator.callback), { identity: 'bjorn', decision: 'approve' }, casino.operator.callback);
    assert.equal(payStep.kind, 'page');
    const action = /<form method="post" action="([^"]+)">/.exec((payStep as { html: string }).html)![1];
    // The player pays; the window closes before the browser follows the provider's redirect back.
    const paid = await fetch(new URL(action, (payStep as { url: string }).url), { method: 'POST', body: new URLSearchParams({ account: 'seb', decision: 'pay' }), redirect: 'manual' });
    assert.equal(paid.status, 303);
    assert.equal((await deposit(server, casino.client, json.txId)).state, 'AUTHORIZED');
    await drive(3);
    const found = await deposit(server, casino.client, json.txId);
    assert.equal(found.state, 'COMPLETED');
    assert.equal(found.maskedAccount, '****9876');
    assert.equal(casino.operator.bodies('transfer').filter((b) => b.txId === json.txId).length, 1);
  });

  it('cancels a session the player leaves before paying, once DEPOSIT_SESSION_MINUTES are over', async () => {
    const response = await fetch(authorizeUrl(server, casino, { state: 'left' }));
    const json = (await response.json()) as any;
    clock.advance(31 * 60_000);
    await server.app.services.scheduler.runDue();
    const found = await deposit(server, casino.client, json.txId);
    assert.equal(found.state, 'CANCELLED');
    assert.equal(found.errorDescription, 'err_session_expired');
    const back = callbackOf(await submit(await walk(json.redirectOutput.url, casino.operator.callback), { identity: 'astrid', decision: 'approve' }, casino.operator.callback));
    assert.equal(back.get('error_description'), 'err_session_expired');
    assert.equal(back.get('state'), 'left');
    assert.deepEqual(casino.operator.bodies('signin').filter((b) => b.txId === json.txId), [], 'no signin for a session that ended');
  });

  it('waits while the operator does not answer signin, and goes on once it does', async () => {
    let silent = true;
    casino.operator.script = (notification) => (notification === 'signin' && silent ? 503 : undefined);
    const run = await runDeposit(server, casino);
    assert.equal(run.afterIdentity.kind, 'waiting');
    let found = await deposit(server, casino.client, run.paymentId);
    assert.equal(found.state, 'IDENTIFIED');
    assert.equal(found.notifications[0].state, 'failed');
    silent = false;
    casino.operator.script = () => undefined;
    const onward = await walk((run.afterIdentity as { url: string }).url, casino.operator.callback);
    assert.equal(onward.kind, 'page', 'the payment step');
    found = await deposit(server, casino.client, run.paymentId);
    assert.equal(found.state, 'AUTHORIZED');
    assert.equal(found.notifications[0].tries, 2);
  });

  it('refuses a code presented by another client, and leaves it to its own', async () => {
    const other = await oneClickOperator(server, 'Other casino');
    const run = await runDeposit(server, casino, { pay: 'pay' });
    const code = callbackOf(run.stop).get('code')!;
    const stolen = await exchange(server, other.client, code, casino.operator.callback);
    assert.equal(stolen.status, 400);
    assert.equal(stolen.json.error, 'invalid_grant');
    const own = await exchange(server, casino.client, code, casino.operator.callback);
    assert.equal(own.status, 200);
    assert.equal(own.json.userId, 'player-1');
    // The profile is the signing operator's alone.
    const profile = `query($id: ID!) { kycProfile(id: $id) { personid name } }`;
    const kycProfileId = (await deposit(server, casino.client, run.paymentId)).kycProfileId;
    assert.equal((await server.ok(casino.client.token, profile, { id: kycProfileId })).kycProfile.personid, 'SE199110284479');
    assert.equal((await server.ok(other.client.token, profile, { id: kycProfileId })).kycProfile, null);
    await other.operator.close();
  });

  it('signs a known player in again: the operator is told, and its userId is kept', async () => {
    const before = casino.operator.bodies('signin').length;
    const run = await runDeposit(server, casino, { identity: 'astrid', pay: 'pay' });
    callbackOf(run.stop);
    const signin = casino.operator.bodies('signin')[before];
    assert.deepEqual(signin.attributes, { knownUser: 'true', userId: 'player-1' });
    assert.equal((await deposit(server, casino.client, run.paymentId)).userId, 'player-1');
    await assertLedgerBalanced(server);
  });

  it('lets the operator cancel a session it started before the player pays', async () => {
    const started = await server.ok(
      casino.client.token,
      `mutation($input: StartDepositInput!) { startDeposit(input: $input) { deposit { id state } redirectUrl statusUrl userErrors { code field } } }`,
      { input: { identityProvider: 'sandbox-bankid', amount: '20.00', currency: 'EUR', redirectUri: casino.operator.callback, state: 'mut', idempotencyKey: 'dep-1' } },
    );
    assert.deepEqual(started.startDeposit.userErrors, []);
    const again = await server.ok(
      casino.client.token,
      `mutation($input: StartDepositInput!) { startDeposit(input: $input) { deposit { id } redirectUrl } }`,
      { input: { identityProvider: 'sandbox-bankid', amount: '20', currency: 'EUR', redirectUri: casino.operator.callback, state: 'mut', idempotencyKey: 'dep-1' } },
    );
    assert.equal(again.startDeposit.deposit.id, started.startDeposit.deposit.id);
    assert.equal(again.startDeposit.redirectUrl, started.startDeposit.redirectUrl);
    const id = started.startDeposit.deposit.id;
    const cancelled = await server.ok(casino.client.token, `mutation($input: CancelDepositInput!) { cancelDeposit(input: $input) { deposit { state } userErrors { code } } }`, { input: { paymentId: id } });
    assert.equal(cancelled.cancelDeposit.deposit.state, 'CANCELLED');
    const other = await oneClickOperator(server, 'Nosy casino');
    const refused = await server.ok(other.client.token, `mutation($input: CancelDepositInput!) { cancelDeposit(input: $input) { deposit { state } userErrors { code } } }`, { input: { paymentId: id } });
    assert.deepEqual(refused.cancelDeposit.userErrors, [{ code: 'NOT_FOUND' }]);
    await other.operator.close();
    const page = await walk(started.startDeposit.redirectUrl, casino.operator.callback);
    assert.equal(page.kind, 'page');
    
    const q = callbackOf(await submit(page, { identity: 'astrid', decision: 'approve' }, casino.operator.callback));
    assert.equal(q.get('error_description'), 'err_cancelled_by_operator');
    assert.equal(q.get('tx_state'), 'CANCELLED');
    assert.equal(casino.operator.bodies('cancel').filter((b) => b.txId === id).length, 0, 'nothing was authorized: no cancel');
  });

  it('purges KYC data once its retention ran out', async () => {
    const run = await runDeposit(server, casino, { identity: 'astrid', pay: 'pay' });
    const code = callbackOf(run.stop).get('code')!;
    const { kycProfileId } = await deposit(server, casino.client, run.paymentId);
    clock.advance(31 * 24 * 3600 * 1000);
    await server.app.services.scheduler.runDue();
    casino.client.token = await server.token(casino.client.id, casino.client.secret);
    const profile = (await server.ok(casino.client.token, `query($id: ID!) { kycProfile(id: $id) { personid name expiresAt userId } }`, { id: kycProfileId })).kycProfile;
    assert.deepEqual(profile, { personid: null, name: null, expiresAt: null, userId: 'player-1' });
    const token = await exchange(server, casino.client, code, casino.operator.callback);
    // The code outlived its 5 minutes: refused, whatever the KYC.
    assert.equal(token.json.error, 'invalid_grant');
  });

  it('refuses bad authorization requests as RFC 6749 says', async () => {
    const badRedirect = await fetch(authorizeUrl(server, casino, { redirect_uri: 'https://evil.example/cb' }));
    assert.equal(badRedirect.status, 400);
    assert.equal(((await badRedirect.json()) as any).redirectOutput, undefined, 'never sent to an unregistered URI');
    const unknown = await fetch(authorizeUrl(server, casino, { identity_provider: 'gii-bankid-se' }));
    const unknownJson = (await unknown.json()) as any;
    assert.equal(unknownJson.success, false);
    const to = new URL(unknownJson.redirectOutput.url);
    assert.equal(to.searchParams.get('error'), 'invalid_request');
    assert.match(to.searchParams.get('error_description')!, /^identity_provider:/);
    const noAmount = await fetch(authorizeUrl(server, casino, { amount: '', iframe: 'false' }), { redirect: 'manual' });
    assert.equal(noAmount.status, 303);
    assert.match(noAmount.headers.get('location')!, /error=invalid_request&error_description=amount/);
    const tooPrecise = await fetch(authorizeUrl(server, casino, { amount: '1.001', iframe: 'false' }), { redirect: 'manual' });
    assert.match(tooPrecise.headers.get('location')!, /error_description=amount/);
    const full = await fetch(authorizeUrl(server, casino, { iframe: 'false' }), { redirect: 'manual' });
    assert.equal(full.status, 303);
    assert.match(full.headers.get('location')!, /\/sandbox\/bankid\/bid_/);
  });
});

describe('1-Click: an identity provider that does not answer', () => {
  it('keeps the browser on Paygrid’s page until the provider starts the sign-in', async () => {
    let down = true;
    const server = await startServer({
      config: { schedulerPollMs: 3_600_000 },
      identityProviders: (sandbox) => [
        {
          id: sandbox.id,
          name: sandbox.name,
          takesPayments: true,
          startSignIn: async (input) => {
            if (down) throw new Error('connection refused');
            return sandbox.startSignIn(input);
          },
          signInResult: (key, ref) => sandbox.signInResult(key, ref),
          startPayment: (input) => sandbox.startPayment(input),
          paymentResult: (key, ref) => sandbox.paymentResult(key, ref),
        },
      ],
    });
    const casino = await oneClickOperator(server);
    try {
      const json = (await (await fetch(authorizeUrl(server, casino))).json()) as any;
      assert.equal(json.success, true);
      assert.match(json.redirectOutput.url, /\/oauth\/one-click\/pay_/, 'Paygrid’s own page, not the provider’s');
      const waiting = await walk(json.redirectOutput.url, casino.operator.callback);
      assert.equal(waiting.kind, 'waiting');
      down = false;
      const page = await walk((waiting as { url: string }).url, casino.operator.callback);
      assert.equal(page.kind, 'page');
      assert.match((page as { html: string }).html, /Identify with Sandbox BankID/);
      const back = callbackOf(await submit(await submit(page, { identity: 'astrid', decision: 'approve' }, casino.operator.callback), { account: 'swedbank', decision: 'pay' }, casino.operator.callback));
      assert.ok(back.get('code'));
      await assertLedgerBalanced(server);
    } finally {
      await casino.operator.close();
      await server.close();
    }
  });
});
