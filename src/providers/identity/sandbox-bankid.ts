import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { html, sendErrorPage, sendPage, sendRedirect } from '../../http/pages';
import { formatAmount } from '../../money/money';
import type { Clock } from '../../shared/clock';
import {
  IdentityFailure,
  type IdentityProvider,
  type KycData,
  type PaymentResult,
  type Redirect,
  type SignInResult,
  type StartPayment,
  type StartSignIn,
} from './identity-provider';

export const SANDBOX_BANKID = 'sandbox-bankid';
const PAGE_PATH = '/sandbox/bankid';
const ADULT_AGE = 18;

/** A test person, and what the sandbox does when they identify (their scripted outcome). */
export interface TestIdentity {
  key: string;
  kyc: KycData;
  /** Null: identified. Else the failure the sandbox answers with (age is computed from dob). */
  scripted: IdentityFailure.NOT_AUTHENTICATED | IdentityFailure.SANCTIONED | null;
}

const person = (kyc: Omit<KycData, 'name'>): KycData => ({ name: `${kyc.firstName} ${kyc.lastName}`, ...kyc });

/** The sandbox's test identities (fields per the 1-Click KYC data page). */
export const TEST_IDENTITIES: readonly TestIdentity[] = [
  {
    key: 'astrid',
    scripted: null,
    kyc: person({ firstName: 'Astrid', lastName: 'Andersson', personid: 'SE199110284479', dob: '1991-10-28', gender: 'FEMALE', street: 'Storgatan 1', city: 'Stockholm', zip: '11122', country: 'SWE', email: 'astrid@example.se', mobile: '+46701234567' }),
  },
  {
    key: 'bjorn',
    scripted: null,
    kyc: person({ firstName: 'Björn', lastName: 'Berg', personid: 'SE198503125678', dob: '1985-03-12', gender: 'MALE', street: 'Kungsgatan 7', city: 'Göteborg', zip: '41119', country: 'SWE', email: null, mobile: null }),
  },
  {
    key: 'ulla',
    scripted: null,
    // Under age whenever the sandbox runs: born 10 years before now is computed per call.
    kyc: person({ firstName: 'Ulla', lastName: 'Ung', personid: 'SE201601011234', dob: '2016-01-01', gender: 'FEMALE', street: 'Skolvägen 3', city: 'Uppsala', zip: '75220', country: 'SWE', email: null, mobile: null }),
  },
  {
    key: 'sanna',
    scripted: IdentityFailure.SANCTIONED,
    kyc: person({ firstName: 'Sanna', lastName: 'Spärr', personid: 'SE197702023456', dob: '1977-02-02', gender: 'FEMALE', street: 'Hamngatan 9', city: 'Malmö', zip: '21122', country: 'SWE', email: null, mobile: null }),
  },
  {
    key: 'nils',
    scripted: IdentityFailure.NOT_AUTHENTICATED,
    kyc: person({ firstName: 'Nils', lastName: 'Nekad', personid: 'SE196906069876', dob: '1969-06-06', gender: 'MALE', street: 'Torget 2', city: 'Lund', zip: '22221', country: 'SWE', email: null, mobile: null }),
  },
];

/** Bank accounts offered at the payment step; the last one always fails (insufficient funds at the bank). */
export const TEST_BANK_ACCOUNTS = [
  { key: 'swedbank', label: 'Swedbank', masked: '****1234', fails: false },
  { key: 'seb', label: 'SEB', masked: '****9876', fails: false },
  { key: 'empty', label: 'Nordea (empty account)', masked: '****0000', fails: true },
] as const;

interface Session {
  ref: string;
  returnUrl: string;
  ssn: string | null;
  result: SignInResult | null;
}

interface SandboxPayment {
  ref: string;
  signInRef: string;
  amount: bigint;
  assetCode: string;
  assetScale: number;
  returnUrl: string;
  result: PaymentResult | null;
}

const ref = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

function age(dob: string, now: Date): number {
  const [y, m, d] = dob.split('-').map(Number);
  let years = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d)) years--;
  return years;
}

/**
 * A BankID-like identity provider with its own pages: the person picks a test identity and
 * approves or denies; the outcome follows the identity's script (identified, not authenticated,
 * sanctioned, under age), or a mismatch when the operator named another national id. Its payment
 * step (Trustly-style) takes the deposit from a test bank account. Sessions live in this process's
 * memory, as a sandbox may: one instance, gone on restart.
 */
