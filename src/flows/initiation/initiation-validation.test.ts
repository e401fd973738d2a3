import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, PaygridError } from '../../shared/errors';
import {
  AccountSchemeName,
  ExecutionDateType,
  IdentityKind,
  IdentitySchemeName,
  type CreateInitiationInput,
  type IdentityInput,
  type InstructionInput,
  isValidSiren,
  luhnValid,
  parseUtcDate,
  validateCreateInitiation,
  validateIban,
  validateSiren,
  validateSortCodeAccountNumber,
} from './initiation-validation';

/** Asserts that `run` throws a PaygridError with this code and field path (and message, when given). */
function assertRefused(run: () => unknown, code: ErrorCode, field: string[] | null, message?: string | RegExp, label = ''): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof PaygridError, `${label}: expected a PaygridError, got ${String(error)}`);
    assert.equal(error.code, code, `${label}: ${error.message}`);
    assert.deepEqual(error.field, field, label);
    if (typeof message === 'string') assert.equal(error.message, message, label);
    if (message instanceof RegExp) assert.match(error.message, message, label);
    return true;
  });
}

// Thursday before Easter 2024, mid-morning UTC.
const NOW = new Date('2024-03-28T10:00:00Z');

type Input = CreateInitiationInput & { instructions: InstructionInput[] };
type Instruction = InstructionInput & { beneficiary: Record<string, unknown>; beneficiaryIdentity: IdentityInput };

/** The guide's first-open-day example with a real IBAN and Powens' own SIREN (the guide's fails Luhn). */
function validInput(): Input {
  return {
    clientRedirectUri: 'https://shop.example/payments/return',
    clientState: 'order-42',
    instructions: [
      {
        label: 'Test',
        amount: '50.90',
        currency: 'EUR',
        executionDateType: 'first_open_day',
        beneficiary: { schemeName: 'iban', identification: 'FR7630006000011234567890189', label: 'ACME Corp.' },
        beneficiaryIdentity: {
          kind: 'corporate',
          orgName: 'ACME Corp.',
          orgLegalStatus: 'SARL',
          schemeName: 'siren',
          identification: '749867206',
        },
      },
    ],
    payerIdentity: {
      kind: 'individual',
      firstName: 'Germaine',
      lastName: 'Michu',
      birthDate: '1963-01-01',
      birthCity: 'Paris',
      birthCountry: 'FR',
      nationality: 'French',
    },
  };
}

const first = (input: Input) => input.instructions[0] as Instruction;

