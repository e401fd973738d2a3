import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MERCHANT_SCOPES, Scope } from '../src/oauth/scopes';
import type { BankAnswer, BankConnector, BankGateway, CancelAnswer, CancelRequest, ConfirmRequest, PollRequest } from '../src/providers/bank/bank-connector';
import { SANDBOX_BANK, SandboxBank } from '../src/providers/bank/sandbox-bank';
import { ManualClock } from '../src/shared/clock';
import { FormBrowser, formTo, type Form } from './support/form-browser';
import { startServer, type TestClient, type TestServer } from './support/server';
import { initiationInstruction } from './support/flows';

/*
 * The bank is called through recorded provider calls (issue 13, item 5): concurrent confirmations
 * make one bank payment, a payer cancel never beats the bank's answer, and an answer lost on the way
 * back is fetched again by the scheduler with the same key. Over the webview's HTTP routes.
 */

const REDIRECT = 'http://127.0.0.1:9/shop/powens-callback';

/** The sandbox bank behind a wire the test controls: it can hold confirmations, or lose an answer. */
class WiredBank implements BankGateway {
  readonly sandbox = new SandboxBank();
  readonly confirmKeys: string[] = [];
  readonly pollKeys: string[] = [];
  /** Every bank payment id a confirmation answered with: what the bank holds. */
  readonly bankPayments = new Map<string, BankAnswer>();
  connectorLookups = 0;
  confirmCalls = 0;
  private createdBefore = 0;
  /** While set, confirmations wait for it before they reach the bank. */
  hold: Promise<void> | null = null;
  /** The next confirmation reaches the bank, and its answer is lost on the way back. */
  loseNextAnswer = false;
  private readonly watchers: Array<() => boolean> = [];

  async listConnectors(): Promise<readonly BankConnector[]> {
    this.connectorLookups++;
    this.notify();
    return this.sandbox.listConnectors();
  }

  async confirm(request: ConfirmRequest): Promise<BankAnswer> {
    this.confirmKeys.push((request as { idempotencyKey?: string }).idempotencyKey ?? '(none)');
    this.confirmCalls++;
    this.notify();
    if (this.hold) await this.hold;
    const answer = await this.sandbox.confirm(request);
    if (answer.kind === 'pending') this.bankPayments.set(answer.ref.bankPaymentId, answer);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new Error('connection reset: the bank answered, the answer was lost');
    }
    return answer;
  }

  async poll(request: PollRequest): Promise<BankAnswer> {
    this.pollKeys.push((request as { idempotencyKey?: string }).idempotencyKey ?? '(none)');
    return this.sandbox.poll(request);
  }

  cancel(request: CancelRequest): Promise<CancelAnswer> {
    return this.sandbox.cancel(request);
  }

  /** Resolves once `condition` holds (checked at each bank interaction). */
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push(() => (condition() ? (resolve(), true) : false)));
  }

  /** Runs the watchers; those whose condition now holds are done. */
  private notify(): void {
    for (let i = this.watchers.length - 1; i >= 0; i--) if (this.watchers[i]()) this.watchers.splice(i, 1);
  }

  /** Bank payments the sandbox created since the last reset. */
  get created(): number {
    return this.sandbox.paymentsCreated - this.createdBefore;
  }

  reset(): void {
    this.createdBefore = this.sandbox.paymentsCreated;
    this.confirmKeys.length = 0;
    this.pollKeys.length = 0;
    this.bankPayments.clear();
    this.connectorLookups = 0;
    this.confirmCalls = 0;
    this.hold = null;
    this.loseNextAnswer = false;
  }
}

