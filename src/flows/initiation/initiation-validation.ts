import type * as IbanTools from 'ibantools' with { 'resolution-mode': 'import' };
import { currencyAsset, parseAmount } from '../../money/money';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { startOfUtcDay, utcDaysBetween } from './target2-calendar';
import { optionalText, requiredText } from '../../shared/text';

/*
 * Everything the create-payment input of a bank payment initiation needs (reference 001, §1.2), as
 * pure functions: raw input in, a normalized value out, or a PaygridError with a stable code and the
 * path of the field at fault (`instructions.0.beneficiary.identification`). Field names are the
 * camelCase of Powens' (`client_redirect_uri` → `clientRedirectUri`), as in the rest of the API;
 * enumerated values keep Powens' spelling (`first_open_day`, `sort_code_account_number`).
 * Checks run in a fixed order, top to bottom, and the first failure is reported.
 */

// ibantools ships its types as an ES module beside a CommonJS build; this module is CommonJS, so it
// takes the types from the former and the code from the latter.
const { getCountrySpecifications, validateIBAN, ValidationErrorsIBAN } = require('ibantools') as typeof IbanTools;

// ---------------------------------------------------------------------------------------------
// Vocabulary

/** When the bank executes an instruction (§1.10). `periodic` exists at Powens but is not supported here. */
export enum ExecutionDateType {
  INSTANT = 'instant',
  FIRST_OPEN_DAY = 'first_open_day',
  DEFERRED = 'deferred',
}

/** How an account is identified (PaymentAccount.scheme_name). */
export enum AccountSchemeName {
  IBAN = 'iban',
  SORT_CODE_ACCOUNT_NUMBER = 'sort_code_account_number',
}

export enum IdentityKind {
  INDIVIDUAL = 'individual',
  CORPORATE = 'corporate',
  NON_PROFIT = 'non_profit',
  GOVERNMENT = 'government',
}

export enum IdentitySchemeName {
  NATIONAL_ID_NUMBER = 'national_id_number',
  PASSPORT_NUMBER = 'passport_number',
  ALIEN_REG_NUMBER = 'alien_reg_number',
  SIREN = 'siren',
  INCORPORATION_NUMBER = 'incorporation_number',
  EUID = 'euid',
  RNA = 'rna',
}

/**
 * Which identification schemes each kind of identity may use. Powens lists siren for corporate and
 * non_profit, rna for non_profit, and incorporation_number and euid without a kind; they are allowed
 * for every organisation here, and so is siren for government (French public bodies have one too).
 */
export const IDENTITY_SCHEMES: Readonly<Record<IdentityKind, readonly IdentitySchemeName[]>> = {
  individual: [IdentitySchemeName.NATIONAL_ID_NUMBER, IdentitySchemeName.PASSPORT_NUMBER, IdentitySchemeName.ALIEN_REG_NUMBER],
  corporate: [IdentitySchemeName.SIREN, IdentitySchemeName.INCORPORATION_NUMBER, IdentitySchemeName.EUID],
  non_profit: [IdentitySchemeName.SIREN, IdentitySchemeName.RNA, IdentitySchemeName.INCORPORATION_NUMBER, IdentitySchemeName.EUID],
  government: [IdentitySchemeName.SIREN, IdentitySchemeName.INCORPORATION_NUMBER, IdentitySchemeName.EUID],
};

// ---------------------------------------------------------------------------------------------
// Limits

/** Powens: `client_state` ≤ 2000 characters. */
export const MAX_CLIENT_STATE = 2000;
/** A redirect URI longer than this is refused (browsers and proxies cut long URLs). [DESIGN] */
export const MAX_REDIRECT_URI = 2048;
/** Powens and SEPA: end-to-end id ≤ 31 characters (UK FPS allows 18; banks truncate). */
export const MAX_REFERENCE_ID = 31;
/** SEPA unstructured remittance information: 140 characters. */
export const MAX_LABEL = 140;
/** SEPA creditor / debtor name: 70 characters. */
export const MAX_ACCOUNT_LABEL = 70;
/** One-time payments carry one instruction; a bulk is bounded by its connector, and by this. [DESIGN] */
export const MAX_INSTRUCTIONS = 100;
/** Powens: `external_ref` ≤ 255. */
export const MAX_EXTERNAL_REF = 255;
/** Powens: `postal_address` ≤ 512 (used for the organisation addresses too). */
export const MAX_ADDRESS = 512;
/** Powens: `org_legal_status` ≤ 128. */
export const MAX_ORG_LEGAL_STATUS = 128;
/** Every other text field of an identity or account, which Powens does not bound. [DESIGN] */
export const MAX_TEXT = 255;
/** RFC 5321 path limit. */
export const MAX_EMAIL = 254;

