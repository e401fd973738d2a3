import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { MERCHANT_SCOPES, Scope } from '../src/oauth/scopes';
import { SANDBOX_ACCEPTANCE_BANK, SANDBOX_BANK, SANDBOX_INSTANT_BANK } from '../src/providers/bank/sandbox-bank';
import { ManualClock } from '../src/shared/clock';
import { FormBrowser, formTo } from './support/form-browser';
import { startServer, type TestClient, type TestServer } from './support/server';
import { WebhookReceiver } from './support/webhook-receiver';
import { initiationInstruction } from './support/flows';
import { validate } from './support/webview';

const REDIRECT = 'http://127.0.0.1:9/shop/powens-callback';
const DAY = 24 * 3600 * 1000;
const INITIATION = `id state unifiedState errorCode errorDescription bankMessage connectorUuid bankPaymentId clientState
  amount { value formatted assetCode } instructions { amount { value } executionDateType executionDate beneficiary { identification label } }`;
const INITIATION_FIELDS = `initiation { ${INITIATION} } userErrors { code field message }`;


const paymentInput = (overrides: Record<string, unknown> = {}, instructionOverrides: Record<string, unknown> = {}) => ({
  clientRedirectUri: REDIRECT,
  clientState: 'cart-42',
  instructions: [initiationInstruction(instructionOverrides)],
  payerIdentity: { kind: 'individual', firstName: 'Germaine', lastName: 'Michu', birthDate: '1963-01-01', birthCity: 'Paris', birthCountry: 'FR', nationality: 'French' },
  idempotencyKey: `key-${Math.random().toString(36).slice(2)}`,
  ...overrides,
});

/** Everything a merchant does with one server: create, get a scoped token, read. */
class Merchant {
  constructor(
    readonly server: TestServer,
    readonly client: TestClient,
  ) {}

  /** A fresh payments:admin token: tests move the clock past token lifetimes. */
  admin(): Promise<string> {
    return this.server.token(this.client.id, this.client.secret, 'payments:admin');
  }

  async create(input: Record<string, unknown>) {
    const data = await this.server.ok(await this.admin(), `mutation($input: CreateInitiationInput!) { createInitiation(input: $input) { ${INITIATION_FIELDS} } }`, { input });
    return data.createInitiation;
  }

  async scoped(paymentId: string) {
    const data = await this.server.ok(
      await this.admin(),
      `mutation($input: CreateInitiationTokenInput!) { createInitiationToken(input: $input) { token scope expiresIn paymentId validationUrl userErrors { code field message } } }`,
      { input: { paymentId } },
    );
    return data.createInitiationToken;
  }

  async read(id: string, token?: string) {
    const data = await this.server.ok(token ?? (await this.admin()), `query($id: ID!) { initiation(id: $id) { ${INITIATION} } }`, { id });
    return data.initiation;
  }

  async state(id: string): Promise<string> {
    return (await this.read(id)).state;
  }
}