describe('bank calls recorded before they are made', () => {
  const clock = new ManualClock();
  const bank = new WiredBank();
  let server: TestServer;
  let merchant: TestClient;

  const admin = () => server.token(merchant.id, merchant.secret, 'payments:admin');

  const state = async (id: string): Promise<string> => {
    const data = await server.ok(await admin(), `query($id: ID!) { initiation(id: $id) { state } }`, { id });
    return data.initiation.state;
  };

  /** A payment created, and the payer at the bank's login page with the bank chosen: the form to confirm or cancel. */
  async function atTheBank(): Promise<{ id: string; browser: FormBrowser; form: Form }> {
    const token = await admin();
    const created = await server.ok(token, `mutation($input: CreateInitiationInput!) { createInitiation(input: $input) { initiation { id } userErrors { code } } }`, {
      input: {
        clientRedirectUri: REDIRECT,
        instructions: [
          initiationInstruction(),
        ],
        payerIdentity: { kind: 'individual', firstName: 'Germaine', lastName: 'Michu' },
        idempotencyKey: `key-${Math.random().toString(36).slice(2)}`,
      },
    });
    assert.deepEqual(created.createInitiation.userErrors, []);
    const id = created.createInitiation.initiation.id;
    const scoped = await server.ok(token, `mutation($input: CreateInitiationTokenInput!) { createInitiationToken(input: $input) { validationUrl } }`, { input: { paymentId: id } });
    const browser = new FormBrowser(server.url);
    const entry = await browser.get(scoped.createInitiationToken.validationUrl);
    assert.equal(entry.status, 303, entry.text);
    const page = await browser.get(entry.location!);
    const chosen = await browser.submit(formTo(page.text, `/webview/payments/${id}/bank`), { connector_uuid: SANDBOX_BANK.uuid });
    assert.equal(chosen.status, 303, chosen.text);
    const login = await browser.get(chosen.location!);
    assert.equal(login.status, 200, login.text);
    return { id, browser, form: formTo(login.text, `/webview/payments/${id}/bank-login`) };
  }

  const confirm = (browser: FormBrowser, form: Form) => browser.submit(form, { login: 'germaine', password: 'sandbox', decision: 'confirm' });
  const paymentState = (location: string | null) => (location ? new URL(location).searchParams.get('payment_state') : null);

  before(async () => {
    server = await startServer({ clock, bankGateway: bank, config: { schedulerPollMs: 3_600_000 } });
    merchant = await server.client([...MERCHANT_SCOPES, Scope.PAYMENTS_ADMIN], 'ACME Shop');
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => bank.reset());

  it('two confirmations sent at once make one bank payment, under one key, and both answer the same state', async () => {
    const { id, browser, form } = await atTheBank();
    let release!: () => void;
    bank.hold = new Promise((resolve) => (release = resolve));
    const lookups = bank.connectorLookups;
    const first = confirm(browser, form);
    const second = confirm(browser, form);
    // Both requests are past their checks (each looks its bank up just before it calls it) before the bank answers.
    await bank.until(() => bank.connectorLookups >= lookups + 2 && bank.confirmCalls >= 1);
    release();
    const answers = await Promise.all([first, second]);
    assert.equal(bank.bankPayments.size, 1, 'one payment at the bank');
    assert.equal(bank.created, 1);
    assert.deepEqual(answers.map((a) => [a.status, paymentState(a.location)]), [[303, 'pending'], [303, 'pending']]);
    assert.equal(await state(id), 'PENDING');
    assert.equal(new Set(bank.confirmKeys).size, 1, `one key: ${bank.confirmKeys.join(', ')}`);
    assert.notEqual(bank.confirmKeys[0], '(none)');
  });

  it('a payer cancel while the confirmation is at the bank is refused, and the payment follows the bank (pending)', async () => {
    const { id, browser, form } = await atTheBank();
    let release!: () => void;
    bank.hold = new Promise((resolve) => (release = resolve));
    const confirmed = confirm(browser, form);
    await bank.until(() => bank.confirmCalls >= 1);
    const cancel = await browser.submit(form, { decision: 'cancel' });
    assert.equal(cancel.status, 400, cancel.text);
    assert.match(cancel.text, /has not answered yet/);
    release();
    const answer = await confirmed;
    assert.equal(answer.status, 303, answer.text);
    assert.equal(paymentState(answer.location), 'pending');
    assert.equal(await state(id), 'PENDING');
    // The bank holds it pending too.
    assert.equal(bank.bankPayments.size, 1);
    const [held] = bank.bankPayments.values();
    assert.equal((await bank.sandbox.poll({ idempotencyKey: 'look', connector: SANDBOX_BANK, ref: (held as { ref: any }).ref, now: clock.now() })).kind, 'pending');
    // Once the bank answered, cancelling is refused as for any confirmed payment.
    const late = await browser.submit(form, { decision: 'cancel' });
    assert.equal(late.status, 400);
    assert.match(late.text, /already confirmed at the bank/);
    assert.equal(await state(id), 'PENDING');
  });

  it('an answer lost on the way back is fetched again by the scheduler with the same key: one bank payment, its answer applied', async () => {
    const { id, browser, form } = await atTheBank();
    bank.loseNextAnswer = true;
    const answer = await confirm(browser, form);
    // The payer goes back to the merchant: the bank has not answered (yet) as far as Paygrid knows.
    assert.equal(answer.status, 303, answer.text);
    assert.equal(paymentState(answer.location), 'validating');
    assert.equal(await state(id), 'VALIDATING');
    // Nor may the payer cancel what the bank may hold.
    const cancel = await browser.submit(form, { decision: 'cancel' });
    assert.equal(cancel.status, 400);
    assert.equal(await state(id), 'VALIDATING');

    // Past the attempt's lease, the scheduler asks again; the instant payment is then polled to done.
    clock.advance(120_000);
    await server.app.services.scheduler.runDue();
    assert.equal(await state(id), 'DONE');
    assert.equal(bank.confirmKeys.length, 2);
    assert.equal(bank.confirmKeys[0], bank.confirmKeys[1], 'the retry sends the same key');
    assert.equal(bank.bankPayments.size, 1, 'one payment at the bank');
    assert.equal(bank.created, 1);
    assert.ok(bank.pollKeys.length >= 1);
    assert.ok(!bank.pollKeys.includes(bank.confirmKeys[0]), 'a poll has its own key');

    // A confirmation after the answer replays it, without calling the bank.
    const again = await confirm(browser, form);
    assert.equal(again.status, 303);
    assert.equal(paymentState(again.location), 'done');
    assert.equal(bank.confirmKeys.length, 2);
  });

  it('the bank refusing a confirmation still ends rejected, with one call and no bank payment', async () => {
    const { id, browser, form } = await atTheBank();
    const answer = await browser.submit(form, { login: 'insufficient', password: 'sandbox', decision: 'confirm' });
    assert.equal(answer.status, 303, answer.text);
    assert.equal(new URL(answer.location!).searchParams.get('error_code'), 'insufficientFunds');
    assert.equal(await state(id), 'REJECTED');
    assert.equal(bank.confirmKeys.length, 1);
    assert.equal(bank.bankPayments.size, 0);
  });
});