// ---------------------------------------------------------------------------------------------
// Input (as a transport hands it over) and the normalized value

export interface PaymentAccountInput {
  schemeName?: string | null;
  identification?: string | null;
  label?: string | null;
  issuer?: string | null;
}

export interface IdentityInput {
  /** Defaults to `individual`, as at Powens. */
  kind?: string | null;
  externalRef?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  /** YYYY-MM-DD. */
  birthDate?: string | null;
  birthCity?: string | null;
  /** ISO 3166-1 alpha-2. */
  birthCountry?: string | null;
  nationality?: string | null;
  postalAddress?: string | null;
  email?: string | null;
  schemeName?: string | null;
  identification?: string | null;
  issuer?: string | null;
  orgName?: string | null;
  orgLegalStatus?: string | null;
  orgHqAddress?: string | null;
  orgBusinessAddress?: string | null;
  ultimateOwnerText?: string | null;
  ultimateOwnerExtraText?: string | null;
  pep?: boolean | null;
}

export interface InstructionInput {
  referenceId?: string | null;
  /** Decimal string in major units, e.g. "50.90"; a JSON number is refused (no float holds money). */
  amount?: string | null;
  /** ISO 4217. */
  currency?: string | null;
  label?: string | null;
  executionDateType?: string | null;
  /** YYYY-MM-DD, a UTC date; deferred only. */
  executionDate?: string | null;
  beneficiary?: PaymentAccountInput | null;
  beneficiaryIdentity?: IdentityInput | null;
}

export interface CreateInitiationInput {
  clientRedirectUri?: string | null;
  clientState?: string | null;
  instructions?: readonly InstructionInput[] | null;
  connectorUuid?: string | null;
  payer?: PaymentAccountInput | null;
  payerIdentity?: IdentityInput | null;
  operatorIdentity?: IdentityInput | null;
}

export interface PaymentAccount {
  schemeName: AccountSchemeName;
  /** Electronic form: an IBAN without blanks in upper case; a sort code and account number as 14 digits. */
  identification: string;
  label: string | null;
  issuer: string | null;
}

export interface Identity {
  kind: IdentityKind;
  externalRef: string | null;
  firstName: string | null;
  lastName: string | null;
  birthDate: string | null;
  birthCity: string | null;
  birthCountry: string | null;
  nationality: string | null;
  postalAddress: string | null;
  email: string | null;
  schemeName: IdentitySchemeName | null;
  /** SIREN without blanks; other schemes as given, trimmed. */
  identification: string | null;
  issuer: string | null;
  orgName: string | null;
  orgLegalStatus: string | null;
  orgHqAddress: string | null;
  orgBusinessAddress: string | null;
  ultimateOwnerText: string | null;
  ultimateOwnerExtraText: string | null;
  pep: boolean | null;
}

export interface ValidatedInstruction {
  referenceId: string | null;
  /** Minor units of the currency. */
  amount: bigint;
  assetCode: string;
  assetScale: number;
  label: string;
  executionDateType: ExecutionDateType;
  /** Midnight UTC of the execution date; deferred only, null otherwise. */
  executionDate: Date | null;
  beneficiary: PaymentAccount;
  beneficiaryIdentity: Identity;
}

export interface ValidatedInitiation {
  clientRedirectUri: string;
  clientState: string | null;
  connectorUuid: string | null;
  payer: PaymentAccount | null;
  payerIdentity: Identity;
  operatorIdentity: Identity | null;
  instructions: ValidatedInstruction[];
}

