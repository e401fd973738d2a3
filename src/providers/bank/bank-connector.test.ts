import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccountSchemeName, ExecutionDateType, validateCreateInitiation } from '../../flows/initiation/initiation-validation';
import {
  IncompatibilityCode,
  canExecute,
  compatibleConnectors,
  paymentIncompatibilities,
  type BankConnector,
  type InstructionForBank,
  type PaymentForBank,
} from './bank-connector';
import { SANDBOX_ACCEPTANCE_BANK, SANDBOX_BANK, SANDBOX_CONNECTORS, SANDBOX_INSTANT_BANK } from './sandbox-bank';

// Thursday before Easter 2024.
const NOW = new Date('2024-03-28T10:00:00Z');

interface Shape {
  type?: ExecutionDateType;
  amount?: bigint;
  currency?: string;
  date?: string;
  scheme?: AccountSchemeName;
  count?: number;
  payer?: boolean;
}

function payment(shape: Shape = {}): PaymentForBank {
  const instruction: InstructionForBank = {
    amount: shape.amount ?? 5090n,
    assetCode: shape.currency ?? 'EUR',
    assetScale: 2,
    executionDateType: shape.type ?? ExecutionDateType.FIRST_OPEN_DAY,
    executionDate: shape.date ? new Date(`${shape.date}T00:00:00Z`) : null,
    beneficiary: { schemeName: shape.scheme ?? AccountSchemeName.IBAN },
  };
  return {
    payer: shape.payer ? { schemeName: AccountSchemeName.IBAN } : null,
    instructions: Array.from({ length: shape.count ?? 1 }, () => instruction),
  };
}

const { INSTANT, DEFERRED } = ExecutionDateType;
const codes = (found: ReturnType<typeof paymentIncompatibilities>) => found.map((reason) => `${reason.code}${reason.type === 'warning' ? '?' : ''}`);

