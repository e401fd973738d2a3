import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PaymentState } from '../../payments/payment.entity';
import { ErrorCode, PaygridError } from '../../shared/errors';
import {
  FALLBACK_PAYMENT_ERROR_CODE,
  InitiationState,
  PAYMENT_ERROR_DESCRIPTIONS,
  PaymentErrorCode,
  UNIFIED_STATE,
  initiationMachine,
  readInitiationState,
  readPaymentErrorCode,
} from './initiation.states';

// Every step of the machine, legal and illegal, is checked in src/shared/state-machine.test.ts
// against a table written independently of the machine; here: the flow's own readings.

describe('initiation state machine: walks through the flow', () => {
  // [path, legal?]
  const paths: Array<[InitiationState[], boolean]> = [
    [[InitiationState.CREATED, InitiationState.VALIDATING, InitiationState.PENDING, InitiationState.DONE], true],
    [[InitiationState.CREATED, InitiationState.VALIDATING, InitiationState.PENDING, InitiationState.ACCEPTED], true],
    [[InitiationState.CREATED, InitiationState.VALIDATING, InitiationState.PENDING, InitiationState.PARTIAL], true],
    [[InitiationState.CREATED, InitiationState.REJECTED], true], // CancelledByClient before validation
    [[InitiationState.CREATED, InitiationState.EXPIRED], true],
    [[InitiationState.CREATED, InitiationState.VALIDATING, InitiationState.REJECTED], true], // authentication failed
    [[InitiationState.CREATED, InitiationState.VALIDATING, InitiationState.PENDING, InitiationState.EXPIRED], true],
    [[InitiationState.CREATED, InitiationState.PENDING], false], // must be validated first
    [[InitiationState.CREATED, InitiationState.DONE], false],
    [[InitiationState.VALIDATING, InitiationState.DONE], false], // must be confirmed at the bank first
    [[InitiationState.VALIDATING, InitiationState.PARTIAL], false],
    [[InitiationState.PENDING, InitiationState.VALIDATING], false], // never backwards
    [[InitiationState.ACCEPTED, InitiationState.DONE], false], // the bank gives no further update
    [[InitiationState.ACCEPTED, InitiationState.REJECTED], false],
    [[InitiationState.DONE, InitiationState.REJECTED], false], // final states never change
    [[InitiationState.EXPIRED, InitiationState.DONE], false], // a late answer does not revive an expired payment
    [[InitiationState.REJECTED, InitiationState.PENDING], false],
    [[InitiationState.PARTIAL, InitiationState.DONE], false],
    [[InitiationState.DONE, InitiationState.DONE], false], // a repeated final notification is no step
  ];
  for (const [path, legal] of paths) {
    it(`${path.join(' → ')} is ${legal ? 'legal' : 'refused'}`, () => {
      const steps = path.slice(1).map((to, i) => [path[i], to] as const);
      const allowed = steps.every(([from, to]) => initiationMachine.canMove(from, to));
      assert.equal(allowed, legal);
      if (!legal) {
        const [from, to] = steps.find(([f, t]) => !initiationMachine.canMove(f, t))!;
        assert.throws(
          () => initiationMachine.assertMove(from, to, 'paymentId'),
          (error: unknown) => error instanceof PaygridError && error.code === ErrorCode.ILLEGAL_TRANSITION,
        );
      }
    });
  }
});

describe('UNIFIED_STATE', () => {
  const expected: Array<[InitiationState, PaymentState]> = [
    [InitiationState.CREATED, PaymentState.CREATED],
    [InitiationState.VALIDATING, PaymentState.PENDING],
    [InitiationState.PENDING, PaymentState.PENDING],
    [InitiationState.DONE, PaymentState.COMPLETED],
    [InitiationState.ACCEPTED, PaymentState.ACCEPTED],
    [InitiationState.REJECTED, PaymentState.REJECTED],
    [InitiationState.EXPIRED, PaymentState.EXPIRED],
    [InitiationState.PARTIAL, PaymentState.COMPLETED],
  ];
  for (const [state, unified] of expected) {
    it(`${state} reads as ${unified}`, () => assert.equal(UNIFIED_STATE[state], unified));
  }
  it('covers every state', () => assert.equal(expected.length, Object.values(InitiationState).length));
});

