import { PaymentState } from '../../payments/payment.entity';
import { StateMachine } from '../../shared/state-machine';

/** The bank payment initiation's own vocabulary: Powens' PaymentState (reference 001, §1.4). */
export enum InitiationState {
  /** Registered, not yet validated by the payer. */
  CREATED = 'created',
  /** Validated by the payer and handed to the bank. */
  VALIDATING = 'validating',
  /** Confirmed at the bank; execution not yet confirmed. */
  PENDING = 'pending',
  /** Executed and confirmed by the bank. */
  DONE = 'done',
  /** Passed the bank's acceptance checks; the bank will give no further update. */
  ACCEPTED = 'accepted',
  /** Refused by the bank, the payer or the client; an error code says why. */
  REJECTED = 'rejected',
  /** No definitive answer in time; to be read as rejected. */
  EXPIRED = 'expired',
  /** Bulk only: some instructions rejected, some done or accepted. */
  PARTIAL = 'partial',
}

export const initiationMachine = new StateMachine<InitiationState>('payment', {
  created: [InitiationState.VALIDATING, InitiationState.REJECTED, InitiationState.EXPIRED],
  validating: [InitiationState.PENDING, InitiationState.REJECTED, InitiationState.EXPIRED],
  pending: [
    InitiationState.DONE,
    InitiationState.ACCEPTED,
    InitiationState.PARTIAL,
    InitiationState.REJECTED,
    InitiationState.EXPIRED,
  ],
  done: [],
  accepted: [],
  rejected: [],
  expired: [],
  partial: [],
});

/**
 * How each initiation state reads in the vocabulary shared by every flow. `partial` has no exact
 * counterpart: it is final and money moved, so it reads as completed; the instructions' own states
 * say which of them went through.
 */
export const UNIFIED_STATE: Record<InitiationState, PaymentState> = {
  created: PaymentState.CREATED,
  validating: PaymentState.PENDING,
  pending: PaymentState.PENDING,
  done: PaymentState.COMPLETED,
  accepted: PaymentState.ACCEPTED,
  rejected: PaymentState.REJECTED,
  expired: PaymentState.EXPIRED,
  partial: PaymentState.COMPLETED,
};

/** What a state read from a bank or a peer means to us. */
export type StateReading =
  | { known: true; state: InitiationState; unified: PaymentState; final: boolean }
  /**
   * A state this version does not know (a provider may add states): not resolvable, so it is read as
   * still pending and never as final. The caller keeps the payment where it is and records `raw`.
   */
  | { known: false; raw: string; unified: PaymentState.PENDING; final: false };

const STATES: ReadonlySet<string> = new Set(Object.values(InitiationState));

/** Reads a state from a provider (case and surrounding blanks ignored); unknown values are not errors. */
export function readInitiationState(raw: string): StateReading {
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (STATES.has(value)) {
    const state = value as InitiationState;
    return { known: true, state, unified: UNIFIED_STATE[state], final: initiationMachine.isFinal(state) };
  }
  return { known: false, raw, unified: PaymentState.PENDING, final: false };
}

/**
 * Why a payment was rejected: Powens' PaymentErrorCode (§1.5), spelled as the provider spells it,
 * including the capital C of the two `Cancelled…` codes.
 */
export enum PaymentErrorCode {
  invalidEmitter = 'invalidEmitter',
  insufficientFunds = 'insufficientFunds',
  invalidAmount = 'invalidAmount',
  invalidCurrency = 'invalidCurrency',
  invalidDate = 'invalidDate',
  invalidBeneficiary = 'invalidBeneficiary',
  invalidLabel = 'invalidLabel',
  invalidReferenceId = 'invalidReferenceId',
  regulatoryReason = 'regulatoryReason',
  authenticationFailed = 'authenticationFailed',
  noAnswerFromCustomer = 'noAnswerFromCustomer',
  noSpecifiedReason = 'noSpecifiedReason',
  CancelledByUser = 'CancelledByUser',
  CancelledByClient = 'CancelledByClient',
  confirmationRefused = 'confirmationRefused',
  bankMessage = 'bankMessage',
  invalidValue = 'invalidValue',
  websiteUnavailable = 'websiteUnavailable',
  bug = 'bug',
}

/** Default `error_description` per code; a `Record` so that a code without a description does not compile. */
export const PAYMENT_ERROR_DESCRIPTIONS: Record<PaymentErrorCode, string> = {
  invalidEmitter: "The payer's account cannot make this payment.",
  insufficientFunds: "The payer's account does not have enough funds.",
  invalidAmount: 'The bank refused the amount.',
  invalidCurrency: 'The bank refused the currency.',
  invalidDate: 'The bank refused the execution date.',
  invalidBeneficiary: 'The bank refused the beneficiary.',
  invalidLabel: 'The bank refused the label.',
  invalidReferenceId: 'The bank refused the reference id.',
  regulatoryReason: 'The bank refused the payment for a regulatory reason.',
  authenticationFailed: 'The payer could not authenticate at the bank.',
  noAnswerFromCustomer: 'The payer did not answer in time.',
  noSpecifiedReason: 'The bank refused the payment without giving a reason.',
  CancelledByUser: 'The payer cancelled the payment.',
  CancelledByClient: 'The client cancelled the payment.',
  confirmationRefused: 'The confirmation of the payment was refused.',
  bankMessage: 'The bank refused the payment; see its message.',
  invalidValue: 'The bank refused a value of the payment.',
  websiteUnavailable: "The bank's website was unavailable.",
  bug: 'An unexpected error occurred at the bank or the provider.',
};

/** The code an unknown provider value falls back to: a rejection whose reason we cannot name. */
export const FALLBACK_PAYMENT_ERROR_CODE = PaymentErrorCode.noSpecifiedReason;

const ERROR_CODES: ReadonlyMap<string, PaymentErrorCode> = new Map(
  Object.values(PaymentErrorCode).map((code) => [code.toLowerCase(), code]),
);

/**
 * Reads an error code from a provider. Known codes come back in their canonical spelling (so
 * `cancelledByUser` is `CancelledByUser`); an unknown one (providers add codes) falls back to
 * `noSpecifiedReason`, with `known: false` so the caller can keep the raw value in the description.
 * No code at all is null.
 */
export function readPaymentErrorCode(raw: string | null | undefined): { code: PaymentErrorCode; known: boolean } | null {
  if (raw == null || raw.trim() === '') return null;
  const code = ERROR_CODES.get(raw.trim().toLowerCase());
  return code ? { code, known: true } : { code: FALLBACK_PAYMENT_ERROR_CODE, known: false };
}