describe('paymentIncompatibilities', () => {
  // [what, payment, connector, codes found (a trailing ? marks a warning)]
  const cases: Array<[string, Shape, BankConnector, string[]]> = [
    // date types
    ['first open day at the full bank', {}, SANDBOX_BANK, []],
    ['first open day at the acceptance bank', {}, SANDBOX_ACCEPTANCE_BANK, []],
    ['first open day at the instant-only bank', {}, SANDBOX_INSTANT_BANK, ['nspDateType']],
    ['instant at the full bank', { type: INSTANT }, SANDBOX_BANK, []],
    ['instant at the acceptance bank', { type: INSTANT }, SANDBOX_ACCEPTANCE_BANK, ['nspDateType']],
    ['instant at the instant-only bank', { type: INSTANT }, SANDBOX_INSTANT_BANK, []],
    ['deferred at the instant-only bank', { type: DEFERRED, date: '2024-04-03' }, SANDBOX_INSTANT_BANK, ['nspDateType']],
    // amounts: limits are inclusive, per date type
    ['instant 1000.00 at the instant-only bank (its limit)', { type: INSTANT, amount: 100000n }, SANDBOX_INSTANT_BANK, []],
    ['instant 1000.01 at the instant-only bank', { type: INSTANT, amount: 100001n }, SANDBOX_INSTANT_BANK, ['maxAmount']],
    ['instant 1000.01 at the full bank', { type: INSTANT, amount: 100001n }, SANDBOX_BANK, []],
    ['instant 15000.01 at the full bank', { type: INSTANT, amount: 1500001n }, SANDBOX_BANK, ['maxAmount']],
    ['first open day 15000.01 at the full bank (its limit is 100000)', { amount: 1500001n }, SANDBOX_BANK, []],
    ['first open day 4000.00 at the acceptance bank', { amount: 400000n }, SANDBOX_ACCEPTANCE_BANK, []],
    ['first open day 4000.01 at the acceptance bank', { amount: 400001n }, SANDBOX_ACCEPTANCE_BANK, ['maxAmount']],
    ['first open day 1.00 at the acceptance bank (its minimum)', { amount: 100n }, SANDBOX_ACCEPTANCE_BANK, []],
    ['first open day 0.99 at the acceptance bank', { amount: 99n }, SANDBOX_ACCEPTANCE_BANK, ['minAmount']],
    // deferred dates: deltas in UTC days from today, and closed days
    ['deferred on Wednesday after Easter at the full bank', { type: DEFERRED, date: '2024-04-03' }, SANDBOX_BANK, []],
    ['deferred on Wednesday after Easter at the acceptance bank', { type: DEFERRED, date: '2024-04-03' }, SANDBOX_ACCEPTANCE_BANK, ['trustBenef?']],
    ['deferred tomorrow, Good Friday, at the full bank (rolls to Tuesday)', { type: DEFERRED, date: '2024-03-29' }, SANDBOX_BANK, []],
    ['deferred tomorrow, Good Friday, at the acceptance bank', { type: DEFERRED, date: '2024-03-29' }, SANDBOX_ACCEPTANCE_BANK, ['minDateDelta', 'nspExecDate', 'trustBenef?']],
    ['deferred on Easter Monday at the acceptance bank', { type: DEFERRED, date: '2024-04-01' }, SANDBOX_ACCEPTANCE_BANK, ['nspExecDate', 'trustBenef?']],
    ['deferred on a Saturday at the acceptance bank', { type: DEFERRED, date: '2024-04-06' }, SANDBOX_ACCEPTANCE_BANK, ['nspExecDate', 'trustBenef?']],
    ['deferred 90 days ahead at the acceptance bank', { type: DEFERRED, date: '2024-06-26' }, SANDBOX_ACCEPTANCE_BANK, ['trustBenef?']],
    ['deferred 91 days ahead at the acceptance bank', { type: DEFERRED, date: '2024-06-27' }, SANDBOX_ACCEPTANCE_BANK, ['maxDateDelta', 'trustBenef?']],
    ['deferred 365 days ahead at the full bank', { type: DEFERRED, date: '2025-03-28' }, SANDBOX_BANK, []],
    ['deferred 366 days ahead at the full bank', { type: DEFERRED, date: '2025-03-29' }, SANDBOX_BANK, ['maxDateDelta']],
    ['deferred today at the full bank', { type: DEFERRED, date: '2024-03-28' }, SANDBOX_BANK, ['minDateDelta']],
    // bulk
    ['2 instructions at the full bank', { count: 2 }, SANDBOX_BANK, []],
    ['20 instructions at the full bank (its limit)', { count: 20 }, SANDBOX_BANK, []],
    ['21 instructions at the full bank', { count: 21 }, SANDBOX_BANK, ['maxBulk']],
    ['2 instructions at the acceptance bank (no bulk)', { count: 2 }, SANDBOX_ACCEPTANCE_BANK, ['nspBulk']],
    // beneficiary scheme, currency, payer
    ['a UK beneficiary in GBP at the full bank', { scheme: AccountSchemeName.SORT_CODE_ACCOUNT_NUMBER, currency: 'GBP' }, SANDBOX_BANK, ['nspCurrency', 'nspBenefScheme']],
    ['USD at the full bank', { currency: 'USD' }, SANDBOX_BANK, ['nspCurrency']],
    ["the payer's account at the full bank", { payer: true }, SANDBOX_BANK, []],
    ["the payer's account at the acceptance bank (not used)", { payer: true }, SANDBOX_ACCEPTANCE_BANK, ['nspPayer']],
    // several reasons at once: payment-level first, then per instruction
    ['3 instant instructions of 2000.00 at the acceptance bank', { type: INSTANT, amount: 200000n, count: 3 }, SANDBOX_ACCEPTANCE_BANK, ['nspBulk', 'nspDateType', 'nspDateType', 'nspDateType']],
  ];
  for (const [what, shape, connector, expected] of cases) {
    it(`${what}: ${expected.length ? expected.join(', ') : 'compatible'}`, () => {
      const found = paymentIncompatibilities(payment(shape), connector, NOW);
      assert.deepEqual(codes(found), expected);
      assert.equal(canExecute(payment(shape), connector, NOW), expected.every((code) => code.endsWith('?')));
    });
  }

  it('describes each reason with both values, amounts in major units', () => {
    assert.deepEqual(paymentIncompatibilities(payment({ type: INSTANT, amount: 100001n }), SANDBOX_INSTANT_BANK, NOW), [
      {
        code: IncompatibilityCode.maxAmount,
        type: 'incompatible',
        instruction: 0,
        description: "The bank's largest instant payment is 1000.00 EUR.",
        valueConnector: '1000.00 EUR',
        valuePayment: '1000.01 EUR',
      },
    ]);
    assert.deepEqual(paymentIncompatibilities(payment({ type: DEFERRED, date: '2024-03-29' }), SANDBOX_ACCEPTANCE_BANK, NOW).slice(0, 2), [
      {
        code: IncompatibilityCode.minDateDelta,
        type: 'incompatible',
        instruction: 0,
        description: 'The bank needs the execution date at least 2 day(s) ahead.',
        valueConnector: '2',
        valuePayment: '1',
      },
      {
        code: IncompatibilityCode.nspExecDate,
        type: 'incompatible',
        instruction: 0,
        description: 'The bank does not execute payments on a day TARGET2 is closed.',
        valueConnector: 'TARGET2 open days',
        valuePayment: '2024-03-29',
      },
    ]);
  });

  it('counts date deltas in UTC days: late in the evening, tomorrow is 1 day ahead', () => {
    const late = new Date('2024-04-02T23:59:00Z');
    assert.deepEqual(codes(paymentIncompatibilities(payment({ type: DEFERRED, date: '2024-04-04' }), SANDBOX_ACCEPTANCE_BANK, late)), ['trustBenef?']);
    assert.deepEqual(codes(paymentIncompatibilities(payment({ type: DEFERRED, date: '2024-04-03' }), SANDBOX_ACCEPTANCE_BANK, late)), ['minDateDelta', 'trustBenef?']);
  });

  it('needs the payer account when the bank says mandatory', () => {
    const strict: BankConnector = { ...SANDBOX_BANK, paymentSettings: { ...SANDBOX_BANK.paymentSettings, providingPayerAccount: 'mandatory' } };
    assert.deepEqual(codes(paymentIncompatibilities(payment(), strict, NOW)), ['nspPayer']);
    assert.deepEqual(codes(paymentIncompatibilities(payment({ payer: true }), strict, NOW)), []);
  });

  it('takes a validated initiation as it is', () => {
    const validated = validateCreateInitiation(
      {
        clientRedirectUri: 'https://shop.example/return',
        instructions: [
          {
            label: 'Order 42',
            amount: '1500.00',
            currency: 'EUR',
            executionDateType: 'instant',
            beneficiary: { schemeName: 'iban', identification: 'FR7630006000011234567890189', label: 'ACME' },
            beneficiaryIdentity: { kind: 'corporate', schemeName: 'siren', identification: '749867206' },
          },
        ],
        payerIdentity: { firstName: 'Germaine', lastName: 'Michu' },
      },
      NOW,
    );
    assert.deepEqual(codes(paymentIncompatibilities(validated, SANDBOX_INSTANT_BANK, NOW)), ['maxAmount']);
  });
});