// ---------------------------------------------------------------------------------------------
// Text helpers

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredObject<T>(value: T | null | undefined, field: string, name: string): T {
  if (value == null) throw new PaygridError(ErrorCode.FIELD_REQUIRED, field, `The ${name} is required.`);
  if (!isObject(value)) throw new PaygridError(ErrorCode.INVALID_INPUT, field, `The ${name} must be an object.`);
  return value;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Midnight UTC of a YYYY-MM-DD calendar date, or null when the text is not one (2024-02-30 is not). */
export function parseUtcDate(text: string): Date | null {
  const match = DATE.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  date.setUTCFullYear(year);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date;
}

// ---------------------------------------------------------------------------------------------
// Account identifiers

const IBAN_COUNTRIES = getCountrySpecifications();

/**
 * Validates an IBAN (ISO 13616): the country issues IBANs, the length and BBAN format are that
 * country's, the check digits pass ISO 7064 MOD 97-10 and, where ibantools knows them, the national
 * check digits too. Blanks are dropped and letters upper-cased; returns the electronic form.
 */
export function validateIban(value: unknown, field: string): string {
  const text = requiredText(value, field, { max: 64, name: 'IBAN' });
  const iban = text.replace(/\s+/g, '').toUpperCase();
  const invalid = (why: string) => new PaygridError(ErrorCode.IBAN_INVALID, field, `The IBAN is not valid: ${why}.`);
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]+$/.test(iban)) {
    throw invalid('it must be a 2-letter country code, 2 check digits and up to 30 letters or digits');
  }
  const country = iban.slice(0, 2);
  const spec = IBAN_COUNTRIES[country];
  if (!spec?.chars) throw invalid(`${country} is not a country that issues IBANs`);
  if (iban.length !== spec.chars) throw invalid(`an IBAN from ${country} has ${spec.chars} characters, not ${iban.length}`);
  const { errorCodes } = validateIBAN(iban);
  if (errorCodes.includes(ValidationErrorsIBAN.WrongBBANFormat)) throw invalid(`the account part does not have the format of ${country}`);
  if (errorCodes.includes(ValidationErrorsIBAN.WrongIBANChecksum) || errorCodes.includes(ValidationErrorsIBAN.ChecksumNotNumber)) {
    throw invalid('the check digits do not match (ISO 7064 MOD 97-10)');
  }
  if (errorCodes.includes(ValidationErrorsIBAN.WrongAccountBankBranchChecksum)) throw invalid(`the national check digits of ${country} do not match`);
  if (errorCodes.length > 0) throw invalid('it was refused by the IBAN checks');
  return iban;
}

/**
 * Validates a UK sort code and account number: 6 digits then 8, separated or not by blanks or
 * hyphens ("12-34-56 12345678"). Returns the 14 digits. Bank modulus checks (Vocalink tables) are
 * not applied.
 */
export function validateSortCodeAccountNumber(value: unknown, field: string): string {
  const text = requiredText(value, field, { max: 32, name: 'sort code and account number' });
  const digits = text.replace(/[\s-]+/g, '');
  if (!/^\d{14}$/.test(digits)) {
    throw new PaygridError(
      ErrorCode.SORT_CODE_ACCOUNT_NUMBER_INVALID,
      field,
      `"${text}" is not a 6-digit sort code followed by an 8-digit account number.`,
    );
  }
  return digits;
}

/** Luhn over a string of digits: from the right, every second digit doubled (minus 9 past 9); the sum is a multiple of 10. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** A SIREN (INSEE): 9 digits passing Luhn. */
export function isValidSiren(siren: string): boolean {
  return /^\d{9}$/.test(siren) && luhnValid(siren);
}

/** Validates a SIREN, blanks dropped ("749 867 206"); returns the 9 digits. */
export function validateSiren(value: unknown, field: string): string {
  const text = requiredText(value, field, { max: 32, name: 'SIREN' });
  const siren = text.replace(/\s+/g, '');
  if (!/^\d{9}$/.test(siren)) throw new PaygridError(ErrorCode.SIREN_INVALID, field, `"${text}" is not 9 digits, as a SIREN is.`);
  if (!luhnValid(siren)) throw new PaygridError(ErrorCode.SIREN_INVALID, field, `"${text}" fails the SIREN check digit (Luhn).`);
  return siren;
}

