import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MERCHANT_SCOPES, Scope } from '../src/oauth/scopes';
import type { CancelAnswer, CancelRequest } from '../src/providers/bank/bank-connector';
import { SANDBOX_INSTANT_BANK, SandboxBank } from '../src/providers/bank/sandbox-bank';
import { ManualClock } from '../src/shared/clock';
import { initiationInstruction } from './support/flows';
import { startServer, usingPostgres, type TestClient, type TestServer } from './support/server';
import { WebhookReceiver } from './support/webhook-receiver';
import { validate } from './support/webview';

const REDIRECT = 'http://127.0.0.1:9/shop/powens-callback';

/** The sandbox bank, counting the cancellations it is asked for; `failNextCancel` drops the next one's answer. */
class CountingBank extends SandboxBank {
  cancels = 0;
  failNextCancel = false;
  override async cancel(request: CancelRequest): Promise<CancelAnswer> {
    this.cancels += 1;
    const answer = await super.cancel(request);
    if (this.failNextCancel) {
      this.failNextCancel = false;
      throw new Error('connection reset before the answer');
    }
    return answer;
  }
}

describe(`a merchant cancels a bank payment initiation (CancelledByClient) (${usingPostgres ? 'postgresql' : 'sqlite'})`, () => {
  const clock = new ManualClock();
  const bank = new CountingBank();
  let server: TestServer;
  let receiver: WebhookReceiver;
  let merchant: TestClient;

  const admin = () => server.token(merchant.id, merchant.secret, 'payments:admin');

  async function create(executionDateType = 'instant'): Promise<string> {
    const data = await server.ok(await admin(), `mutation($input: CreateInitiationInput!) { createInitiation(input: $input) { initiation { id } userErrors { code } } }`, {
      input: {
        clientRedirectUri: REDIRECT,
        instructions: [initiationInstruction({ amount: '20.00', executionDateType })],
        payerIdentity: { kind: 'individual', firstName: 'Germaine', lastName: 'Michu', birthDate: '1963-01-01' },
        idempotencyKey: `ini-${Math.random().toString(36).slice(2)}`,
      },
    });
    return data.createInitiation.initiation.id;
  }

  /** Created, validated by the payer in the webview and confirmed at the bank: pending. */
  async function pendingAt(connectorUuid?: string, executionDateType = 'instant'): Promise<string> {
    const id = await create(executionDateType);
    const token = await server.ok(await admin(), `mutation($input: CreateInitiationTokenInput!) { createInitiationToken(input: $input) { validationUrl } }`, { input: { paymentId: id } });
    await validate(server, token.createInitiationToken.validationUrl, { bank: connectorUuid });
    assert.equal(await state(id), 'PENDING');
    return id;
  }

  async function cancel(id: string, token?: string) {
    const data = await server.ok(token ?? (await admin()), `mutation($input: CancelInitiationInput!) { cancelInitiation(input: $input) { initiation { state errorCode } userErrors { code field message } } }`, {
      input: { paymentId: id },
    });
    return data.cancelInitiation;
  }

  const state = async (id: string) => (await server.ok(await admin(), `query($id: ID!) { initiation(id: $id) { state } }`, { id })).initiation.state;

  before(async () => {
    server = await startServer({ clock, bankGateway: bank, config: { schedulerPollMs: 3_600_000 } });
    receiver = await WebhookReceiver.start();
    merchant = await server.client([...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN], 'ACME Shop');
    await server.ok(await admin(), `mutation($url: String) { setWebhookUrl(url: $url) { webhookUrl } }`, { url: receiver.url('/powens') });
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('rejects a payment not yet at the bank at once, with CancelledByClient in the webhook; a repeat answers the same', async () => {
    const id = await create();
    const cancelled = await cancel(id);
    assert.deepEqual(cancelled.userErrors, []);
    assert.deepEqual(cancelled.initiation, { state: 'REJECTED', errorCode: 'CancelledByClient' });
    assert.equal(bank.cancels, 0, 'the bank holds nothing to cancel');
    assert.deepEqual((await cancel(id)).userErrors, [], 'a repeat');
    await server.app.services.scheduler.runDue();
    const hooks = receiver.requests.map((r) => JSON.parse(r.body)).filter((b) => b.id === id);
    assert.deepEqual(hooks.map((b) => [b.state, b.error_code]), [['rejected', 'CancelledByClient']]);
  });

  it('asks the bank to cancel a confirmed payment it has not executed: rejected, and polling it later changes nothing', async () => {
    const id = await pendingAt();
    const before = bank.cancels;
    const cancelled = await cancel(id);
    assert.deepEqual(cancelled.userErrors, []);
    assert.deepEqual(cancelled.initiation, { state: 'REJECTED', errorCode: 'CancelledByClient' });
    assert.equal(bank.cancels, before + 1, 'the sandbox bank was told');
    clock.advance(5000);
    await server.app.services.scheduler.runDue();
    assert.equal(await state(id), 'REJECTED');
    assert.deepEqual((await cancel(id)).userErrors, []);
    assert.equal(bank.cancels, before + 1, 'a repeat does not ask the bank again');
  });

  it('refuses once too late: executed and known (CANCEL_TOO_LATE), executed at the bank but not polled yet (the bank says no), or a bank that takes no cancellation', async () => {
    const done = await pendingAt();
    clock.advance(5000);
    await server.app.services.scheduler.runDue();
    assert.equal(await state(done), 'DONE');
    const late = await cancel(done);
    assert.deepEqual(late.userErrors.map((e: any) => [e.code, e.field]), [['CANCEL_TOO_LATE', ['paymentId']]]);
    assert.equal(await state(done), 'DONE');

    const executing = await pendingAt();
    clock.advance(5000);
    const refused = await cancel(executing);
    assert.deepEqual(refused.userErrors.map((e: any) => e.code), ['CANCEL_TOO_LATE']);
    assert.equal(await state(executing), 'PENDING', 'the bank refused: the payment goes on');
    await server.app.services.scheduler.runDue();
    assert.equal(await state(executing), 'DONE');

    const noCancel = await pendingAt(SANDBOX_INSTANT_BANK.uuid);
    const unavailable = await cancel(noCancel);
    assert.deepEqual(unavailable.userErrors.map((e: any) => [e.code, e.field]), [['CANCEL_NOT_AVAILABLE', ['paymentId']]]);
  });

  it('answers BANK_ANSWER_PENDING when the bank’s answer is lost, and the scheduler finishes the cancellation with the same key', async () => {
    // Executed on the next TARGET2 open day: still cancellable once the reconciliation runs.
    const id = await pendingAt(undefined, 'first_open_day');
    bank.failNextCancel = true;
    const lost = await cancel(id);
    assert.deepEqual(lost.userErrors.map((e: any) => [e.code, e.field]), [['BANK_ANSWER_PENDING', ['paymentId']]]);
    assert.equal(await state(id), 'PENDING');
    const asked = bank.cancels;
    clock.advance(61_000);
    await server.app.services.scheduler.runDue();
    assert.equal(await state(id), 'REJECTED');
    assert.equal(bank.cancels, asked + 1, 'asked once more, with the same key');
    const read = await server.ok(await admin(), `query($id: ID!) { initiation(id: $id) { errorCode } }`, { id });
    assert.equal(read.initiation.errorCode, 'CancelledByClient');
  });

  it('refuses a payment already rejected otherwise (PAYMENT_FINAL) and another client’s payment (NOT_FOUND)', async () => {
    const id = await create();
    const token = await server.ok(await admin(), `mutation($input: CreateInitiationTokenInput!) { createInitiationToken(input: $input) { validationUrl } }`, { input: { paymentId: id } });
    await validate(server, token.createInitiationToken.validationUrl, { login: 'refuse' });
    assert.equal(await state(id), 'REJECTED');
    assert.deepEqual((await cancel(id)).userErrors.map((e: any) => e.code), ['PAYMENT_FINAL']);

    const other = await server.client([...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN], 'Other shop');
    const foreign = await cancel(await create(), other.token);
    assert.deepEqual(foreign.userErrors.map((e: any) => [e.code, e.field]), [['NOT_FOUND', ['paymentId']]]);
  });
});