describe('validateCreateInitiation: a valid payment', () => {
  it('returns the guide example normalized: minor units, electronic IBAN, identities filled with nulls', () => {
    const result = validateCreateInitiation(validInput(), NOW);
    assert.deepEqual(result, {
      clientRedirectUri: 'https://shop.example/payments/return',
      clientState: 'order-42',
      connectorUuid: null,
      payer: null,
      operatorIdentity: null,
      payerIdentity: {
        kind: IdentityKind.INDIVIDUAL,
        externalRef: null,
        firstName: 'Germaine',
        lastName: 'Michu',
        birthDate: '1963-01-01',
        birthCity: 'Paris',
        birthCountry: 'FR',
        nationality: 'French',
        postalAddress: null,
        email: null,
        schemeName: null,
        identification: null,
        issuer: null,
        orgName: null,
        orgLegalStatus: null,
        orgHqAddress: null,
        orgBusinessAddress: null,
        ultimateOwnerText: null,
        ultimateOwnerExtraText: null,
        pep: null,
      },
      instructions: [
        {
          referenceId: null,
          amount: 5090n,
          assetCode: 'EUR',
          assetScale: 2,
          label: 'Test',
          executionDateType: ExecutionDateType.FIRST_OPEN_DAY,
          executionDate: null,
          beneficiary: { schemeName: AccountSchemeName.IBAN, identification: 'FR7630006000011234567890189', label: 'ACME Corp.', issuer: null },
          beneficiaryIdentity: {
            kind: IdentityKind.CORPORATE,
            externalRef: null,
            firstName: null,
            lastName: null,
            birthDate: null,
            birthCity: null,
            birthCountry: null,
            nationality: null,
            postalAddress: null,
            email: null,
            schemeName: IdentitySchemeName.SIREN,
            identification: '749867206',
            issuer: null,
            orgName: 'ACME Corp.',
            orgLegalStatus: 'SARL',
            orgHqAddress: null,
            orgBusinessAddress: null,
            ultimateOwnerText: null,
            ultimateOwnerExtraText: null,
            pep: null,
          },
        },
      ],
    });
  });

  // [what, change to the valid input, check on the result]
  type Accepted = [string, (input: Input) => void, (result: ReturnType<typeof validateCreateInitiation>) => void];
  const accepted: Accepted[] = [
    ['an instant payment', (i) => void (first(i).executionDateType = 'instant'), (r) => assert.equal(r.instructions[0].executionDateType, 'instant')],
    [
      'a deferred payment tomorrow (UTC), at midnight UTC',
      (i) => Object.assign(first(i), { executionDateType: 'deferred', executionDate: '2024-03-29' }),
      (r) => assert.equal(r.instructions[0].executionDate?.toISOString(), '2024-03-29T00:00:00.000Z'),
    ],
    [
      'a deferred payment on a closed day (the bank decides what it does with it)',
      (i) => Object.assign(first(i), { executionDateType: 'deferred', executionDate: '2024-04-01' }),
      (r) => assert.equal(r.instructions[0].executionDate?.toISOString(), '2024-04-01T00:00:00.000Z'),
    ],
    [
      'an IBAN in print form, lower case',
      (i) => void (first(i).beneficiary.identification = ' fr76 3000 6000 0112 3456 7890 189 '),
      (r) => assert.equal(r.instructions[0].beneficiary.identification, 'FR7630006000011234567890189'),
    ],
    [
      'a UK beneficiary by sort code and account number, in GBP',
      (i) =>
        Object.assign(first(i), {
          currency: 'GBP',
          beneficiary: { schemeName: 'sort_code_account_number', identification: '40-47-84 70872490', label: 'Tea Ltd' },
          beneficiaryIdentity: { kind: 'corporate', schemeName: 'incorporation_number', identification: '01234567' },
        }),
      (r) => {
        assert.deepEqual(r.instructions[0].beneficiary, {
          schemeName: AccountSchemeName.SORT_CODE_ACCOUNT_NUMBER,
          identification: '40478470872490',
          label: 'Tea Ltd',
          issuer: null,
        });
        assert.equal(r.instructions[0].assetCode, 'GBP');
      },
    ],
    ['a SIREN written in groups', (i) => void (first(i).beneficiaryIdentity.identification = '749 867 206'), (r) => assert.equal(r.instructions[0].beneficiaryIdentity.identification, '749867206')],
    ['a JPY amount, no decimals', (i) => Object.assign(first(i), { currency: 'JPY', amount: '1000' }), (r) => assert.equal(r.instructions[0].amount, 1000n)],
    ['a BHD amount, three decimals', (i) => Object.assign(first(i), { currency: 'BHD', amount: '1.234' }), (r) => assert.equal(r.instructions[0].amount, 1234n)],
    ['a reference id of 31 characters', (i) => void (first(i).referenceId = 'A'.repeat(31)), (r) => assert.equal(r.instructions[0].referenceId, 'A'.repeat(31))],
    ['a SEPA-style reference id, trimmed', (i) => void (first(i).referenceId = ' INV-2024/03.28 A7 '), (r) => assert.equal(r.instructions[0].referenceId, 'INV-2024/03.28 A7')],
    ['a label of 140 characters', (i) => void (first(i).label = 'x'.repeat(140)), (r) => assert.equal(r.instructions[0].label.length, 140)],
    ['a client state of 2000 characters, kept verbatim', (i) => void (i.clientState = ` ${'s'.repeat(1998)} `), (r) => assert.equal(r.clientState, ` ${'s'.repeat(1998)} `)],
    ['an empty client state, read as none', (i) => void (i.clientState = ''), (r) => assert.equal(r.clientState, null)],
    ['no client state', (i) => void delete i.clientState, (r) => assert.equal(r.clientState, null)],
    ['a plain http redirect URI with a port', (i) => void (i.clientRedirectUri = 'http://localhost:3000/callback'), (r) => assert.equal(r.clientRedirectUri, 'http://localhost:3000/callback')],
    [
      'a connector uuid, lower-cased',
      (i) => void (i.connectorUuid = 'A1B2C3D4-0000-4000-8000-00000000000A'),
      (r) => assert.equal(r.connectorUuid, 'a1b2c3d4-0000-4000-8000-00000000000a'),
    ],
    ['a birth country in lower case', (i) => void (i.payerIdentity!.birthCountry = 'fr'), (r) => assert.equal(r.payerIdentity.birthCountry, 'FR')],
    ['an identity without kind, read as individual', (i) => void delete i.payerIdentity!.kind, (r) => assert.equal(r.payerIdentity.kind, IdentityKind.INDIVIDUAL)],
    [
      'a multi-line postal address (the guide example), CRLF read as LF',
      (i) => void (i.payerIdentity!.postalAddress = 'Appartement 25\r\nEntrée B Résidence Les Iris\n3 Boulevard du Levant\n95220 HERBLAY'),
      (r) => assert.equal(r.payerIdentity.postalAddress, 'Appartement 25\nEntrée B Résidence Les Iris\n3 Boulevard du Levant\n95220 HERBLAY'),
    ],
    [
      'an individual with a passport, email and pep flag',
      (i) => Object.assign(i.payerIdentity!, { schemeName: 'passport_number', identification: ' 19FR12345 ', email: 'germaine@example.fr', pep: false }),
      (r) => {
        assert.equal(r.payerIdentity.schemeName, IdentitySchemeName.PASSPORT_NUMBER);
        assert.equal(r.payerIdentity.identification, '19FR12345');
        assert.equal(r.payerIdentity.email, 'germaine@example.fr');
        assert.equal(r.payerIdentity.pep, false);
      },
    ],
    [
      "Powens' own company example",
      (i) =>
        void (first(i).beneficiaryIdentity = {
          kind: 'corporate',
          orgName: 'Powens',
          orgLegalStatus: 'SAS',
          orgHqAddress: '84 RUE BEAUBOURG\n75003 PARIS 3\nFRANCE',
          schemeName: 'siren',
          identification: '749867206',
        }),
      (r) => assert.equal(r.instructions[0].beneficiaryIdentity.orgName, 'Powens'),
    ],
    [
      'a non-profit with an RNA number',
      (i) => void (first(i).beneficiaryIdentity = { kind: 'non_profit', schemeName: 'rna', identification: 'W751234567' }),
      (r) => assert.equal(r.instructions[0].beneficiaryIdentity.schemeName, IdentitySchemeName.RNA),
    ],
    [
      'a government body with a SIREN',
      (i) => void (first(i).beneficiaryIdentity = { kind: 'government', schemeName: 'siren', identification: '356000000' }),
      (r) => assert.equal(r.instructions[0].beneficiaryIdentity.kind, IdentityKind.GOVERNMENT),
    ],
    [
      'a payer account and an operator identity',
      (i) => {
        i.payer = { schemeName: 'iban', identification: 'DE89 3704 0044 0532 0130 00' };
        i.operatorIdentity = { kind: 'corporate', schemeName: 'euid', identification: 'FRRCS.749867206' };
      },
      (r) => {
        assert.deepEqual(r.payer, { schemeName: AccountSchemeName.IBAN, identification: 'DE89370400440532013000', label: null, issuer: null });
        assert.equal(r.operatorIdentity?.schemeName, IdentitySchemeName.EUID);
      },
    ],
    [
      'two instructions (a bulk)',
      (i) => i.instructions.push({ ...first(i), amount: '10', executionDateType: 'instant' }),
      (r) => assert.deepEqual(r.instructions.map((x) => x.amount), [5090n, 1000n]),
    ],
    ['100 instructions', (i) => void (i.instructions = Array.from({ length: 100 }, () => first(i))), (r) => assert.equal(r.instructions.length, 100)],
  ];
  for (const [what, change, check] of accepted) {
    it(`accepts ${what}`, () => {
      const input = validInput();
      change(input);
      check(validateCreateInitiation(input, NOW));
    });
  }

  it('does not change its input', () => {
    const input = validInput();
    first(input).beneficiary.identification = 'fr76 3000 6000 0112 3456 7890 189';
    const before = JSON.stringify(input);
    validateCreateInitiation(input, NOW);
    assert.equal(JSON.stringify(input), before);
  });
});