const ACCOUNT_SCHEMES: ReadonlySet<string> = new Set(Object.values(AccountSchemeName));

/** Validates a PaymentAccount (beneficiary or payer). The beneficiary's label (the creditor's name) is required. */
export function validatePaymentAccount(
  input: PaymentAccountInput | null | undefined,
  field: string,
  options: { name: string; labelRequired: boolean },
): PaymentAccount {
  const account = requiredObject(input, field, options.name);
  const scheme = requiredText(account.schemeName, `${field}.schemeName`, { max: MAX_TEXT, name: 'account scheme' });
  if (!ACCOUNT_SCHEMES.has(scheme)) {
    throw new PaygridError(
      ErrorCode.ACCOUNT_SCHEME_UNKNOWN,
      `${field}.schemeName`,
      `"${scheme}" is not an account scheme: use iban or sort_code_account_number.`,
    );
  }
  const schemeName = scheme as AccountSchemeName;
  const identificationField = `${field}.identification`;
  const identification =
    schemeName === AccountSchemeName.IBAN
      ? validateIban(account.identification, identificationField)
      : validateSortCodeAccountNumber(account.identification, identificationField);
  const labelRule = { max: MAX_ACCOUNT_LABEL, name: `${options.name}'s name (label)` };
  const label = options.labelRequired
    ? requiredText(account.label, `${field}.label`, labelRule)
    : optionalText(account.label, `${field}.label`, labelRule);
  const issuer = optionalText(account.issuer, `${field}.issuer`, { max: MAX_TEXT, name: 'issuer' });
  return { schemeName, identification, label, issuer };
}

// ---------------------------------------------------------------------------------------------
// Identities

const KINDS: ReadonlySet<string> = new Set(Object.values(IdentityKind));
const ALPHA2: ReadonlySet<string> = new Set(Object.keys(IBAN_COUNTRIES));
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/**
 * Validates an identity (§1.2): an individual needs a first and last name; a corporate, non-profit
 * or government identity needs an identification scheme and number. A SIREN must pass Luhn; a
 * scheme must fit the kind; a birth country is ISO 3166-1 alpha-2; a birth date is a past date.
 */
