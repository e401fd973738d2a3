/**
 * The one error type of Paygrid. Services throw it for expected failures (bad input, illegal
 * transitions, missing funds); resolvers turn it into `userErrors`, routes into their protocol's format.
 * Anything else that escapes a service is a bug and is reported without details.
 */
export enum ErrorCode {
  INVALID_INPUT = 'INVALID_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  AMOUNT_INVALID = 'AMOUNT_INVALID',
  AMOUNT_NOT_POSITIVE = 'AMOUNT_NOT_POSITIVE',
  AMOUNT_TOO_PRECISE = 'AMOUNT_TOO_PRECISE',
  AMOUNT_TOO_LARGE = 'AMOUNT_TOO_LARGE',
  CURRENCY_UNKNOWN = 'CURRENCY_UNKNOWN',
  ASSET_SCALE_MISMATCH = 'ASSET_SCALE_MISMATCH',
  ASSET_MISMATCH = 'ASSET_MISMATCH',
  SAME_ACCOUNT = 'SAME_ACCOUNT',
  INSUFFICIENT_FUNDS = 'INSUFFICIENT_FUNDS',
  BALANCE_LIMIT_EXCEEDED = 'BALANCE_LIMIT_EXCEEDED',
  ILLEGAL_TRANSITION = 'ILLEGAL_TRANSITION',
  PAYMENT_EMPTY = 'PAYMENT_EMPTY',
  REQUEST_ID_INVALID = 'REQUEST_ID_INVALID',
  IDEMPOTENCY_KEY_INVALID = 'IDEMPOTENCY_KEY_INVALID',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  IDEMPOTENCY_KEY_IN_FLIGHT = 'IDEMPOTENCY_KEY_IN_FLIGHT',
  REFERENCE_TOO_LONG = 'REFERENCE_TOO_LONG',
  URL_INVALID = 'URL_INVALID',
  NO_ACCOUNT_IN_CURRENCY = 'NO_ACCOUNT_IN_CURRENCY',
}

/** Default wording per code; a `Record` so that a code without a message does not compile. */
const MESSAGES: Record<ErrorCode, string> = {
  INVALID_INPUT: 'The input is not valid.',
  NOT_FOUND: 'No such object, or it is not yours.',
  AMOUNT_INVALID: 'The amount is not a decimal number such as "50.90".',
  AMOUNT_NOT_POSITIVE: 'The amount must be greater than zero.',
  AMOUNT_TOO_PRECISE: 'The amount has more decimal places than the currency allows.',
  AMOUNT_TOO_LARGE: 'The amount is larger than the largest amount Paygrid can hold.',
  CURRENCY_UNKNOWN: 'The currency is not a known ISO 4217 code.',
  ASSET_SCALE_MISMATCH: 'The asset scale does not match the currency.',
  ASSET_MISMATCH: 'The accounts or amounts are in different assets.',
  SAME_ACCOUNT: 'The payer and the beneficiary must be different accounts.',
  INSUFFICIENT_FUNDS: 'The account does not have enough available funds.',
  BALANCE_LIMIT_EXCEEDED: 'The balance would exceed the largest amount Paygrid can hold.',
  ILLEGAL_TRANSITION: 'This step is not allowed in the current state.',
  PAYMENT_EMPTY: 'The payment has no pending transaction to act on.',
  REQUEST_ID_INVALID: 'The request id must be 1 to 40 characters.',
  IDEMPOTENCY_KEY_INVALID: 'The idempotency key must be 1 to 255 characters.',
  IDEMPOTENCY_KEY_REUSED: 'This idempotency key was already used with a different request.',
  IDEMPOTENCY_KEY_IN_FLIGHT: 'A request with this idempotency key is still being processed; retry later.',
  REFERENCE_TOO_LONG: 'The reference is too long.',
  URL_INVALID: 'The URL must be an absolute http or https URL.',
  NO_ACCOUNT_IN_CURRENCY: 'There is no account in this currency to pay from or into.',
};

export class PaygridError extends Error {
  readonly code: ErrorCode;
  /** Path of the input field at fault, e.g. ['input', 'amount']. */
  readonly field: string[] | null;

  constructor(code: ErrorCode, field?: string | string[] | null, message?: string) {
    super(message ?? MESSAGES[code]);
    this.name = 'PaygridError';
    this.code = code;
    this.field = field == null ? null : Array.isArray(field) ? field : field.split('.');
  }
}

export function isPaygridError(error: unknown): error is PaygridError {
  return error instanceof PaygridError;
}
