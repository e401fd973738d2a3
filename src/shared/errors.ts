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
  URL_NOT_ALLOWED = 'URL_NOT_ALLOWED',
  NO_ACCOUNT_IN_CURRENCY = 'NO_ACCOUNT_IN_CURRENCY',
  FIELD_REQUIRED = 'FIELD_REQUIRED',
  FIELD_TOO_LONG = 'FIELD_TOO_LONG',
  TEXT_INVALID_CHARACTERS = 'TEXT_INVALID_CHARACTERS',
  // bank payment initiation
  REDIRECT_URI_INVALID = 'REDIRECT_URI_INVALID',
  REDIRECT_URI_HAS_QUERY = 'REDIRECT_URI_HAS_QUERY',
  CONNECTOR_UUID_INVALID = 'CONNECTOR_UUID_INVALID',
  INSTRUCTIONS_REQUIRED = 'INSTRUCTIONS_REQUIRED',
  TOO_MANY_INSTRUCTIONS = 'TOO_MANY_INSTRUCTIONS',
  EXECUTION_DATE_TYPE_UNKNOWN = 'EXECUTION_DATE_TYPE_UNKNOWN',
  EXECUTION_DATE_TYPE_UNSUPPORTED = 'EXECUTION_DATE_TYPE_UNSUPPORTED',
  EXECUTION_DATE_REQUIRED = 'EXECUTION_DATE_REQUIRED',
  EXECUTION_DATE_NOT_ALLOWED = 'EXECUTION_DATE_NOT_ALLOWED',
  EXECUTION_DATE_INVALID = 'EXECUTION_DATE_INVALID',
  EXECUTION_DATE_NOT_IN_FUTURE = 'EXECUTION_DATE_NOT_IN_FUTURE',
  REFERENCE_ID_INVALID = 'REFERENCE_ID_INVALID',
  ACCOUNT_SCHEME_UNKNOWN = 'ACCOUNT_SCHEME_UNKNOWN',
  IBAN_INVALID = 'IBAN_INVALID',
  SORT_CODE_ACCOUNT_NUMBER_INVALID = 'SORT_CODE_ACCOUNT_NUMBER_INVALID',
  IDENTITY_KIND_UNKNOWN = 'IDENTITY_KIND_UNKNOWN',
  IDENTITY_SCHEME_NOT_ALLOWED = 'IDENTITY_SCHEME_NOT_ALLOWED',
  SIREN_INVALID = 'SIREN_INVALID',
  COUNTRY_CODE_INVALID = 'COUNTRY_CODE_INVALID',
  BIRTH_DATE_INVALID = 'BIRTH_DATE_INVALID',
  EMAIL_INVALID = 'EMAIL_INVALID',
  CONNECTOR_UNKNOWN = 'CONNECTOR_UNKNOWN',
  NO_COMPATIBLE_BANK = 'NO_COMPATIBLE_BANK',
  PAYMENT_FINAL = 'PAYMENT_FINAL',
  BANK_ANSWER_PENDING = 'BANK_ANSWER_PENDING',
  // the rest of a payment's life: refunds, partial captures, merchant cancels
  REFUND_NOT_ALLOWED = 'REFUND_NOT_ALLOWED',
  REFUND_EXCEEDS_CAPTURED = 'REFUND_EXCEEDS_CAPTURED',
  REFUND_NOT_COVERED = 'REFUND_NOT_COVERED',
  CAPTURE_EXCEEDS_AUTHORIZED = 'CAPTURE_EXCEEDS_AUTHORIZED',
  CANCEL_TOO_LATE = 'CANCEL_TOO_LATE',
  CANCEL_NOT_AVAILABLE = 'CANCEL_NOT_AVAILABLE',
  // payer login
  TOO_MANY_LOGIN_ATTEMPTS = 'TOO_MANY_LOGIN_ATTEMPTS',
  LOGIN_BUSY = 'LOGIN_BUSY',
  // Open Payments resources
  RECEIVER_INVALID = 'RECEIVER_INVALID',
  QUOTE_INVALID = 'QUOTE_INVALID',
  QUOTE_ALREADY_USED = 'QUOTE_ALREADY_USED',
  GRANT_LIMIT_EXCEEDED = 'GRANT_LIMIT_EXCEEDED',
  METADATA_TOO_LARGE = 'METADATA_TOO_LARGE',
  EXPIRY_INVALID = 'EXPIRY_INVALID',
  // Open Payments: wallet addresses, request signatures, GNAP
  WALLET_ADDRESS_EXISTS = 'WALLET_ADDRESS_EXISTS',
  SLUG_INVALID = 'SLUG_INVALID',
  SLUG_TAKEN = 'SLUG_TAKEN',
  JWK_INVALID = 'JWK_INVALID',
  KEY_ID_TAKEN = 'KEY_ID_TAKEN',
  SIGNATURE_INVALID = 'SIGNATURE_INVALID',
  PEER_CREDIT_EXCEEDED = 'PEER_CREDIT_EXCEEDED',
  EXCHANGE_RATE_UNAVAILABLE = 'EXCHANGE_RATE_UNAVAILABLE',
  EXCHANGE_RATE_STALE = 'EXCHANGE_RATE_STALE',
  GNAP_TOKEN_INVALID = 'GNAP_TOKEN_INVALID',
  GNAP_INSUFFICIENT_ACCESS = 'GNAP_INSUFFICIENT_ACCESS',
  GNAP_INVALID_REQUEST = 'GNAP_INVALID_REQUEST',
  GNAP_INVALID_CLIENT = 'GNAP_INVALID_CLIENT',
  GNAP_CLIENT_UNAUTHORIZED = 'GNAP_CLIENT_UNAUTHORIZED',
  GNAP_INTERACTION_INVALID = 'GNAP_INTERACTION_INVALID',
  GNAP_TOO_FAST = 'GNAP_TOO_FAST',
  GNAP_INVALID_CONTINUATION = 'GNAP_INVALID_CONTINUATION',
  GNAP_UNKNOWN_CONTINUATION = 'GNAP_UNKNOWN_CONTINUATION',
  GNAP_REQUEST_DENIED = 'GNAP_REQUEST_DENIED',
  GNAP_INVALID_ROTATION = 'GNAP_INVALID_ROTATION',
  GRANT_NOT_OWNED = 'GRANT_NOT_OWNED',
  SUBSCRIBER_TOO_SLOW = 'SUBSCRIBER_TOO_SLOW',
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
  URL_NOT_ALLOWED: 'Paygrid does not send requests to this address (loopback, private, link-local or reserved networks).',
  NO_ACCOUNT_IN_CURRENCY: 'There is no account in this currency to pay from or into.',
  FIELD_REQUIRED: 'This field is required.',
  FIELD_TOO_LONG: 'This field is too long.',
  TEXT_INVALID_CHARACTERS: 'This field contains characters that are not allowed (control characters or unpaired surrogates).',
  REDIRECT_URI_INVALID: 'The redirect URI must be an absolute http(s) URL without credentials or fragment.',
  REDIRECT_URI_HAS_QUERY: 'The redirect URI must not contain a query string; pass your state in clientState.',
  CONNECTOR_UUID_INVALID: 'The connector uuid is not a UUID.',
  INSTRUCTIONS_REQUIRED: 'A payment needs at least one instruction.',
  TOO_MANY_INSTRUCTIONS: 'The payment has more instructions than Paygrid accepts.',
  EXECUTION_DATE_TYPE_UNKNOWN: 'The execution date type must be instant, first_open_day or deferred.',
  EXECUTION_DATE_TYPE_UNSUPPORTED: 'Periodic payments are not supported; use instant, first_open_day or deferred.',
  EXECUTION_DATE_REQUIRED: 'A deferred payment needs an execution date.',
  EXECUTION_DATE_NOT_ALLOWED: 'Only a deferred payment takes an execution date.',
  EXECUTION_DATE_INVALID: 'The execution date must be a UTC calendar date written YYYY-MM-DD.',
  EXECUTION_DATE_NOT_IN_FUTURE: 'The execution date must be after today (UTC).',
  REFERENCE_ID_INVALID: 'The reference id may only contain letters, digits, spaces and - . / (not starting or ending with /, no //).',
  ACCOUNT_SCHEME_UNKNOWN: 'The account scheme must be iban or sort_code_account_number.',
  IBAN_INVALID: 'The IBAN is not valid.',
  SORT_CODE_ACCOUNT_NUMBER_INVALID: 'A sort code and account number is a 6-digit sort code followed by an 8-digit account number.',
  IDENTITY_KIND_UNKNOWN: 'The identity kind must be individual, corporate, non_profit or government.',
  IDENTITY_SCHEME_NOT_ALLOWED: 'This identification scheme is not allowed for this kind of identity.',
  SIREN_INVALID: 'A SIREN is 9 digits with a valid Luhn check digit.',
  COUNTRY_CODE_INVALID: 'The country must be an ISO 3166-1 alpha-2 code, e.g. "FR".',
  BIRTH_DATE_INVALID: 'The birth date must be a past calendar date written YYYY-MM-DD.',
  EMAIL_INVALID: 'The email address is not valid.',
  CONNECTOR_UNKNOWN: 'No bank connector has this uuid.',
  NO_COMPATIBLE_BANK: 'No bank can execute this payment as it stands.',
  PAYMENT_FINAL: 'The payment is in a final state and can no longer change.',
  BANK_ANSWER_PENDING: 'The payment was sent to the bank, which has not answered yet; try again once it has.',
  REFUND_NOT_ALLOWED: 'This payment cannot be refunded: its flow moves no money inside Paygrid, or nothing was captured yet.',
  REFUND_EXCEEDS_CAPTURED: 'The refund is larger than what was captured and not yet refunded.',
  REFUND_NOT_COVERED: "The receiving account does not have enough available funds to pay the refund back.",
  CAPTURE_EXCEEDS_AUTHORIZED: 'The capture is larger than what is left of the authorization.',
  CANCEL_TOO_LATE: 'The bank already executed or refused the payment: it can no longer be cancelled.',
  CANCEL_NOT_AVAILABLE: 'The bank does not cancel payments once they are confirmed.',
  TOO_MANY_LOGIN_ATTEMPTS: 'Too many login attempts for this username. Please try again later.',
  LOGIN_BUSY: 'Paygrid is checking too many logins right now. Please try again in a moment.',
  RECEIVER_INVALID: 'The receiver must be an incoming payment on this Paygrid that is neither completed nor expired.',
  QUOTE_INVALID: 'The quote is expired or not of this wallet address.',
  QUOTE_ALREADY_USED: 'This quote was already used by an outgoing payment.',
  GRANT_LIMIT_EXCEEDED: 'The grant’s limits do not allow this payment.',
  METADATA_TOO_LARGE: 'The metadata is too large.',
  EXPIRY_INVALID: 'The expiry must be in the future and within the longest expiry Paygrid allows.',
  WALLET_ADDRESS_EXISTS: 'The account already has a wallet address.',
  SLUG_INVALID: 'The wallet address name must be 1 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit.',
  SLUG_TAKEN: 'Another wallet address already has this name.',
  JWK_INVALID: 'The key must be an Ed25519 public JWK: kty "OKP", crv "Ed25519", alg "EdDSA", x the 32-byte key in base64url, and a kid.',
  KEY_ID_TAKEN: 'The wallet address already has a key with this kid.',
  SIGNATURE_INVALID: 'The request is not signed as Open Payments requires (HTTP message signatures with a key of the client).',
  PEER_CREDIT_EXCEEDED: 'The transfer would take the peer beyond its credit limit.',
  EXCHANGE_RATE_UNAVAILABLE: 'No exchange rate is known between the sender’s and the receiver’s assets.',
  EXCHANGE_RATE_STALE: 'The exchange rate between the sender’s and the receiver’s assets is older than EXCHANGE_RATE_MAX_AGE_SECONDS.',
  GNAP_TOKEN_INVALID: 'The GNAP access token is missing, unknown, expired or revoked.',
  GNAP_INSUFFICIENT_ACCESS: 'The grant does not give access to this.',
  GNAP_INVALID_REQUEST: 'The grant request is not valid.',
  GNAP_INVALID_CLIENT: 'The client could not be identified or is not allowed to ask for this.',
  GNAP_CLIENT_UNAUTHORIZED: 'The request does not carry the access token this management URL is for.',
  GNAP_INTERACTION_INVALID: 'This interaction is unknown, expired or already over.',
  GNAP_TOO_FAST: 'The client continued sooner than the wait it was given.',
  GNAP_INVALID_CONTINUATION: 'The continuation is not valid for this grant.',
  GNAP_UNKNOWN_CONTINUATION: 'No grant can be continued here with this interaction reference.',
  GNAP_REQUEST_DENIED: 'The grant was not approved.',
  GNAP_INVALID_ROTATION: 'This access token cannot be rotated: it is unknown, expired or revoked.',
  GRANT_NOT_OWNED: 'The wallet address this grant spends from is not yours.',
  SUBSCRIBER_TOO_SLOW: 'The subscription fell too far behind and was ended; subscribe again and catch up with events(afterSequence).',
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

/** A refusal that a later retry may not meet: HTTP answers it with 429 or 503 and Retry-After. */
export class RetryLaterError extends PaygridError {
  constructor(
    code: ErrorCode,
    /** Whole seconds, at least 1. */
    readonly retryAfterSeconds: number,
    message?: string,
  ) {
    super(code, null, message);
    this.name = 'RetryLaterError';
  }
}

export function isPaygridError(error: unknown): error is PaygridError {
  return error instanceof PaygridError;
}