export function validateIdentity(input: IdentityInput | null | undefined, field: string, now: Date, name = 'identity'): Identity {
  const identity = requiredObject(input, field, name);
  const at = (key: string) => `${field}.${key}`;
  const text = (key: keyof IdentityInput, label: string, max = MAX_TEXT, multiline = false) =>
    optionalText(identity[key], at(key), { max, name: label, multiline });

  const kindText = text('kind', 'identity kind') ?? IdentityKind.INDIVIDUAL;
  if (!KINDS.has(kindText)) {
    throw new PaygridError(
      ErrorCode.IDENTITY_KIND_UNKNOWN,
      at('kind'),
      `"${kindText}" is not an identity kind: use individual, corporate, non_profit or government.`,
    );
  }
  const kind = kindText as IdentityKind;
  const individual = kind === IdentityKind.INDIVIDUAL;

  const externalRef = text('externalRef', 'external reference', MAX_EXTERNAL_REF);
  const firstName = text('firstName', 'first name');
  const lastName = text('lastName', 'last name');
  if (individual && firstName === null) throw new PaygridError(ErrorCode.FIELD_REQUIRED, at('firstName'), 'An individual needs a first name.');
  if (individual && lastName === null) throw new PaygridError(ErrorCode.FIELD_REQUIRED, at('lastName'), 'An individual needs a last name.');

  const birthDate = text('birthDate', 'birth date');
  if (birthDate !== null) {
    const date = parseUtcDate(birthDate);
    if (!date || date.getTime() >= startOfUtcDay(now).getTime()) {
      throw new PaygridError(ErrorCode.BIRTH_DATE_INVALID, at('birthDate'), `"${birthDate}" is not a past date written YYYY-MM-DD.`);
    }
  }
  const birthCity = text('birthCity', 'birth city');
  const birthCountryText = text('birthCountry', 'birth country');
  const birthCountry = birthCountryText?.toUpperCase() ?? null;
  if (birthCountry !== null && (!/^[A-Z]{2}$/.test(birthCountry) || !ALPHA2.has(birthCountry))) {
    throw new PaygridError(ErrorCode.COUNTRY_CODE_INVALID, at('birthCountry'), `"${birthCountryText}" is not an ISO 3166-1 alpha-2 country code.`);
  }
  const nationality = text('nationality', 'nationality');
  const postalAddress = text('postalAddress', 'postal address', MAX_ADDRESS, true);
  const email = text('email', 'email address', MAX_EMAIL);
  if (email !== null && !EMAIL.test(email)) throw new PaygridError(ErrorCode.EMAIL_INVALID, at('email'), `"${email}" is not an email address.`);

  const schemeText = text('schemeName', 'identification scheme');
  let identification = text('identification', 'identification');
  if (!individual && schemeText === null) {
    throw new PaygridError(ErrorCode.FIELD_REQUIRED, at('schemeName'), `A ${kind} identity needs an identification scheme.`);
  }
  if (!individual && identification === null) {
    throw new PaygridError(ErrorCode.FIELD_REQUIRED, at('identification'), `A ${kind} identity needs an identification.`);
  }
  let schemeName: IdentitySchemeName | null = null;
  if (schemeText !== null) {
    const allowed = IDENTITY_SCHEMES[kind];
    if (!allowed.includes(schemeText as IdentitySchemeName)) {
      throw new PaygridError(
        ErrorCode.IDENTITY_SCHEME_NOT_ALLOWED,
        at('schemeName'),
        `"${schemeText}" is not an identification scheme for a ${kind} identity: use ${allowed.join(', ')}.`,
      );
    }
    schemeName = schemeText as IdentitySchemeName;
    if (identification === null) {
      throw new PaygridError(ErrorCode.FIELD_REQUIRED, at('identification'), 'An identification scheme needs an identification.');
    }
    if (schemeName === IdentitySchemeName.SIREN) identification = validateSiren(identification, at('identification'));
  } else if (identification !== null) {
    throw new PaygridError(ErrorCode.FIELD_REQUIRED, at('schemeName'), 'An identification needs its scheme.');
  }
  const issuer = text('issuer', 'issuer');

  const orgName = text('orgName', 'organisation name');
  const orgLegalStatus = text('orgLegalStatus', 'legal status', MAX_ORG_LEGAL_STATUS);
  const orgHqAddress = text('orgHqAddress', 'head office address', MAX_ADDRESS, true);
  const orgBusinessAddress = text('orgBusinessAddress', 'business address', MAX_ADDRESS, true);
  const ultimateOwnerText = text('ultimateOwnerText', 'ultimate owner', MAX_TEXT, true);
  const ultimateOwnerExtraText = text('ultimateOwnerExtraText', 'ultimate owner details', MAX_TEXT, true);
  const pep = identity.pep ?? null;
  if (pep !== null && typeof pep !== 'boolean') throw new PaygridError(ErrorCode.INVALID_INPUT, at('pep'), 'pep must be true or false.');

  return {
    kind,
    externalRef,
    firstName,
    lastName,
    birthDate,
    birthCity,
    birthCountry,
    nationality,
    postalAddress,
    email,
    schemeName,
    identification,
    issuer,
    orgName,
    orgLegalStatus,
    orgHqAddress,
    orgBusinessAddress,
    ultimateOwnerText,
    ultimateOwnerExtraText,
    pep,
  };
}

// ---------------------------------------------------------------------------------------------
// Instructions

const DATE_TYPES: ReadonlySet<string> = new Set(Object.values(ExecutionDateType));
// SEPA's identifier rules: Latin letters, digits, space and - . /, never starting or ending with /, no //.
const REFERENCE_ID = /^[A-Za-z0-9 ./-]+$/;

/** Validates an end-to-end reference id (absent: the bank or Paygrid generates one). */
export function validateReferenceId(value: unknown, field: string): string | null {
  if (value == null) return null;
  if (typeof value !== 'string') throw new PaygridError(ErrorCode.INVALID_INPUT, field, 'The reference id must be a string.');
  const text = value.trim();
  if (text.length > MAX_REFERENCE_ID) {
    throw new PaygridError(ErrorCode.FIELD_TOO_LONG, field, `The reference id is longer than ${MAX_REFERENCE_ID} characters.`);
  }
  if (text === '' || !REFERENCE_ID.test(text) || text.startsWith('/') || text.endsWith('/') || text.includes('//')) {
    throw new PaygridError(ErrorCode.REFERENCE_ID_INVALID, field);
  }
  return text;
}