export class SandboxBankId implements IdentityProvider {
  readonly id = SANDBOX_BANKID;
  readonly name = 'Sandbox BankID';
  readonly takesPayments = true;
  private readonly sessions = new Map<string, Session>();
  private readonly payments = new Map<string, SandboxPayment>();
  /** Idempotency key → what was answered to it. */
  private readonly started = new Map<string, Redirect>();

  constructor(
    private readonly base: () => string,
    private readonly clock: Clock,
  ) {}

  async startSignIn(input: StartSignIn): Promise<Redirect> {
    const known = this.started.get(input.idempotencyKey);
    if (known) return known;
    const session: Session = { ref: ref('bid'), returnUrl: input.returnUrl, ssn: input.ssn, result: null };
    this.sessions.set(session.ref, session);
    const answer = { ref: session.ref, url: `${this.base()}${PAGE_PATH}/${session.ref}` };
    this.started.set(input.idempotencyKey, answer);
    return answer;
  }

  async signInResult(_key: string, sessionRef: string): Promise<SignInResult> {
    const session = this.sessions.get(sessionRef);
    if (!session) throw new Error('unknown sandbox BankID session');
    if (!session.result) throw new Error('the person has not approved or denied yet');
    return session.result;
  }

  async startPayment(input: StartPayment): Promise<Redirect> {
    const known = this.started.get(input.idempotencyKey);
    if (known) return known;
    if (!this.sessions.get(input.signInRef)?.result || this.sessions.get(input.signInRef)!.result!.kind !== 'identified') {
      throw new Error('the sandbox pays only for an identified session');
    }
    const payment: SandboxPayment = { ref: ref('bpay'), signInRef: input.signInRef, amount: input.amount, assetCode: input.assetCode, assetScale: input.assetScale, returnUrl: input.returnUrl, result: null };
    this.payments.set(payment.ref, payment);
    const answer = { ref: payment.ref, url: `${this.base()}${PAGE_PATH}/pay/${payment.ref}` };
    this.started.set(input.idempotencyKey, answer);
    return answer;
  }

  async paymentResult(_key: string, paymentRef: string): Promise<PaymentResult> {
    const payment = this.payments.get(paymentRef);
    if (!payment) throw new Error('unknown sandbox payment');
    if (!payment.result) throw new Error('the person has not confirmed the payment yet');
    return payment.result;
  }

  /** What the person's choice on the page leads to. */
  decide(sessionRef: string, decision: 'approve' | 'deny', identityKey: string | undefined): Session | null {
    const session = this.sessions.get(sessionRef);
    if (!session || session.result) return session ?? null;
    if (decision === 'deny') {
      session.result = { kind: 'failed', failure: IdentityFailure.USER_DENIED, message: 'The person denied the identification.' };
      return session;
    }
    const identity = TEST_IDENTITIES.find((i) => i.key === identityKey);
    if (!identity) return null;
    const now = this.clock.now();
    const seconds = Math.floor(now.getTime() / 1000);
    if (identity.scripted === IdentityFailure.NOT_AUTHENTICATED) {
      session.result = { kind: 'failed', failure: IdentityFailure.NOT_AUTHENTICATED, message: 'The identification could not be completed.' };
    } else if (session.ssn && session.ssn !== identity.kyc.personid) {
      session.result = { kind: 'failed', failure: IdentityFailure.IDENTITY_MISMATCH, message: 'The person identified is not the one expected.' };
    } else if (identity.scripted === IdentityFailure.SANCTIONED) {
      session.result = { kind: 'failed', failure: IdentityFailure.SANCTIONED, message: 'The person is on a sanctions list.' };
    } else if (age(identity.kyc.dob, now) < ADULT_AGE) {
      session.result = { kind: 'failed', failure: IdentityFailure.UNDER_AGE, message: `The person is under ${ADULT_AGE}.` };
    } else {
      session.result = { kind: 'identified', kyc: identity.kyc, iat: seconds, rat: seconds };
    }
    return session;
  }