describe('Powens-style bank payment initiation', () => {
  // Starts at the real time: Standard Webhooks verifiers refuse timestamps far from their own clock.
  const clock = new ManualClock();
  let server: TestServer;
  let receiver: WebhookReceiver;
  let merchant: Merchant;
  let plain: TestClient;

  const runDue = async (ms = 0) => {
    clock.advance(ms);
    await server.app.services.scheduler.runDue();
  };

  before(async () => {
    server = await startServer({ clock, config: { schedulerPollMs: 3_600_000 } });
    receiver = await WebhookReceiver.start();
    merchant = new Merchant(server, await server.client([...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN], 'ACME Shop'));
    plain = await server.client(MERCHANT_SCOPES, 'Plain merchant');
    const set = await server.ok(await merchant.admin(), `mutation($url: String) { setWebhookUrl(url: $url) { webhookUrl userErrors { code } } }`, {
      url: receiver.url('/webhooks/powens'),
    });
    assert.equal(set.setWebhookUrl.webhookUrl, receiver.url('/webhooks/powens'));
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('creates a payment with a payments:admin token, in state created; a token without the scope is refused', async () => {
    const created = await merchant.create(paymentInput());
    assert.deepEqual(created.userErrors, []);
    const p = created.initiation;
    assert.equal(p.state, 'CREATED');
    assert.equal(p.unifiedState, 'CREATED');
    assert.deepEqual(p.amount, { value: '5090', formatted: '50.90', assetCode: 'EUR' });
    assert.equal(p.instructions[0].beneficiary.identification, 'FR7630006000011234567890189');
    assert.equal(p.clientState, 'cart-42');

    const refused = await server.gql(plain.token, `mutation($input: CreateInitiationInput!) { createInitiation(input: $input) { initiation { id } } }`, {
      input: paymentInput(),
    });
    assert.equal(refused.errors?.[0].extensions?.code, 'FORBIDDEN');
    const noValidate = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${merchant.client.id}:${merchant.client.secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'payments:validate' }),
    });
    assert.equal(noValidate.status, 400, 'payments:validate is only granted bound to a payment');
  });

  it('refuses bad input with userErrors carrying the code and the field', async () => {
    const today = clock.now().toISOString().slice(0, 10);
    const many = Array.from({ length: 21 }, () => initiationInstruction());
    const cases: Array<[Record<string, unknown>, Record<string, unknown>, string, string[]]> = [
      [{}, { beneficiary: { schemeName: 'iban', identification: 'FR7630006000011234567890188', label: 'ACME' } }, 'IBAN_INVALID', ['instructions', '0', 'beneficiary', 'identification']],
      [{}, { beneficiary: { schemeName: 'iban', identification: 'FR76300060000112345678901', label: 'ACME' } }, 'IBAN_INVALID', ['instructions', '0', 'beneficiary', 'identification']],
      [{}, { beneficiary: { schemeName: 'bban', identification: 'x', label: 'ACME' } }, 'ACCOUNT_SCHEME_UNKNOWN', ['instructions', '0', 'beneficiary', 'schemeName']],
      [{}, { beneficiaryIdentity: { kind: 'corporate', schemeName: 'siren', identification: '012345678' } }, 'SIREN_INVALID', ['instructions', '0', 'beneficiaryIdentity', 'identification']],
      [{}, { beneficiaryIdentity: { kind: 'corporate', orgName: 'ACME' } }, 'FIELD_REQUIRED', ['instructions', '0', 'beneficiaryIdentity', 'schemeName']],
      [{ payerIdentity: { kind: 'individual', firstName: 'Germaine' } }, {}, 'FIELD_REQUIRED', ['payerIdentity', 'lastName']],
      [{ payerIdentity: { kind: 'individual', firstName: 'G', lastName: 'M', schemeName: 'siren', identification: '749867206' } }, {}, 'IDENTITY_SCHEME_NOT_ALLOWED', ['payerIdentity', 'schemeName']],
      [{ payerIdentity: { kind: 'robot', firstName: 'G', lastName: 'M' } }, {}, 'IDENTITY_KIND_UNKNOWN', ['payerIdentity', 'kind']],
      [{}, { currency: 'EUX' }, 'CURRENCY_UNKNOWN', ['instructions', '0', 'currency']],
      [{}, { amount: '50.901' }, 'AMOUNT_TOO_PRECISE', ['instructions', '0', 'amount']],
      [{}, { currency: 'JPY', amount: '100.5' }, 'AMOUNT_TOO_PRECISE', ['instructions', '0', 'amount']],
      [{}, { executionDateType: 'deferred' }, 'EXECUTION_DATE_REQUIRED', ['instructions', '0', 'executionDate']],
      [{}, { executionDateType: 'deferred', executionDate: today }, 'EXECUTION_DATE_NOT_IN_FUTURE', ['instructions', '0', 'executionDate']],
      [{}, { executionDateType: 'monthly' }, 'EXECUTION_DATE_TYPE_UNKNOWN', ['instructions', '0', 'executionDateType']],
      [{}, { referenceId: 'R'.repeat(32) }, 'FIELD_TOO_LONG', ['instructions', '0', 'referenceId']],
      [{ instructions: many }, {}, 'TOO_MANY_INSTRUCTIONS', ['instructions']],
      [{ instructions: [initiationInstruction(), initiationInstruction()], connectorUuid: SANDBOX_INSTANT_BANK.uuid }, {}, 'TOO_MANY_INSTRUCTIONS', ['instructions']],
      [{ connectorUuid: '5a9d8c61-3f2e-4b7a-9c1d-0000000000ff' }, {}, 'CONNECTOR_UNKNOWN', ['connectorUuid']],
      [{}, { amount: '200000.00' }, 'NO_COMPATIBLE_BANK', null as unknown as string[]],
      [{ clientRedirectUri: `${REDIRECT}?order=1` }, {}, 'REDIRECT_URI_HAS_QUERY', ['clientRedirectUri']],
      [{ clientState: 's'.repeat(2001) }, {}, 'FIELD_TOO_LONG', ['clientState']],
      [{ instructions: [] }, {}, 'INSTRUCTIONS_REQUIRED', ['instructions']],
      [{ idempotencyKey: '' }, {}, 'IDEMPOTENCY_KEY_INVALID', ['idempotencyKey']],
    ];
    for (const [overrides, instructionOverrides, code, field] of cases) {
      const result = await merchant.create(paymentInput(overrides, instructionOverrides));
      assert.equal(result.initiation, null);
      assert.deepEqual([result.userErrors[0]?.code, result.userErrors[0]?.field], [code, field], JSON.stringify({ overrides, instructionOverrides }));
    }
    // 2000 characters of state are fine.
    assert.deepEqual((await merchant.create(paymentInput({ clientState: 's'.repeat(2000) }))).userErrors, []);
  });

  it('is idempotent: the same key and input give the same payment; another input is IDEMPOTENCY_KEY_REUSED', async () => {
    const input = paymentInput({ idempotencyKey: 'powens-create-1' });
    const first = await merchant.create(input);
    const again = await merchant.create(input);
    assert.equal(again.initiation.id, first.initiation.id);
    const other = await merchant.create({ ...input, clientState: 'another' });
    assert.deepEqual(other.userErrors.map((e: any) => [e.code, e.field]), [['IDEMPOTENCY_KEY_REUSED', ['idempotencyKey']]]);
  });

  it('issues a payment-scoped token and the validation URL; the token reads its own payment and nothing else', async () => {
    const { initiation } = await merchant.create(paymentInput());
    const other = (await merchant.create(paymentInput())).initiation;
    const scoped = await merchant.scoped(initiation.id);
    assert.deepEqual(scoped.userErrors, []);
    assert.equal(scoped.scope, 'payments:validate');
    assert.equal(scoped.expiresIn, 604800);
    assert.equal(scoped.paymentId, initiation.id);
    const url = new URL(scoped.validationUrl);
    assert.equal(`${url.origin}${url.pathname}`, `${server.url}/webview/payment`);
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      client_id: merchant.client.id,
      redirect_uri: REDIRECT,
      state: 'cart-42',
      code: scoped.token,
      payment_id: initiation.id,
    });

    assert.equal((await merchant.read(initiation.id, scoped.token)).id, initiation.id);
    const foreign = await server.gql(scoped.token, `query($id: ID!) { initiation(id: $id) { id } }`, { id: other.id });
    assert.equal(foreign.errors?.[0].extensions?.code, 'FORBIDDEN');
    assert.equal(foreign.data?.initiation ?? null, null);
    const refusals = [
      [`mutation($input: CreateInitiationInput!) { createInitiation(input: $input) { initiation { id } } }`, { input: paymentInput() }],
      [`mutation($input: CreateInitiationTokenInput!) { createInitiationToken(input: $input) { token } }`, { input: { paymentId: initiation.id } }],
      [`mutation { setWebhookUrl(url: "http://127.0.0.1:9/evil") { webhookUrl } }`, {}],
      [`query($id: ID!) { payment(id: $id) { id } }`, { id: initiation.id }],
      [`mutation { createAccount(input: { assetCode: "EUR" }) { account { id } } }`, {}],
      // The token travels through the payer's browser: it must never read the merchant's signing key.
      [`{ viewer { id webhookSecret } }`, {}],
    ] as const;
    for (const [query, variables] of refusals) {
      const result = await server.gql(scoped.token, query, variables);
      assert.equal(result.errors?.[0].extensions?.code, 'FORBIDDEN', query);
    }
    const rest = await fetch(`${server.url}/orders/${initiation.id}`, { headers: { authorization: `Bearer ${scoped.token}` } });
    assert.equal(rest.status, 403);

    // The webview refuses a redirect URI or a state other than those given at creation, and a foreign code.
    const browser = new FormBrowser(server.url);
    for (const [name, value] of [
      ['redirect_uri', 'http://127.0.0.1:9/evil'],
      ['state', 'forged'],
      ['payment_id', other.id],
      ['code', 'pgat_nope'],
    ]) {
      const bad = new URL(scoped.validationUrl);
      bad.searchParams.set(name, value);
      const page = await browser.get(bad.toString());
      assert.equal(page.status, 400, name);
      assert.equal(page.location, null);
    }
    const noCookie = await new FormBrowser(server.url).get(`/webview/payments/${initiation.id}`);
    assert.equal(noCookie.status, 403);
  });

  it('instant: chosen, authenticated and confirmed in the webview; done 2 s later; signed PAYMENT_STATE_UPDATED webhooks; final state kept', async () => {
    const { initiation } = await merchant.create(paymentInput({ clientState: 'instant state/é' }));
    const scoped = await merchant.scoped(initiation.id);
    const landed = await validate(server, scoped.validationUrl);
    assert.equal(`${landed.origin}${landed.pathname}`, REDIRECT);
    assert.equal(landed.searchParams.get('state'), 'instant state/é');
    assert.equal(landed.searchParams.get('id_payment'), initiation.id);
    assert.equal(landed.searchParams.get('payment_state'), 'pending');
    assert.equal(landed.searchParams.get('error'), null);
    const pending = await merchant.read(initiation.id);
    assert.equal(pending.state, 'PENDING');
    assert.equal(pending.connectorUuid, SANDBOX_BANK.uuid);
    assert.match(pending.bankPaymentId, /^sbx-/);

    await runDue(1000);
    assert.equal(await merchant.state(initiation.id), 'PENDING');
    await runDue(1000);
    const done = await merchant.read(initiation.id);
    assert.equal(done.state, 'DONE');
    assert.equal(done.unifiedState, 'COMPLETED');
    await runDue();

    const hooks = receiver.requests.filter((r) => JSON.parse(r.body).id === initiation.id);
    // One webhook per state change; deliveries are independent jobs, so they may arrive in any order.
    assert.deepEqual(hooks.map((r) => JSON.parse(r.body).state).sort(), ['done', 'pending', 'validating']);
    for (const hook of hooks) {
      assert.equal(hook.path, '/webhooks/powens');
      const expected = createHmac('sha256', merchant.client.webhookSecret)
        .update(`${hook.method}.${hook.path}.${hook.headers['bi-signature-date']}.${hook.body}`)
        .digest('base64');
      assert.equal(hook.headers['bi-signature'], expected);
      assert.doesNotThrow(() => new Webhook(merchant.client.webhookSecret).verify(hook.body, hook.headers));
    }
    const body = JSON.parse(hooks.find((r) => JSON.parse(r.body).state === 'done')!.body);
    assert.equal(body.connector_uuid, SANDBOX_BANK.uuid);
    assert.equal(body.error_code, null);
    assert.equal(body.instructions[0].amount, '50.90');
    assert.equal(body.instructions[0].beneficiary.identification, 'FR7630006000011234567890189');
    assert.equal(body.instructions[0].beneficiary_identity.org_name, 'ACME Corp.');
    assert.equal(body.payer_identity.last_name, 'Michu');
    assert.match(body.register_date, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    // History and live updates: the event history follows each state.
    const history = await server.ok(await server.token(merchant.client.id, merchant.client.secret), `query($id: ID!) { payment(id: $id) { flow state flowState events { type state flowState } } }`, { id: initiation.id });
    assert.equal(history.payment.flow, 'INITIATION');
    assert.deepEqual(history.payment.events.map((e: any) => `${e.type}:${e.flowState}:${e.state}`), [
      'initiation.created:created:CREATED',
      'initiation.validating:validating:PENDING',
      'initiation.pending:pending:PENDING',
      'initiation.done:done:COMPLETED',
    ]);

    // A final state never changes: not by the payer, not by the expiry.
    const again = await merchant.scoped(initiation.id);
    assert.deepEqual(again.userErrors.map((e: any) => e.code), ['PAYMENT_FINAL']);
    await runDue(30 * DAY);
    assert.equal(await merchant.state(initiation.id), 'DONE');
  });

  it('rejected by the bank: login insufficient → error_code insufficientFunds in the callback and the state', async () => {
    const { initiation } = await merchant.create(paymentInput());
    const landed = await validate(server, (await merchant.scoped(initiation.id)).validationUrl, { login: 'insufficient' });
    assert.equal(landed.searchParams.get('error_code'), 'insufficientFunds');
    assert.equal(landed.searchParams.get('payment_state'), 'rejected');
    assert.equal(landed.searchParams.get('error'), null);
    const read = await merchant.read(initiation.id);
    assert.equal(read.state, 'REJECTED');
    assert.equal(read.errorCode, 'insufficientFunds');
    assert.equal(read.unifiedState, 'REJECTED');

    const second = (await merchant.create(paymentInput())).initiation;
    const refused = await validate(server, (await merchant.scoped(second.id)).validationUrl, { login: 'refuse' });
    assert.equal(refused.searchParams.get('error_code'), 'bankMessage');
    assert.equal(refused.searchParams.get('bank_message'), 'Payment refused by your adviser (sandbox).');
  });

  it('cancelled by the payer in the webview: error=cancelled, CancelledByUser; nothing moves it afterwards', async () => {
    const { initiation } = await merchant.create(paymentInput());
    const browser = new FormBrowser(server.url);
    const entry = await browser.get((await merchant.scoped(initiation.id)).validationUrl);
    const page = await browser.get(entry.location!);
    const forged = await browser.post(`/webview/payments/${initiation.id}/cancel`, { csrf_token: 'forged' });
    assert.equal(forged.status, 403);
    const answer = await browser.submit(formTo(page.text, `/webview/payments/${initiation.id}/cancel`));
    assert.equal(answer.status, 303);
    const landed = new URL(answer.location!);
    assert.equal(landed.searchParams.get('error'), 'cancelled');
    assert.equal(landed.searchParams.get('error_code'), 'CancelledByUser');
    assert.equal(landed.searchParams.get('state'), 'cart-42');
    assert.equal(landed.searchParams.get('id_payment'), initiation.id);
    const read = await merchant.read(initiation.id);
    assert.deepEqual([read.state, read.errorCode], ['REJECTED', 'CancelledByUser']);
    const late = await browser.post(`/webview/payments/${initiation.id}/bank`, { ...formTo(page.text, `/webview/payments/${initiation.id}/bank`).fields, connector_uuid: SANDBOX_BANK.uuid });
    assert.equal(late.status, 400);
    assert.equal(await merchant.state(initiation.id), 'REJECTED');
  });

  it('accepted: a connector with partial status tracking for first_open_day ends accepted', async () => {
    const { initiation } = await merchant.create(paymentInput({}, { executionDateType: 'first_open_day' }));
    const landed = await validate(server, (await merchant.scoped(initiation.id)).validationUrl, { bank: SANDBOX_ACCEPTANCE_BANK.uuid });
    assert.equal(landed.searchParams.get('payment_state'), 'pending');
    await runDue(2000);
    const read = await merchant.read(initiation.id);
    assert.deepEqual([read.state, read.unifiedState, read.connectorUuid], ['ACCEPTED', 'ACCEPTED', SANDBOX_ACCEPTANCE_BANK.uuid]);
  });

  it('deferred: pending until its execution date, then done', async () => {
    const date = new Date(clock.now().getTime() + 10 * DAY).toISOString().slice(0, 10);
    const { initiation, userErrors } = await merchant.create(paymentInput({}, { executionDateType: 'deferred', executionDate: date }));
    assert.deepEqual(userErrors, []);
    assert.equal(initiation.instructions[0].executionDate, date);
    await validate(server, (await merchant.scoped(initiation.id)).validationUrl);
    await runDue(5 * DAY);
    assert.equal(await merchant.state(initiation.id), 'PENDING');
    await runDue(9 * DAY); // past the date, and past the next open day if TARGET2 is closed that day
    assert.equal(await merchant.state(initiation.id), 'DONE');
  });

  // Last: it moves the clock past the expiry.
  it('expired: the bank never answers (login silent); the expiry moves it once, and never again', async () => {
    const { initiation } = await merchant.create(paymentInput());
    const landed = await validate(server, (await merchant.scoped(initiation.id)).validationUrl, { login: 'silent' });
    assert.equal(landed.searchParams.get('payment_state'), 'pending');
    await runDue(3 * DAY);
    assert.equal(await merchant.state(initiation.id), 'PENDING');
    await runDue(6 * DAY);
    const read = await merchant.read(initiation.id);
    assert.deepEqual([read.state, read.unifiedState], ['EXPIRED', 'EXPIRED']);
    await runDue(10 * DAY);
    assert.equal(await merchant.state(initiation.id), 'EXPIRED');
    // A payment nobody validated expires as well.
    const idle = (await merchant.create(paymentInput())).initiation;
    await runDue(8 * DAY);
    assert.equal(await merchant.state(idle.id), 'EXPIRED');
  });
});