/** Validates the execution date type and date of an instruction (deferred: a UTC date strictly after today). */
export function validateExecutionDate(
  typeValue: unknown,
  dateValue: unknown,
  field: string,
  now: Date,
): { executionDateType: ExecutionDateType; executionDate: Date | null } {
  const typeField = `${field}.executionDateType`;
  const dateField = `${field}.executionDate`;
  const type = requiredText(typeValue, typeField, { max: MAX_TEXT, name: 'execution date type' });
  if (type === 'periodic') throw new PaygridError(ErrorCode.EXECUTION_DATE_TYPE_UNSUPPORTED, typeField);
  if (!DATE_TYPES.has(type)) {
    throw new PaygridError(
      ErrorCode.EXECUTION_DATE_TYPE_UNKNOWN,
      typeField,
      `"${type}" is not an execution date type: use instant, first_open_day or deferred.`,
    );
  }
  const executionDateType = type as ExecutionDateType;
  const dateText = optionalText(dateValue, dateField, { max: MAX_TEXT, name: 'execution date' });
  if (executionDateType !== ExecutionDateType.DEFERRED) {
    if (dateText !== null) {
      throw new PaygridError(
        ErrorCode.EXECUTION_DATE_NOT_ALLOWED,
        dateField,
        `Only a deferred payment takes an execution date; ${executionDateType} does not.`,
      );
    }
    return { executionDateType, executionDate: null };
  }
  if (dateText === null) throw new PaygridError(ErrorCode.EXECUTION_DATE_REQUIRED, dateField);
  const executionDate = parseUtcDate(dateText);
  if (!executionDate) {
    throw new PaygridError(ErrorCode.EXECUTION_DATE_INVALID, dateField, `"${dateText}" is not a UTC calendar date written YYYY-MM-DD.`);
  }
  if (utcDaysBetween(now, executionDate) < 1) {
    throw new PaygridError(
      ErrorCode.EXECUTION_DATE_NOT_IN_FUTURE,
      dateField,
      `The execution date ${dateText} must be after today (${startOfUtcDay(now).toISOString().slice(0, 10)}, UTC).`,
    );
  }
  return { executionDateType, executionDate };
}

/** Validates one instruction; `field` is its path, e.g. `instructions.0`. */
export function validateInstruction(input: InstructionInput | null | undefined, field: string, now: Date): ValidatedInstruction {
  const instruction = requiredObject(input, field, 'instruction');
  const label = requiredText(instruction.label, `${field}.label`, { max: MAX_LABEL, name: 'label' });

  const currencyField = `${field}.currency`;
  const currency = requiredText(instruction.currency, currencyField, { max: MAX_TEXT, name: 'currency' });
  const { assetCode, assetScale } = currencyAsset(currency, currencyField);
  const amountField = `${field}.amount`;
  if (instruction.amount == null) throw new PaygridError(ErrorCode.FIELD_REQUIRED, amountField, 'The amount is required.');
  const amount = parseAmount(instruction.amount, assetScale, amountField);

  const { executionDateType, executionDate } = validateExecutionDate(instruction.executionDateType, instruction.executionDate, field, now);
  const referenceId = validateReferenceId(instruction.referenceId, `${field}.referenceId`);
  const beneficiary = validatePaymentAccount(instruction.beneficiary, `${field}.beneficiary`, { name: 'beneficiary', labelRequired: true });
  const beneficiaryIdentity = validateIdentity(instruction.beneficiaryIdentity, `${field}.beneficiaryIdentity`, now, "beneficiary's identity");
  return { referenceId, amount, assetCode, assetScale, label, executionDateType, executionDate, beneficiary, beneficiaryIdentity };
}

// ---------------------------------------------------------------------------------------------
// The payment

/**
 * Validates the URI the payer returns to: an absolute http(s) URL with a host, without a query
 * string (Powens: state travels in `client_state`), a fragment or credentials. Kept exactly as
 * given, since the webview compares it with the one the client sends again.
 */