describe('validateCreateInitiation: every refusal, with its code and field', () => {
  const i0 = ['instructions', '0'];
  const ben = [...i0, 'beneficiary'];
  const benId = [...i0, 'beneficiaryIdentity'];
  // [what, change to the valid input, code, field path]
  type Refusal = [string, (input: Input) => void, ErrorCode, string[] | null];
  const refusals: Refusal[] = [
    // the redirect URI
    ['no redirect URI', (i) => void delete i.clientRedirectUri, ErrorCode.FIELD_REQUIRED, ['clientRedirectUri']],
    ['an empty redirect URI', (i) => void (i.clientRedirectUri = ''), ErrorCode.FIELD_REQUIRED, ['clientRedirectUri']],
    ['a redirect URI that is not a string', (i) => void (i.clientRedirectUri = 42 as unknown as string), ErrorCode.INVALID_INPUT, ['clientRedirectUri']],
    ['a relative redirect URI', (i) => void (i.clientRedirectUri = '/payments/return'), ErrorCode.REDIRECT_URI_INVALID, ['clientRedirectUri']],
    ['a redirect URI without scheme', (i) => void (i.clientRedirectUri = 'shop.example/return'), ErrorCode.REDIRECT_URI_INVALID, ['clientRedirectUri']],
    ['a redirect URI "http:host" without slashes', (i) => void (i.clientRedirectUri = 'http:shop.example/return'), ErrorCode.REDIRECT_URI_INVALID, ['clientRedirectUri']],
    ['an ftp redirect URI', (i) => void (i.clientRedirectUri = 'ftp://shop.example/return'), ErrorCode.REDIRECT_URI_INVALID, ['clientRedirectUri']],
    ['a javascript: redirect URI', (i) => void (i.clientRedirectUri = 'javascript:alert(1)'), ErrorCode.REDIRECT_URI_INVALID, ['clientRedirectUri']],
    ['a custom-scheme redirect URI', (i) => void (i.clientRedirectUri = 'shopapp://return'), ErrorCode.REDIRECT_URI_INVALID, ['clientRedirectUri']],
    ['a redirect URI without host', (i) => void (i.clientRedirectUri = 'https://'), ErrorCode.REDIRECT_URI_INVALID, ['clientRedirectUri']],
    ['a redirect URI with a query string', (i) => void (i.clientRedirectUri = 'https://shop.example/return?order=42'), ErrorCode.REDIRECT_URI_HAS_QUERY, ['clientRedirectUri']],
    ['a redirect URI with an empty query', (i) => void (i.clientRedirectUri = 'https://shop.example/return?'), ErrorCode.REDIRECT_URI_HAS_QUERY, ['clientRedirectUri']],
    ['a redirect URI with a fragment', (i) => void (i.clientRedirectUri = 'https://shop.example/return#done'), ErrorCode.REDIRECT_URI_INVALID, ['clientRedirectUri']],
    ['a redirect URI with credentials', (i) => void (i.clientRedirectUri = 'https://user:secret@shop.example/return'), ErrorCode.REDIRECT_URI_INVALID, ['clientRedirectUri']],
    ['a redirect URI with a blank', (i) => void (i.clientRedirectUri = 'https://shop.example/re turn'), ErrorCode.REDIRECT_URI_INVALID, ['clientRedirectUri']],
    ['a redirect URI with surrounding blanks', (i) => void (i.clientRedirectUri = ' https://shop.example/return'), ErrorCode.REDIRECT_URI_INVALID, ['clientRedirectUri']],
    ['a redirect URI of 2049 characters', (i) => void (i.clientRedirectUri = `https://shop.example/${'a'.repeat(2049 - 21)}`), ErrorCode.FIELD_TOO_LONG, ['clientRedirectUri']],
    // the client state and connector
    ['a client state of 2001 characters', (i) => void (i.clientState = 's'.repeat(2001)), ErrorCode.FIELD_TOO_LONG, ['clientState']],
    ['a client state that is not a string', (i) => void (i.clientState = {} as unknown as string), ErrorCode.INVALID_INPUT, ['clientState']],
    ['a connector uuid that is not a UUID', (i) => void (i.connectorUuid = 'bank-1'), ErrorCode.CONNECTOR_UUID_INVALID, ['connectorUuid']],
    // the instructions
    ['no instructions', (i) => void delete (i as CreateInitiationInput).instructions, ErrorCode.INSTRUCTIONS_REQUIRED, ['instructions']],
    ['an empty list of instructions', (i) => void (i.instructions = []), ErrorCode.INSTRUCTIONS_REQUIRED, ['instructions']],
    ['instructions that are not a list', (i) => void (i.instructions = 'x' as unknown as InstructionInput[]), ErrorCode.INVALID_INPUT, ['instructions']],
    ['101 instructions', (i) => void (i.instructions = Array.from({ length: 101 }, () => first(i))), ErrorCode.TOO_MANY_INSTRUCTIONS, ['instructions']],
    ['a null instruction', (i) => void (i.instructions[0] = null as unknown as InstructionInput), ErrorCode.FIELD_REQUIRED, i0],
    ['an instruction that is not an object', (i) => void (i.instructions[0] = [] as unknown as InstructionInput), ErrorCode.INVALID_INPUT, i0],
    ['a fault in the second instruction', (i) => i.instructions.push({ ...first(i), amount: '1.001' }), ErrorCode.AMOUNT_TOO_PRECISE, ['instructions', '1', 'amount']],
    // label
    ['no label', (i) => void delete first(i).label, ErrorCode.FIELD_REQUIRED, [...i0, 'label']],
    ['a blank label', (i) => void (first(i).label = '   '), ErrorCode.FIELD_REQUIRED, [...i0, 'label']],
    ['a label of 141 characters', (i) => void (first(i).label = 'x'.repeat(141)), ErrorCode.FIELD_TOO_LONG, [...i0, 'label']],
    ['a label with a line break', (i) => void (first(i).label = 'Order\n42'), ErrorCode.TEXT_INVALID_CHARACTERS, [...i0, 'label']],
    ['a label with a NUL', (i) => void (first(i).label = 'Order\u000042'), ErrorCode.TEXT_INVALID_CHARACTERS, [...i0, 'label']],
    // currency and amount
    ['no currency', (i) => void delete first(i).currency, ErrorCode.FIELD_REQUIRED, [...i0, 'currency']],
    ['a lower-case currency', (i) => void (first(i).currency = 'eur'), ErrorCode.CURRENCY_UNKNOWN, [...i0, 'currency']],
    ['an unknown currency', (i) => void (first(i).currency = 'XXX'), ErrorCode.CURRENCY_UNKNOWN, [...i0, 'currency']],
    ['no amount', (i) => void delete first(i).amount, ErrorCode.FIELD_REQUIRED, [...i0, 'amount']],
    ['a zero amount', (i) => void (first(i).amount = '0.00'), ErrorCode.AMOUNT_NOT_POSITIVE, [...i0, 'amount']],
    ['a negative amount', (i) => void (first(i).amount = '-50.90'), ErrorCode.AMOUNT_NOT_POSITIVE, [...i0, 'amount']],
    ['more decimals than EUR has', (i) => void (first(i).amount = '50.901'), ErrorCode.AMOUNT_TOO_PRECISE, [...i0, 'amount']],
    ['decimals on a JPY amount', (i) => Object.assign(first(i), { currency: 'JPY', amount: '100.5' }), ErrorCode.AMOUNT_TOO_PRECISE, [...i0, 'amount']],
    ['an amount in exponent form', (i) => void (first(i).amount = '5.09e1'), ErrorCode.AMOUNT_INVALID, [...i0, 'amount']],
    ['an amount as a JSON number (a float)', (i) => void (first(i).amount = 50.9 as unknown as string), ErrorCode.AMOUNT_INVALID, [...i0, 'amount']],
    ['an amount past int64', (i) => void (first(i).amount = '92233720368547758.08'), ErrorCode.AMOUNT_TOO_LARGE, [...i0, 'amount']],
    // execution date type and date
    ['no execution date type', (i) => void delete first(i).executionDateType, ErrorCode.FIELD_REQUIRED, [...i0, 'executionDateType']],
    ['a periodic payment', (i) => void (first(i).executionDateType = 'periodic'), ErrorCode.EXECUTION_DATE_TYPE_UNSUPPORTED, [...i0, 'executionDateType']],
    ['an unknown execution date type', (i) => void (first(i).executionDateType = 'asap'), ErrorCode.EXECUTION_DATE_TYPE_UNKNOWN, [...i0, 'executionDateType']],
    ['an upper-case execution date type', (i) => void (first(i).executionDateType = 'INSTANT'), ErrorCode.EXECUTION_DATE_TYPE_UNKNOWN, [...i0, 'executionDateType']],
    ['an execution date on a first-open-day payment', (i) => void (first(i).executionDate = '2024-04-02'), ErrorCode.EXECUTION_DATE_NOT_ALLOWED, [...i0, 'executionDate']],
    ['an execution date on an instant payment', (i) => Object.assign(first(i), { executionDateType: 'instant', executionDate: '2024-04-02' }), ErrorCode.EXECUTION_DATE_NOT_ALLOWED, [...i0, 'executionDate']],
    ['a deferred payment without date', (i) => void (first(i).executionDateType = 'deferred'), ErrorCode.EXECUTION_DATE_REQUIRED, [...i0, 'executionDate']],
    ['a deferred payment with a blank date', (i) => Object.assign(first(i), { executionDateType: 'deferred', executionDate: ' ' }), ErrorCode.EXECUTION_DATE_REQUIRED, [...i0, 'executionDate']],
    ['a deferred date written 2024/04/02', (i) => Object.assign(first(i), { executionDateType: 'deferred', executionDate: '2024/04/02' }), ErrorCode.EXECUTION_DATE_INVALID, [...i0, 'executionDate']],
    ['a deferred date with a time', (i) => Object.assign(first(i), { executionDateType: 'deferred', executionDate: '2024-04-02T00:00:00Z' }), ErrorCode.EXECUTION_DATE_INVALID, [...i0, 'executionDate']],
    ['a deferred date that does not exist', (i) => Object.assign(first(i), { executionDateType: 'deferred', executionDate: '2025-02-29' }), ErrorCode.EXECUTION_DATE_INVALID, [...i0, 'executionDate']],
    ['a deferred date today (UTC)', (i) => Object.assign(first(i), { executionDateType: 'deferred', executionDate: '2024-03-28' }), ErrorCode.EXECUTION_DATE_NOT_IN_FUTURE, [...i0, 'executionDate']],
    ['a deferred date in the past', (i) => Object.assign(first(i), { executionDateType: 'deferred', executionDate: '2024-01-01' }), ErrorCode.EXECUTION_DATE_NOT_IN_FUTURE, [...i0, 'executionDate']],
    // reference id
    ['a reference id of 32 characters', (i) => void (first(i).referenceId = 'A'.repeat(32)), ErrorCode.FIELD_TOO_LONG, [...i0, 'referenceId']],
    ['an empty reference id', (i) => void (first(i).referenceId = ''), ErrorCode.REFERENCE_ID_INVALID, [...i0, 'referenceId']],
    ['a reference id with an underscore', (i) => void (first(i).referenceId = 'ORDER_42'), ErrorCode.REFERENCE_ID_INVALID, [...i0, 'referenceId']],
    ['a reference id with an accent', (i) => void (first(i).referenceId = 'Café-42'), ErrorCode.REFERENCE_ID_INVALID, [...i0, 'referenceId']],
    ['a reference id starting with /', (i) => void (first(i).referenceId = '/42'), ErrorCode.REFERENCE_ID_INVALID, [...i0, 'referenceId']],
    ['a reference id ending with /', (i) => void (first(i).referenceId = '42/'), ErrorCode.REFERENCE_ID_INVALID, [...i0, 'referenceId']],
    ['a reference id with //', (i) => void (first(i).referenceId = '4//2'), ErrorCode.REFERENCE_ID_INVALID, [...i0, 'referenceId']],
    ['a reference id that is not a string', (i) => void (first(i).referenceId = 42 as unknown as string), ErrorCode.INVALID_INPUT, [...i0, 'referenceId']],
    // beneficiary account
    ['no beneficiary', (i) => void delete (first(i) as InstructionInput).beneficiary, ErrorCode.FIELD_REQUIRED, ben],
    ['a beneficiary without scheme', (i) => void delete first(i).beneficiary.schemeName, ErrorCode.FIELD_REQUIRED, [...ben, 'schemeName']],
    ['a beneficiary scheme bban', (i) => void (first(i).beneficiary.schemeName = 'bban'), ErrorCode.ACCOUNT_SCHEME_UNKNOWN, [...ben, 'schemeName']],
    ['a beneficiary scheme in upper case', (i) => void (first(i).beneficiary.schemeName = 'IBAN'), ErrorCode.ACCOUNT_SCHEME_UNKNOWN, [...ben, 'schemeName']],
    ['a beneficiary without identification', (i) => void delete first(i).beneficiary.identification, ErrorCode.FIELD_REQUIRED, [...ben, 'identification']],
    ['the guide placeholder IBAN FR76XXXXXXXXXXXXXXX', (i) => void (first(i).beneficiary.identification = 'FR76XXXXXXXXXXXXXXX'), ErrorCode.IBAN_INVALID, [...ben, 'identification']],
    ['an IBAN with a wrong check digit', (i) => void (first(i).beneficiary.identification = 'FR7630006000011234567890188'), ErrorCode.IBAN_INVALID, [...ben, 'identification']],
    ['a sort code given as an IBAN', (i) => void (first(i).beneficiary.identification = '40-47-84 70872490'), ErrorCode.IBAN_INVALID, [...ben, 'identification']],
    [
      'an IBAN given as a sort code',
      (i) => void (first(i).beneficiary.schemeName = 'sort_code_account_number'),
      ErrorCode.SORT_CODE_ACCOUNT_NUMBER_INVALID,
      [...ben, 'identification'],
    ],
    ['a beneficiary without label (creditor name)', (i) => void delete first(i).beneficiary.label, ErrorCode.FIELD_REQUIRED, [...ben, 'label']],
    ['a beneficiary label of 71 characters', (i) => void (first(i).beneficiary.label = 'x'.repeat(71)), ErrorCode.FIELD_TOO_LONG, [...ben, 'label']],
    ['a beneficiary issuer of 256 characters', (i) => void (first(i).beneficiary.issuer = 'x'.repeat(256)), ErrorCode.FIELD_TOO_LONG, [...ben, 'issuer']],
    // beneficiary identity
    ['no beneficiary identity', (i) => void delete (first(i) as InstructionInput).beneficiaryIdentity, ErrorCode.FIELD_REQUIRED, benId],
    ['an unknown identity kind', (i) => void (first(i).beneficiaryIdentity.kind = 'company'), ErrorCode.IDENTITY_KIND_UNKNOWN, [...benId, 'kind']],
    ['a corporate identity without scheme', (i) => void delete first(i).beneficiaryIdentity.schemeName, ErrorCode.FIELD_REQUIRED, [...benId, 'schemeName']],
    ['a corporate identity without identification', (i) => void delete first(i).beneficiaryIdentity.identification, ErrorCode.FIELD_REQUIRED, [...benId, 'identification']],
    ["the guide's SIREN 012345678 (fails Luhn)", (i) => void (first(i).beneficiaryIdentity.identification = '012345678'), ErrorCode.SIREN_INVALID, [...benId, 'identification']],
    ['a SIREN of 8 digits', (i) => void (first(i).beneficiaryIdentity.identification = '74986720'), ErrorCode.SIREN_INVALID, [...benId, 'identification']],
    ['a SIRET given as a SIREN', (i) => void (first(i).beneficiaryIdentity.identification = '74986720600035'), ErrorCode.SIREN_INVALID, [...benId, 'identification']],
    ['a corporate identity with a passport', (i) => void (first(i).beneficiaryIdentity.schemeName = 'passport_number'), ErrorCode.IDENTITY_SCHEME_NOT_ALLOWED, [...benId, 'schemeName']],
    ['a corporate identity with an RNA number', (i) => void (first(i).beneficiaryIdentity.schemeName = 'rna'), ErrorCode.IDENTITY_SCHEME_NOT_ALLOWED, [...benId, 'schemeName']],
    ['an unknown identity scheme', (i) => void (first(i).beneficiaryIdentity.schemeName = 'vat_number'), ErrorCode.IDENTITY_SCHEME_NOT_ALLOWED, [...benId, 'schemeName']],
    [
      'a government identity with an RNA number',
      (i) => void (first(i).beneficiaryIdentity = { kind: 'government', schemeName: 'rna', identification: 'W751234567' }),
      ErrorCode.IDENTITY_SCHEME_NOT_ALLOWED,
      [...benId, 'schemeName'],
    ],
    [
      'a non-profit identity without identification',
      (i) => void (first(i).beneficiaryIdentity = { kind: 'non_profit', schemeName: 'rna' }),
      ErrorCode.FIELD_REQUIRED,
      [...benId, 'identification'],
    ],
    [
      'an individual beneficiary with a SIREN',
      (i) => void (first(i).beneficiaryIdentity = { kind: 'individual', firstName: 'Jean', lastName: 'Dupont', schemeName: 'siren', identification: '749867206' }),
      ErrorCode.IDENTITY_SCHEME_NOT_ALLOWED,
      [...benId, 'schemeName'],
    ],
    ['a legal status of 129 characters', (i) => void (first(i).beneficiaryIdentity.orgLegalStatus = 'x'.repeat(129)), ErrorCode.FIELD_TOO_LONG, [...benId, 'orgLegalStatus']],
    ['a head office address of 513 characters', (i) => void (first(i).beneficiaryIdentity.orgHqAddress = 'x'.repeat(513)), ErrorCode.FIELD_TOO_LONG, [...benId, 'orgHqAddress']],
    ['an organisation name of 256 characters', (i) => void (first(i).beneficiaryIdentity.orgName = 'x'.repeat(256)), ErrorCode.FIELD_TOO_LONG, [...benId, 'orgName']],
    // payer identity
    ['no payer identity', (i) => void delete i.payerIdentity, ErrorCode.FIELD_REQUIRED, ['payerIdentity']],
    ['a payer identity that is not an object', (i) => void (i.payerIdentity = 'Germaine' as unknown as IdentityInput), ErrorCode.INVALID_INPUT, ['payerIdentity']],
    ['an individual without first name', (i) => void delete i.payerIdentity!.firstName, ErrorCode.FIELD_REQUIRED, ['payerIdentity', 'firstName']],
    ['an individual without last name', (i) => void (i.payerIdentity!.lastName = ' '), ErrorCode.FIELD_REQUIRED, ['payerIdentity', 'lastName']],
    ['a first name that is not a string', (i) => void (i.payerIdentity!.firstName = 7 as unknown as string), ErrorCode.INVALID_INPUT, ['payerIdentity', 'firstName']],
    ['a first name of 256 characters', (i) => void (i.payerIdentity!.firstName = 'x'.repeat(256)), ErrorCode.FIELD_TOO_LONG, ['payerIdentity', 'firstName']],
    ['a last name with a tab', (i) => void (i.payerIdentity!.lastName = 'Mi\tchu'), ErrorCode.TEXT_INVALID_CHARACTERS, ['payerIdentity', 'lastName']],
    ['an external reference of 256 characters', (i) => void (i.payerIdentity!.externalRef = 'x'.repeat(256)), ErrorCode.FIELD_TOO_LONG, ['payerIdentity', 'externalRef']],
    ['a postal address of 513 characters', (i) => void (i.payerIdentity!.postalAddress = 'x'.repeat(513)), ErrorCode.FIELD_TOO_LONG, ['payerIdentity', 'postalAddress']],
    ['a birth country in alpha-3', (i) => void (i.payerIdentity!.birthCountry = 'FRA'), ErrorCode.COUNTRY_CODE_INVALID, ['payerIdentity', 'birthCountry']],
    ['a birth country that is no country', (i) => void (i.payerIdentity!.birthCountry = 'ZZ'), ErrorCode.COUNTRY_CODE_INVALID, ['payerIdentity', 'birthCountry']],
    ['a birth country written as a name', (i) => void (i.payerIdentity!.birthCountry = 'France'), ErrorCode.COUNTRY_CODE_INVALID, ['payerIdentity', 'birthCountry']],
    ['a birth date that does not exist', (i) => void (i.payerIdentity!.birthDate = '1963-02-30'), ErrorCode.BIRTH_DATE_INVALID, ['payerIdentity', 'birthDate']],
    ['a birth date written 01/01/1963', (i) => void (i.payerIdentity!.birthDate = '01/01/1963'), ErrorCode.BIRTH_DATE_INVALID, ['payerIdentity', 'birthDate']],
    ['a birth date today', (i) => void (i.payerIdentity!.birthDate = '2024-03-28'), ErrorCode.BIRTH_DATE_INVALID, ['payerIdentity', 'birthDate']],
    ['an email without @', (i) => void (i.payerIdentity!.email = 'germaine.example.fr'), ErrorCode.EMAIL_INVALID, ['payerIdentity', 'email']],
    ['an email without domain dot', (i) => void (i.payerIdentity!.email = 'germaine@localhost'), ErrorCode.EMAIL_INVALID, ['payerIdentity', 'email']],
    ['an identification without scheme', (i) => void (i.payerIdentity!.identification = '19FR12345'), ErrorCode.FIELD_REQUIRED, ['payerIdentity', 'schemeName']],
    ['a scheme without identification', (i) => void (i.payerIdentity!.schemeName = 'passport_number'), ErrorCode.FIELD_REQUIRED, ['payerIdentity', 'identification']],
    ['an individual with an incorporation number', (i) => Object.assign(i.payerIdentity!, { schemeName: 'incorporation_number', identification: '1' }), ErrorCode.IDENTITY_SCHEME_NOT_ALLOWED, ['payerIdentity', 'schemeName']],
    ['a pep flag that is not a boolean', (i) => void (i.payerIdentity!.pep = 'no' as unknown as boolean), ErrorCode.INVALID_INPUT, ['payerIdentity', 'pep']],
    // payer account and operator identity
    ['a payer account with a bad IBAN', (i) => void (i.payer = { schemeName: 'iban', identification: 'DE89370400440532013001' }), ErrorCode.IBAN_INVALID, ['payer', 'identification']],
    ['a payer account without scheme', (i) => void (i.payer = { identification: 'DE89370400440532013000' }), ErrorCode.FIELD_REQUIRED, ['payer', 'schemeName']],
    ['an operator identity without identification', (i) => void (i.operatorIdentity = { kind: 'corporate', schemeName: 'siren' }), ErrorCode.FIELD_REQUIRED, ['operatorIdentity', 'identification']],
  ];
  for (const [what, change, code, field] of refusals) {
    it(`refuses ${what}: ${code} on ${field?.join('.') ?? 'the input'}`, () => {
      const input = validInput();
      change(input);
      assertRefused(() => validateCreateInitiation(input, NOW), code, field, undefined, what);
    });
  }

  it('refuses an input that is not an object', () => {
    assertRefused(() => validateCreateInitiation(null as unknown as CreateInitiationInput, NOW), ErrorCode.INVALID_INPUT, null);
    assertRefused(() => validateCreateInitiation([] as unknown as CreateInitiationInput, NOW), ErrorCode.INVALID_INPUT, null);
  });

  it('reads "today" from the clock it is given, in UTC', () => {
    const deferred = (date: string) => {
      const input = validInput();
      Object.assign(first(input), { executionDateType: 'deferred', executionDate: date });
      return input;
    };
    // one millisecond before midnight UTC, tomorrow is still in the future
    assert.equal(validateCreateInitiation(deferred('2024-03-29'), new Date('2024-03-28T23:59:59.999Z')).instructions[0].executionDateType, 'deferred');
    // at midnight UTC, that day is today
    assertRefused(() => validateCreateInitiation(deferred('2024-03-29'), new Date('2024-03-29T00:00:00Z')), ErrorCode.EXECUTION_DATE_NOT_IN_FUTURE, [
      'instructions',
      '0',
      'executionDate',
    ]);
    // 23:30 on the 28th in UTC−2 is already the 29th in UTC
    assertRefused(() => validateCreateInitiation(deferred('2024-03-29'), new Date('2024-03-28T23:30:00-02:00')), ErrorCode.EXECUTION_DATE_NOT_IN_FUTURE, [
      'instructions',
      '0',
      'executionDate',
    ]);
  });

  it('says which value it refused and why', () => {
    const input = validInput();
    first(input).executionDateType = 'periodic';
    assertRefused(() => validateCreateInitiation(input, NOW), ErrorCode.EXECUTION_DATE_TYPE_UNSUPPORTED, ['instructions', '0', 'executionDateType'], /not supported/);
    const corporate = validInput();
    first(corporate).beneficiaryIdentity.schemeName = 'passport_number';
    assertRefused(
      () => validateCreateInitiation(corporate, NOW),
      ErrorCode.IDENTITY_SCHEME_NOT_ALLOWED,
      ['instructions', '0', 'beneficiaryIdentity', 'schemeName'],
      '"passport_number" is not an identification scheme for a corporate identity: use siren, incorporation_number, euid.',
    );
  });
});

