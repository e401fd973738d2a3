/**
 * An identity provider (BankID, Trustly, Zimpler…): it identifies a person in their browser and
 * returns KYC data; a Trustly-style one also takes the deposit at its payment step. Paygrid talks to
 * it through this interface only, so the sandbox can be replaced by a real connector. Every call
 * carries Paygrid's idempotency key (src/providers/provider-call.ts): the same key, the same answer.
 */

/** KYC data as the 1-Click API names it (reference provider-flows §2.7–2.8). */
export interface KycData {
  name: string;
  firstName: string;
  lastName: string;
  /** National identity number, e.g. SE199110284479. */
  personid: string;
  /** YYYY-MM-DD. */
  dob: string;
  /** MALE | FEMALE | X | UNKNOWN. */
  gender: string;
  street: string | null;
  city: string | null;
  zip: string | null;
  /** ISO 3166-1 alpha-3, e.g. SWE. */
  country: string;
  email: string | null;
  mobile: string | null;
}

/** Why an identification failed, as PaymentIQ's lower-case status names say it. */
export enum IdentityFailure {
  USER_DENIED = 'err_user_denied',
  NOT_AUTHENTICATED = 'err_not_authenticated',
  SANCTIONED = 'err_sanctions_hit',
  UNDER_AGE = 'err_under_age',
  IDENTITY_MISMATCH = 'err_identity_mismatch',
}

export const IDENTITY_FAILURES: ReadonlySet<string> = new Set(Object.values(IdentityFailure));

export interface StartSignIn {
  idempotencyKey: string;
  /** Where the provider sends the browser back once the person approved or denied. */
  returnUrl: string;
  /** The national id the operator expects (`ssn`): another person is a mismatch. */
  ssn: string | null;
  country: string | null;
  locale: string | null;
}

export interface Redirect {
  /** The provider's reference of this session or payment. */
  ref: string;
  /** Where to send the browser. */
  url: string;
}

export type SignInResult =
  | { kind: 'identified'; kyc: KycData; /** Issued at, seconds. */ iat: number; /** Re-authenticated at, seconds. */ rat: number }
  | { kind: 'failed'; failure: IdentityFailure; message: string };

export interface StartPayment {
  idempotencyKey: string;
  /** The provider's reference of the identified session: it pays from that person's bank. */
  signInRef: string;
  /** Minor units. */
  amount: bigint;
  assetCode: string;
  assetScale: number;
  returnUrl: string;
}

export type PaymentResult =
  | { kind: 'paid'; pspRefId: string; accountHolder: string; maskedAccount: string }
  | { kind: 'failed'; message: string };

export interface IdentityProvider {
  /** As the 1-Click API names it in `identity_provider`, e.g. `sandbox-bankid`. */
  readonly id: string;
  readonly name: string;
  /** Whether it also takes the payment (Trustly-style); all of sign-up + deposit needs it. */
  readonly takesPayments: boolean;
  startSignIn(input: StartSignIn): Promise<Redirect>;
  /** The outcome of a session; throws while the person has not decided yet (the caller asks again). */
  signInResult(idempotencyKey: string, ref: string): Promise<SignInResult>;
  startPayment(input: StartPayment): Promise<Redirect>;
  /** The outcome of a payment; throws while the person has not confirmed yet. */
  paymentResult(idempotencyKey: string, ref: string): Promise<PaymentResult>;
}

/** The identity providers Paygrid can hand a browser to. */
export class IdentityProviders {
  private readonly byId = new Map<string, IdentityProvider>();

  constructor(providers: readonly IdentityProvider[]) {
    for (const p of providers) this.byId.set(p.id, p);
  }

  get(id: string): IdentityProvider | null {
    return this.byId.get(id) ?? null;
  }

  list(): IdentityProvider[] {
    return [...this.byId.values()];
  }
}

/** Readers of stored answers (provider_call.answer is JSON: no bigint, no Date). */
export function readRedirect(stored: unknown): Redirect {
  const value = stored as Redirect;
  return { ref: String(value.ref), url: String(value.url) };
}

export function readSignInResult(stored: unknown): SignInResult {
  return stored as SignInResult;
}

export function readPaymentResult(stored: unknown): PaymentResult {
  return stored as PaymentResult;
}