describe('first_open_day on the TARGET2 calendar', () => {
  const clock = new ManualClock(new Date('2024-03-08T10:00:00Z')); // a Friday
  let server: TestServer;
  let merchant: Merchant;

  before(async () => {
    server = await startServer({ clock, config: { schedulerPollMs: 3_600_000 } });
    merchant = new Merchant(server, await server.client([...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN], 'Calendar shop'));
  });
  after(() => server.close());

  async function at(iso: string): Promise<void> {
    clock.set(new Date(iso));
    await server.app.services.scheduler.runDue();
  }

  it('confirmed on a Friday: pending over the weekend, done on Monday', async () => {
    const { initiation } = await merchant.create(paymentInput({}, { executionDateType: 'first_open_day' }));
    await validate(server, (await merchant.scoped(initiation.id)).validationUrl);
    await at('2024-03-08T23:59:59Z');
    assert.equal(await merchant.state(initiation.id), 'PENDING', 'never the same day');
    await at('2024-03-10T12:00:00Z');
    assert.equal(await merchant.state(initiation.id), 'PENDING');
    await at('2024-03-11T00:00:01Z');
    assert.equal(await merchant.state(initiation.id), 'DONE');
  });

  it('confirmed on Maundy Thursday 2024: pending from Good Friday to Easter Monday, done on Tuesday 2 April', async () => {
    clock.set(new Date('2024-03-28T15:00:00Z'));
    const { initiation } = await merchant.create(paymentInput({}, { executionDateType: 'first_open_day' }));
    await validate(server, (await merchant.scoped(initiation.id)).validationUrl);
    for (const day of ['2024-03-29', '2024-03-30', '2024-03-31', '2024-04-01']) {
      await at(`${day}T12:00:00Z`);
      assert.equal(await merchant.state(initiation.id), 'PENDING', day);
    }
    await at('2024-04-01T23:59:59Z');
    assert.equal(await merchant.state(initiation.id), 'PENDING');
    await at('2024-04-02T00:00:00Z');
    assert.equal(await merchant.state(initiation.id), 'DONE');
  });
});