describe('validateIban', () => {
  // §4.5's checked examples, and others from the IBAN registry; each also in print form, lower case.
  const valid: Array<[string, string]> = [
    ['FR4630003000704114151355Z51', 'FR4630003000704114151355Z51'],
    ['FR1420041010050500013M02606', 'FR1420041010050500013M02606'],
    ['FR7630006000011234567890189', 'FR7630006000011234567890189'],
    ['GB82WEST12345698765432', 'GB82WEST12345698765432'],
    ['DE89370400440532013000', 'DE89370400440532013000'],
    ['BE68539007547034', 'BE68539007547034'],
    ['NL91ABNA0417164300', 'NL91ABNA0417164300'],
    ['ES9121000418450200051332', 'ES9121000418450200051332'],
    ['IT60X0542811101000000123456', 'IT60X0542811101000000123456'],
    ['fr14 2004 1010 0505 0001 3m02 606', 'FR1420041010050500013M02606'],
    ['GB82 WEST 1234 5698 7654 32', 'GB82WEST12345698765432'],
    ['  de89 3704 0044 0532 0130 00  ', 'DE89370400440532013000'],
  ];
  for (const [text, electronic] of valid) {
    it(`accepts ${JSON.stringify(text)} as ${electronic}`, () => assert.equal(validateIban(text, 'iban'), electronic));
  }

  // [text, why it is refused (a part of the message)]
  const invalid: Array<[unknown, ErrorCode, RegExp]> = [
    ['FR7630006000011234567890188', ErrorCode.IBAN_INVALID, /check digits do not match \(ISO 7064 MOD 97-10\)/], // last digit changed
    ['FR7730006000011234567890189', ErrorCode.IBAN_INVALID, /check digits do not match/], // check digits changed
    ['DE89370400440532013001', ErrorCode.IBAN_INVALID, /check digits do not match/],
    ['GB82WEST12345698765423', ErrorCode.IBAN_INVALID, /check digits do not match/], // two digits swapped
    ['FR763000600001123456789018', ErrorCode.IBAN_INVALID, /from FR has 27 characters, not 26/],
    ['FR76300060000112345678901890', ErrorCode.IBAN_INVALID, /from FR has 27 characters, not 28/],
    ['GB82WEST1234569876543', ErrorCode.IBAN_INVALID, /from GB has 22 characters, not 21/],
    ['BE6853900754703', ErrorCode.IBAN_INVALID, /from BE has 16 characters, not 15/],
    ['NL91ABNA041716430', ErrorCode.IBAN_INVALID, /from NL has 18 characters, not 17/],
    ['ES912100041845020005133', ErrorCode.IBAN_INVALID, /from ES has 24 characters, not 23/],
    ['IT60X054281110100000012345', ErrorCode.IBAN_INVALID, /from IT has 27 characters, not 26/],
    ['DE8937040044053201300', ErrorCode.IBAN_INVALID, /from DE has 22 characters, not 21/],
    ['FR76XXXXXXXXXXXXXXX', ErrorCode.IBAN_INVALID, /from FR has 27 characters, not 19/], // the guide's placeholder
    ['XX89370400440532013000', ErrorCode.IBAN_INVALID, /XX is not a country that issues IBANs/],
    ['US12345678901234567890', ErrorCode.IBAN_INVALID, /US is not a country that issues IBANs/],
    ['GB82WEST1234569876543X', ErrorCode.IBAN_INVALID, /does not have the format of GB/],
    ['FR0630006000011234567890188', ErrorCode.IBAN_INVALID, /national check digits of FR do not match/], // MOD 97 holds, the RIB key does not
    ['1234', ErrorCode.IBAN_INVALID, /2-letter country code/],
    ['FR76-3000-6000-0112-3456-7890-189', ErrorCode.IBAN_INVALID, /2-letter country code/],
    ['DE89\t370400440532013000', ErrorCode.TEXT_INVALID_CHARACTERS, /control characters/],
    ['', ErrorCode.FIELD_REQUIRED, /required/],
    [null, ErrorCode.FIELD_REQUIRED, /required/],
    [7630006000, ErrorCode.INVALID_INPUT, /must be a string/],
  ];
  for (const [text, code, why] of invalid) {
    it(`refuses ${JSON.stringify(text)}: ${why.source}`, () => assertRefused(() => validateIban(text, 'a.iban'), code, ['a', 'iban'], why));
  }
});

