import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startServer, subscribe, type TestServer } from './support/server';
import { balance } from './support/flows';
import { assertLedgerBalanced, authorizeUrl, basic, deposit, exchange, oneClickOperator, runDeposit, submit, walk, type OneClickSetup } from './support/one-click';

describe('1-Click sign-up and deposit', () => {
  let server: TestServer;
  let casino: OneClickSetup;

  before(async () => {
    server = await startServer({ config: { schedulerPollMs: 3_600_000 } });
    casino = await oneClickOperator(server);
  });
  afterEach(() => assertLedgerBalanced(server));
  after(async () => {
    console.log(`1-Click notifications (${__filename.split('/').pop()}): ${casino.operator.summary()}`);
    await casino.operator.close();
    await server.close();
  });

  it('signs up a new player and deposits: signin, authorize, payment, transfer, code, token, check_token', async () => {
    const run = await runDeposit(server, casino, { pay: 'pay' });
    assert.equal(run.stop.kind, 'callback');
    const callback = (run.stop as { url: URL }).url;
    assert.equal(callback.searchParams.get('state'), 'st-1');
    assert.equal(callback.searchParams.get('session_id'), 'sess-player-1');
    const code = callback.searchParams.get('code')!;
    assert.ok(code);
    assert.deepEqual(casino.operator.received(), ['signin', 'authorize', 'transfer']);
    const [signin] = casino.operator.bodies('signin');
    assert.equal(signin.personid, 'SE199110284479');
    assert.equal(signin.name, 'Astrid Andersson');
    assert.equal(signin.identityProvider, 'sandbox-bankid');
    assert.deepEqual(signin.attributes, { knownUser: 'false' });
    const [authorize] = casino.operator.bodies('authorize');
    assert.equal(authorize.txAmount, '100.50');
    assert.equal(authorize.txAmountCy, 'EUR');
    assert.equal(authorize.userId, 'player-1');
    assert.equal(authorize.txId, run.paymentId);
    assert.equal(authorize.txRefId, `${casino.client.id}A${run.paymentId}`);
    const [transfer] = casino.operator.bodies('transfer');
    assert.equal(transfer.authCode, casino.operator.books.transactions.get(run.paymentId)!.authCode);
    assert.equal(casino.operator.badSignatures, 0);

    const token = await exchange(server, casino.client, code, casino.operator.callback);
    assert.equal(token.status, 200, JSON.stringify(token.json));
    assert.equal(token.json.token_type, 'bearer');
    assert.deepEqual(token.json.scope, ['default']);
    assert.equal(token.json.userId, 'player-1');
    assert.equal(token.json.personid, 'SE199110284479');
    assert.equal(token.json.txRefId, `${casino.client.id}A${run.paymentId}`);
    assert.equal(token.json.country, 'SWE');

    const checked = await fetch(`${server.url}/oauth/check_token?token=${encodeURIComponent(token.json.access_token)}`, { headers: { authorization: basic(casino.client) } });
    const claims = (await checked.json()) as any;
    assert.equal(checked.status, 200);
    assert.equal(claims.userId, 'player-1');
    assert.equal(claims.dob, '1991-10-28');
    assert.equal(claims.active, undefined);
    assert.equal(claims.access_token, undefined);

    const found = await deposit(server, casino.client, run.paymentId);
    assert.equal(found.state, 'COMPLETED');
    assert.equal(found.unifiedState, 'COMPLETED');
    assert.deepEqual(found.notifications.map((n: any) => [n.notification, n.state, n.tries]), [
      ['signin', 'answered', 1],
      ['authorize', 'answered', 1],
      ['transfer', 'answered', 1],
    ]);
    assert.equal((await balance(server, casino.client, casino.accountId)).posted, '10050');
    await assertLedgerBalanced(server);
  });

  it('refuses a replayed code and revokes the token issued from it', async () => {
    const run = await runDeposit(server, casino, { identity: 'bjorn', pay: 'pay' });
    const code = (run.stop as { url: URL }).url.searchParams.get('code')!;
    const first = await exchange(server, casino.client, code, casino.operator.callback);
    assert.equal(first.status, 200);
    const replay = await exchange(server, casino.client, code, casino.operator.callback);
    assert.equal(replay.status, 400);
    assert.equal(replay.json.error, 'invalid_grant');
    const checked = await fetch(`${server.url}/oauth/check_token?token=${encodeURIComponent(first.json.access_token)}`, { headers: { authorization: basic(casino.client) } });
    assert.equal(checked.status, 400);
    assert.equal(((await checked.json()) as any).error, 'invalid_token');
    await assertLedgerBalanced(server);
  });

  it('is a payment of flow deposit, watched live through paymentUpdated, with no KYC datum in its events', async () => {
    const response = await fetch(authorizeUrl(server, casino, { amount: '7.00' }));
    const json = (await response.json()) as any;
    const { collector, stop } = subscribe(server.ws(casino.client.token), `subscription($id: ID!) { paymentUpdated(paymentId: $id) { sequence type flowState state data } }`, { id: json.txId });
    await collector.waitFor((c) => c.items.length >= 0);
    const page = await walk(json.redirectOutput.url, casino.operator.callback);
    const payStep = await submit(page, { identity: 'astrid', decision: 'approve' }, casino.operator.callback);
    const back = await submit(payStep, { account: 'swedbank', decision: 'pay' }, casino.operator.callback);
    assert.equal(back.kind, 'callback');
    await collector.waitFor((c) => c.items.some((i: any) => i.paymentUpdated.type === 'deposit.completed'));
    stop();
    const live = collector.items.map((i: any) => i.paymentUpdated);
    assert.doesNotMatch(JSON.stringify(live), /SE199110284479|Astrid|Storgatan/);
    // What the subscription missed before it was set up, a client reads from the history: together they are the whole of it.
    const payment = await server.ok(casino.client.token, `query($id: ID!) { payment(id: $id) { flow state events { sequence type flowState state } } }`, { id: json.txId });
    assert.equal(payment.payment.flow, 'DEPOSIT');
    const history = payment.payment.events;
    assert.deepEqual(history.map((e: any) => [e.sequence, e.type, e.flowState, e.state]), [
      [1, 'deposit.started', 'started', 'CREATED'],
      [2, 'deposit.identified', 'identified', 'PENDING'],
      [3, 'deposit.signed_in', 'signed_in', 'PENDING'],
      [4, 'deposit.authorized', 'authorized', 'PENDING'],
      [5, 'deposit.deposited', 'deposited', 'ACCEPTED'],
      [6, 'deposit.completed', 'completed', 'COMPLETED'],
    ]);
    assert.ok(live.length >= 1);
    assert.deepEqual(live.map((e: any) => e.sequence), history.slice(history.length - live.length).map((e: any) => e.sequence));
    await assertLedgerBalanced(server);
  });

  it('carries PKCE from the authorization request to the code', async () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const run = await runDeposit(server, casino, { pay: 'pay', params: { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' } });
    const code = (run.stop as { url: URL }).url.searchParams.get('code')!;
    const without = await exchange(server, casino.client, code, casino.operator.callback);
    assert.equal(without.json.error, 'invalid_grant');
    const run2 = await runDeposit(server, casino, { pay: 'pay', params: { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' } });
    const code2 = (run2.stop as { url: URL }).url.searchParams.get('code')!;
    const response = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(casino.client) },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code2, redirect_uri: casino.operator.callback, code_verifier: verifier }),
    });
    const json = (await response.json()) as any;
    assert.equal(response.status, 200, JSON.stringify(json));
    assert.deepEqual(json.scope, ['default']);
  });

  it('answers the status URL while the player is at the identity provider', async () => {
    const response = await fetch(`${server.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: casino.client.id, redirect_uri: casino.operator.callback, identity_provider: 'sandbox-bankid', amount: '5', currency: 'EUR' })}`);
    const json = (await response.json()) as any;
    const status = (await (await fetch(json.links.statusUrl)).json()) as any;
    assert.equal(status.state, 'started');
    assert.equal(status.txState, 'WAITING_INPUT');
    const page = await walk(json.redirectOutput.url, casino.operator.callback);
    assert.equal(page.kind, 'page');
  });
});

describe('1-Click: personal data stays out of the log', () => {
  it('logs no KYC datum, national id or browser key of a whole deposit', async () => {
    const { Writable } = await import('node:stream');
    let log = '';
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    const server = await startServer({ logStream, config: { schedulerPollMs: 3_600_000, logLevel: 'info' } });
    const casino = await oneClickOperator(server);
    try {
      const run = await runDeposit(server, casino, { pay: 'pay', params: { ssn: 'SE199110284479' } });
      assert.equal(run.stop.kind, 'callback');
      const code = (run.stop as { url: URL }).url.searchParams.get('code')!;
      const token = await exchange(server, casino.client, code, casino.operator.callback);
      assert.equal(token.json.personid, 'SE199110284479');
      assert.match(log, /\/oauth\/one-click\//, 'the requests were logged');
      for (const datum of ['SE199110284479', 'Astrid', 'Andersson', 'Storgatan', '1991-10-28', new URL(run.statusUrl).searchParams.get('key')!, code]) {
        assert.ok(!log.includes(datum), `the log holds ${datum}`);
      }
    } finally {
      await casino.operator.close();
      await server.close();
    }
  });
});