describe('compatibleConnectors: the banks the webview offers', () => {
  const cases: Array<[string, Shape, BankConnector[]]> = [
    ['first open day 50.90', {}, [SANDBOX_BANK, SANDBOX_ACCEPTANCE_BANK]],
    ['first open day 5000.00', { amount: 500000n }, [SANDBOX_BANK]],
    ['instant 50.90', { type: INSTANT }, [SANDBOX_BANK, SANDBOX_INSTANT_BANK]],
    ['instant 5000.00', { type: INSTANT, amount: 500000n }, [SANDBOX_BANK]],
    ['instant 20000.00', { type: INSTANT, amount: 2000000n }, []],
    ['deferred on Wednesday after Easter (a warning does not exclude)', { type: DEFERRED, date: '2024-04-03' }, [SANDBOX_BANK, SANDBOX_ACCEPTANCE_BANK]],
    ['deferred on Good Friday', { type: DEFERRED, date: '2024-03-29' }, [SANDBOX_BANK]],
    ['a bulk of 2', { count: 2 }, [SANDBOX_BANK]],
    ['a UK beneficiary', { scheme: AccountSchemeName.SORT_CODE_ACCOUNT_NUMBER, currency: 'GBP' }, []],
  ];
  for (const [what, shape, expected] of cases) {
    it(`${what} → ${expected.map((c) => c.name).join(', ') || 'none'}`, () => {
      assert.deepEqual(
        compatibleConnectors(payment(shape), SANDBOX_CONNECTORS, NOW).map((c) => c.uuid),
        expected.map((c) => c.uuid),
      );
    });
  }
});