export function validateRedirectUri(value: unknown, field: string): string {
  if (value == null || value === '') throw new PaygridError(ErrorCode.FIELD_REQUIRED, field, 'The redirect URI is required.');
  if (typeof value !== 'string') throw new PaygridError(ErrorCode.INVALID_INPUT, field, 'The redirect URI must be a string.');
  if (value.length > MAX_REDIRECT_URI) {
    throw new PaygridError(ErrorCode.FIELD_TOO_LONG, field, `The redirect URI is longer than ${MAX_REDIRECT_URI} characters.`);
  }
  const invalid = (why: string) => new PaygridError(ErrorCode.REDIRECT_URI_INVALID, field, `The redirect URI ${why}.`);
  if (/[\s\u0000-\u001f\u007f]/.test(value)) throw invalid('must not contain blanks or control characters');
  if (!/^https?:\/\//i.test(value)) throw invalid('must be an absolute http:// or https:// URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('is not a valid URL');
  }
  if (!url.hostname) throw invalid('must name a host');
  if (value.includes('?')) throw new PaygridError(ErrorCode.REDIRECT_URI_HAS_QUERY, field);
  if (value.includes('#')) throw invalid('must not have a fragment');
  if (url.username || url.password) throw invalid('must not carry credentials');
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Validates the input of "create a bank payment initiation" and returns it normalized: amounts in
 * minor units, IBANs in electronic form, dates at midnight UTC. `now` comes from the caller's clock.
 * The payer's identity and each beneficiary's identity are required, as Powens' guide requires them.
 */
export function validateCreateInitiation(input: CreateInitiationInput, now: Date): ValidatedInitiation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new PaygridError(ErrorCode.INVALID_INPUT, null, 'The input must be an object.');
  }
  const clientRedirectUri = validateRedirectUri(input.clientRedirectUri, 'clientRedirectUri');

  let clientState: string | null = null;
  if (input.clientState != null) {
    if (typeof input.clientState !== 'string') throw new PaygridError(ErrorCode.INVALID_INPUT, 'clientState', 'The client state must be a string.');
    if (input.clientState.length > MAX_CLIENT_STATE) {
      throw new PaygridError(ErrorCode.FIELD_TOO_LONG, 'clientState', `The client state is longer than ${MAX_CLIENT_STATE} characters.`);
    }
    // Opaque to Paygrid and echoed back as given: not trimmed.
    clientState = input.clientState === '' ? null : input.clientState;
  }

  let connectorUuid: string | null = null;
  if (input.connectorUuid != null && input.connectorUuid !== '') {
    if (typeof input.connectorUuid !== 'string' || !UUID.test(input.connectorUuid.trim())) {
      throw new PaygridError(ErrorCode.CONNECTOR_UUID_INVALID, 'connectorUuid');
    }
    connectorUuid = input.connectorUuid.trim().toLowerCase();
  }

  const raw = input.instructions;
  if (raw != null && !Array.isArray(raw)) throw new PaygridError(ErrorCode.INVALID_INPUT, 'instructions', 'The instructions must be a list.');
  if (raw == null || raw.length === 0) throw new PaygridError(ErrorCode.INSTRUCTIONS_REQUIRED, 'instructions');
  if (raw.length > MAX_INSTRUCTIONS) {
    throw new PaygridError(ErrorCode.TOO_MANY_INSTRUCTIONS, 'instructions', `A payment has at most ${MAX_INSTRUCTIONS} instructions, not ${raw.length}.`);
  }
  const instructions = raw.map((instruction, index) => validateInstruction(instruction, `instructions.${index}`, now));

  const payer = input.payer == null ? null : validatePaymentAccount(input.payer, 'payer', { name: 'payer', labelRequired: false });
  const payerIdentity = validateIdentity(input.payerIdentity, 'payerIdentity', now, "payer's identity");
  const operatorIdentity = input.operatorIdentity == null ? null : validateIdentity(input.operatorIdentity, 'operatorIdentity', now, "operator's identity");

  return { clientRedirectUri, clientState, connectorUuid, payer, payerIdentity, operatorIdentity, instructions };
}