  pay(paymentRef: string, decision: 'pay' | 'cancel', accountKey: string | undefined): SandboxPayment | null {
    const payment = this.payments.get(paymentRef);
    if (!payment || payment.result) return payment ?? null;
    if (decision === 'cancel') {
      payment.result = { kind: 'failed', message: 'The person cancelled the payment.' };
      return payment;
    }
    const account = TEST_BANK_ACCOUNTS.find((a) => a.key === accountKey);
    if (!account) return null;
    const session = this.sessions.get(payment.signInRef)!;
    const holder = session.result?.kind === 'identified' ? session.result.kyc.name : '';
    payment.result = account.fails
      ? { kind: 'failed', message: 'The bank refused the payment: insufficient funds.' }
      : { kind: 'paid', pspRefId: ref('bktx'), accountHolder: holder, maskedAccount: account.masked };
    return payment;
  }

  /** The provider's own pages: identification (test identities, Approve, Deny) and the payment step. */
  registerPages(app: FastifyInstance): void {
    app.get<{ Params: { ref: string } }>(`${PAGE_PATH}/:ref`, async (request, reply) => {
      const session = this.sessions.get(request.params.ref);
      if (!session) return sendErrorPage(reply, 404, 'Unknown session', 'This BankID session does not exist or has ended.');
      if (session.result) return sendRedirect(reply, session.returnUrl);
      return sendPage(reply, {
        title: 'Sandbox BankID',
        body: html`<h1>Identify with Sandbox BankID</h1>
<p class="muted">A test identity provider: choose who you are. Each identity has a scripted outcome.</p>
<form method="post" action="${PAGE_PATH}/${session.ref}">
${TEST_IDENTITIES.map(
  (i, n) => html`<label><input type="radio" name="identity" value="${i.key}" ${n === 0 ? html`checked` : ''}> ${i.kyc.name} (${i.kyc.personid})${
    i.scripted === IdentityFailure.NOT_AUTHENTICATED ? ' — fails to authenticate' : i.scripted === IdentityFailure.SANCTIONED ? ' — on a sanctions list' : age(i.kyc.dob, this.clock.now()) < ADULT_AGE ? ' — under age' : ''
  }</label>`,
)}
<div class="actions">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>`,
      });
    });

    app.post<{ Params: { ref: string } }>(`${PAGE_PATH}/:ref`, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const decision = body.decision === 'approve' || body.decision === 'deny' ? body.decision : null;
      if (!decision) return sendErrorPage(reply, 400, 'Request refused', 'Choose Approve or Deny.');
      const session = this.decide(request.params.ref, decision, typeof body.identity === 'string' ? body.identity : undefined);
      if (!session) return sendErrorPage(reply, 400, 'Request refused', 'Choose one of the test identities.');
      return sendRedirect(reply, session.returnUrl);
    });

    app.get<{ Params: { ref: string } }>(`${PAGE_PATH}/pay/:ref`, async (request, reply) => {
      const payment = this.payments.get(request.params.ref);
      if (!payment) return sendErrorPage(reply, 404, 'Unknown payment', 'This payment does not exist or has ended.');
      if (payment.result) return sendRedirect(reply, payment.returnUrl);
      return sendPage(reply, {
        title: 'Sandbox BankID payment',
        body: html`<h1>Pay <span id="amount">${formatAmount(payment.amount, payment.assetScale)} ${payment.assetCode}</span></h1>
<p class="muted">Choose the bank account the deposit is paid from.</p>
<form method="post" action="${PAGE_PATH}/pay/${payment.ref}">
${TEST_BANK_ACCOUNTS.map((a, n) => html`<label><input type="radio" name="account" value="${a.key}" ${n === 0 ? html`checked` : ''}> ${a.label} ${a.masked}</label>`)}
<div class="actions">
<button type="submit" name="decision" value="pay">Pay</button>
<button type="submit" name="decision" value="cancel" class="secondary">Cancel</button>
</div>
</form>`,
      });
    });

    app.post<{ Params: { ref: string } }>(`${PAGE_PATH}/pay/:ref`, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const decision = body.decision === 'pay' || body.decision === 'cancel' ? body.decision : null;
      if (!decision) return sendErrorPage(reply, 400, 'Request refused', 'Choose Pay or Cancel.');
      const payment = this.pay(request.params.ref, decision, typeof body.account === 'string' ? body.account : undefined);
      if (!payment) return sendErrorPage(reply, 400, 'Request refused', 'Choose one of the accounts.');
      return sendRedirect(reply, payment.returnUrl);
    });
  }
}