describe('readInitiationState', () => {
  for (const state of Object.values(InitiationState)) {
    it(`knows ${state}`, () => {
      assert.deepEqual(readInitiationState(state), {
        known: true,
        state,
        unified: UNIFIED_STATE[state],
        final: initiationMachine.isFinal(state),
      });
    });
  }

  it('ignores case and surrounding blanks', () => {
    const reading = readInitiationState(' Done ');
    assert.ok(reading.known);
    assert.equal(reading.state, InitiationState.DONE);
  });

  // Forward compatibility: the provider may add states; they are never final and never an error.
  for (const raw of ['cancelling', 'scheduled', 'PARTIALLY_DONE', '', 'toString', '__proto__']) {
    it(`reads unknown ${JSON.stringify(raw)} as a not-resolvable pending state`, () => {
      assert.deepEqual(readInitiationState(raw), { known: false, raw, unified: PaymentState.PENDING, final: false });
    });
  }
});

describe('PaymentErrorCode', () => {
  it('is the §1.5 list, spelled as the provider spells it', () => {
    assert.deepEqual(Object.values(PaymentErrorCode), [
      'invalidEmitter',
      'insufficientFunds',
      'invalidAmount',
      'invalidCurrency',
      'invalidDate',
      'invalidBeneficiary',
      'invalidLabel',
      'invalidReferenceId',
      'regulatoryReason',
      'authenticationFailed',
      'noAnswerFromCustomer',
      'noSpecifiedReason',
      'CancelledByUser',
      'CancelledByClient',
      'confirmationRefused',
      'bankMessage',
      'invalidValue',
      'websiteUnavailable',
      'bug',
    ]);
  });

  it('has a description for every code', () => {
    for (const code of Object.values(PaymentErrorCode)) assert.ok(PAYMENT_ERROR_DESCRIPTIONS[code].length > 0, code);
  });
});

describe('readPaymentErrorCode', () => {
  // [raw value from a provider, expected reading]
  const cases: Array<[string | null | undefined, { code: PaymentErrorCode; known: boolean } | null]> = [
    ['insufficientFunds', { code: PaymentErrorCode.insufficientFunds, known: true }],
    ['CancelledByUser', { code: PaymentErrorCode.CancelledByUser, known: true }],
    ['CancelledByClient', { code: PaymentErrorCode.CancelledByClient, known: true }],
    // the capital C is the provider's spelling: other spellings are read back to it
    ['cancelledByUser', { code: PaymentErrorCode.CancelledByUser, known: true }],
    ['cancelledbyclient', { code: PaymentErrorCode.CancelledByClient, known: true }],
    [' bankMessage ', { code: PaymentErrorCode.bankMessage, known: true }],
    // unknown codes (providers add codes) fall back to the generic one
    ['accountClosed', { code: FALLBACK_PAYMENT_ERROR_CODE, known: false }],
    ['toString', { code: PaymentErrorCode.noSpecifiedReason, known: false }],
    ['__proto__', { code: PaymentErrorCode.noSpecifiedReason, known: false }],
    // no code at all
    [null, null],
    [undefined, null],
    ['', null],
    ['  ', null],
  ];
  for (const [raw, expected] of cases) {
    it(`${JSON.stringify(raw)} → ${expected ? `${expected.code}${expected.known ? '' : ' (fallback)'}` : 'null'}`, () => {
      assert.deepEqual(readPaymentErrorCode(raw), expected);
    });
  }

  it('falls back to noSpecifiedReason', () => assert.equal(FALLBACK_PAYMENT_ERROR_CODE, PaymentErrorCode.noSpecifiedReason));
});