describe('validateSortCodeAccountNumber', () => {
  const cases: Array<[string, string | null]> = [
    ['40478470872490', '40478470872490'],
    ['40-47-84 70872490', '40478470872490'],
    ['404784-70872490', '40478470872490'],
    [' 40 47 84 7087 2490 ', '40478470872490'],
    ['4047847087249', null], // 13 digits
    ['404784708724901', null], // 15 digits
    ['40478A70872490', null],
    ['40.47.84 70872490', null],
    ['GB82WEST12345698765432', null],
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${expected ?? 'refused'}`, () => {
      if (expected) assert.equal(validateSortCodeAccountNumber(text, 'account'), expected);
      else assertRefused(() => validateSortCodeAccountNumber(text, 'account'), ErrorCode.SORT_CODE_ACCOUNT_NUMBER_INVALID, ['account']);
    });
  }
});

describe('SIREN', () => {
  // [text, valid?]
  const cases: Array<[string, boolean]> = [
    ['749867206', true], // Powens SAS
    ['356000000', true], // La Poste
    ['552032534', true], // Danone
    ['012345678', false], // the Powens guide's example
    ['749867207', false],
    ['749867260', false], // two digits swapped
    ['74986720', false],
    ['7498672060', false],
    ['74986720a', false],
    ['', false],
  ];
  for (const [text, valid] of cases) {
    it(`${JSON.stringify(text)} is ${valid ? 'valid' : 'invalid'}`, () => {
      assert.equal(isValidSiren(text), valid);
      if (valid) assert.equal(validateSiren(text, 'siren'), text);
      else assertRefused(() => validateSiren(text, 'siren'), text === '' ? ErrorCode.FIELD_REQUIRED : ErrorCode.SIREN_INVALID, ['siren']);
    });
  }

  it('explains a failed check digit apart from a wrong length', () => {
    assertRefused(() => validateSiren('012345678', 'siren'), ErrorCode.SIREN_INVALID, ['siren'], '"012345678" fails the SIREN check digit (Luhn).');
    assertRefused(() => validateSiren('1234', 'siren'), ErrorCode.SIREN_INVALID, ['siren'], '"1234" is not 9 digits, as a SIREN is.');
  });
});

describe('luhnValid', () => {
  const cases: Array<[string, boolean]> = [
    ['0', true],
    ['18', true],
    ['79927398713', true], // the classic example
    ['79927398710', false],
    ['4111111111111111', true],
    ['4111111111111112', false],
    ['', false],
    ['12a', false],
  ];
  for (const [digits, valid] of cases) {
    it(`${JSON.stringify(digits)} → ${valid}`, () => assert.equal(luhnValid(digits), valid));
  }
});

describe('parseUtcDate', () => {
  const cases: Array<[string, string | null]> = [
    ['2024-03-29', '2024-03-29T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'], // leap year
    ['2000-02-29', '2000-02-29T00:00:00.000Z'], // leap century
    ['1900-02-29', null], // not a leap year
    ['2025-02-29', null],
    ['2024-04-31', null],
    ['2024-13-01', null],
    ['2024-00-10', null],
    ['2024-1-01', null],
    ['24-01-01', null],
    ['2024-01-01 ', null],
    ['0024-02-29', '0024-02-29T00:00:00.000Z'], // not read as 1924
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${expected ?? 'null'}`, () => assert.equal(parseUtcDate(text)?.toISOString() ?? null, expected));
  }
});
