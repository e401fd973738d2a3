import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { AccountSchemeName, ExecutionDateType } from '../../flows/initiation/initiation-validation';
import { PaymentErrorCode } from '../../flows/initiation/initiation.states';
import { ManualClock } from '../../shared/clock';
import type { BankAnswer, BankConnector, BankPaymentRef, InstructionForBank, PaymentForBank } from './bank-connector';
import {
  SANDBOX_ACCEPTANCE_BANK,
  SANDBOX_BANK,
  SANDBOX_CONNECTORS,
  SANDBOX_INSTANT_BANK,
  SANDBOX_LOGINS,
  SANDBOX_PASSWORD,
  SANDBOX_RECHECK_MS,
  SandboxBank,
  decideSandboxConfirmation,
  type SandboxDecision,
} from './sandbox-bank';

const { INSTANT, FIRST_OPEN_DAY, DEFERRED } = ExecutionDateType;

function instruction(type: ExecutionDateType, date?: string, amount = 5090n): InstructionForBank {
  return {
    amount,
    assetCode: 'EUR',
    assetScale: 2,
    executionDateType: type,
    executionDate: date ? new Date(`${date}T00:00:00Z`) : null,
    beneficiary: { schemeName: AccountSchemeName.IBAN },
  };
}

const payment = (...instructions: InstructionForBank[]): PaymentForBank => ({ payer: null, instructions });

// Thursday before Easter 2024.
const THURSDAY = new Date('2024-03-28T10:00:00Z');

function decide(login: string, options: { connector?: BankConnector; payment?: PaymentForBank; password?: string; now?: Date } = {}): SandboxDecision {
  return decideSandboxConfirmation({
    payment: options.payment ?? payment(instruction(FIRST_OPEN_DAY)),
    connector: options.connector ?? SANDBOX_BANK,
    login,
    password: options.password ?? SANDBOX_PASSWORD,
    now: options.now ?? THURSDAY,
  });
}

describe('sandbox connectors', () => {
  it('are three, with distinct UUIDs', () => {
    assert.equal(SANDBOX_CONNECTORS.length, 3);
    assert.equal(new Set(SANDBOX_CONNECTORS.map((c) => c.uuid)).size, 3);
    for (const c of SANDBOX_CONNECTORS) assert.match(c.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('one tracks every date type fully, one tracks first-open-day payments only to acceptance, one is instant-only with a lower limit', () => {
    assert.deepEqual(SANDBOX_BANK.paymentSettings.executionDateTypes, [INSTANT, FIRST_OPEN_DAY, DEFERRED]);
    assert.deepEqual(SANDBOX_BANK.paymentSettings.partialStatusTracking, []);
    assert.deepEqual(SANDBOX_ACCEPTANCE_BANK.paymentSettings.partialStatusTracking, [FIRST_OPEN_DAY]);
    assert.deepEqual(SANDBOX_INSTANT_BANK.paymentSettings.executionDateTypes, [INSTANT]);
    assert.ok(SANDBOX_INSTANT_BANK.paymentSettings.maximumAmount.instant!.EUR < SANDBOX_BANK.paymentSettings.maximumAmount.instant!.EUR);
  });
});

describe('decideSandboxConfirmation: the login decides', () => {
  // [login, password, decision]
  const cases: Array<[string, string, SandboxDecision]> = [
    ['jane', SANDBOX_PASSWORD, { kind: 'pending', settlesAt: new Date('2024-04-02T00:00:00Z'), outcome: { state: 'done' } }],
    ['jane', 'wrong', { kind: 'rejected', errorCode: PaymentErrorCode.authenticationFailed, bankMessage: 'Invalid login or password.' }],
    ['jane', 'Sandbox', { kind: 'rejected', errorCode: PaymentErrorCode.authenticationFailed, bankMessage: 'Invalid login or password.' }],
    ['jane', '', { kind: 'rejected', errorCode: PaymentErrorCode.authenticationFailed, bankMessage: 'Invalid login or password.' }],
    ['', SANDBOX_PASSWORD, { kind: 'rejected', errorCode: PaymentErrorCode.authenticationFailed, bankMessage: 'Invalid login or password.' }],
    ['   ', SANDBOX_PASSWORD, { kind: 'rejected', errorCode: PaymentErrorCode.authenticationFailed, bankMessage: 'Invalid login or password.' }],
    // a rule's login with the wrong password still fails authentication first
    ['insufficient', 'wrong', { kind: 'rejected', errorCode: PaymentErrorCode.authenticationFailed, bankMessage: 'Invalid login or password.' }],
    ['insufficient', SANDBOX_PASSWORD, { kind: 'rejected', errorCode: PaymentErrorCode.insufficientFunds, bankMessage: null }],
    [' Insufficient ', SANDBOX_PASSWORD, { kind: 'rejected', errorCode: PaymentErrorCode.insufficientFunds, bankMessage: null }],
    ['refuse', SANDBOX_PASSWORD, { kind: 'rejected', errorCode: PaymentErrorCode.bankMessage, bankMessage: 'Payment refused by your adviser (sandbox).' }],
    ['cancel', SANDBOX_PASSWORD, { kind: 'rejected', errorCode: PaymentErrorCode.CancelledByUser, bankMessage: null }],
    ['unavailable', SANDBOX_PASSWORD, { kind: 'rejected', errorCode: PaymentErrorCode.websiteUnavailable, bankMessage: null }],
    [
      'late-insufficient',
      SANDBOX_PASSWORD,
      { kind: 'pending', settlesAt: new Date('2024-04-02T00:00:00Z'), outcome: { state: 'rejected', errorCode: PaymentErrorCode.insufficientFunds, bankMessage: null } },
    ],
    ['silent', SANDBOX_PASSWORD, { kind: 'unanswered' }],
    ['insufficient-funds', SANDBOX_PASSWORD, { kind: 'pending', settlesAt: new Date('2024-04-02T00:00:00Z'), outcome: { state: 'done' } }], // no partial matches
    ['constructor', SANDBOX_PASSWORD, { kind: 'pending', settlesAt: new Date('2024-04-02T00:00:00Z'), outcome: { state: 'done' } }],
  ];
  for (const [login, password, expected] of cases) {
    it(`login ${JSON.stringify(login)}, password ${JSON.stringify(password)} → ${expected.kind}${'errorCode' in expected ? ` ${expected.errorCode}` : ''}`, () => {
      assert.deepEqual(decide(login, { password }), expected);
    });
  }

  it('documents every login rule', () => {
    assert.deepEqual([...SANDBOX_LOGINS.keys()], ['insufficient', 'refuse', 'cancel', 'unavailable', 'late-insufficient', 'silent']);
    for (const [, rule] of SANDBOX_LOGINS) assert.ok(rule.description.length > 0);
  });

  it('late-insufficient at a bank that only tracks acceptance: accepted, and the failure is never seen', () => {
    assert.deepEqual(decide('late-insufficient', { connector: SANDBOX_ACCEPTANCE_BANK }), {
      kind: 'pending',
      settlesAt: new Date('2024-03-28T10:00:02Z'),
      outcome: { state: 'accepted' },
    });
  });
});

describe('decideSandboxConfirmation: timing and final state per date type', () => {
  // [what, connector, instructions, confirmed at, settles at, final state]
  const cases: Array<[string, BankConnector, InstructionForBank[], string, string, 'done' | 'accepted']> = [
    // instant: 2 s after confirmation, any day
    ['instant on a Thursday', SANDBOX_BANK, [instruction(INSTANT)], '2024-03-28T10:00:00Z', '2024-03-28T10:00:02Z', 'done'],
    ['instant on Good Friday', SANDBOX_BANK, [instruction(INSTANT)], '2024-03-29T10:00:00Z', '2024-03-29T10:00:02Z', 'done'],
    ['instant on a Sunday', SANDBOX_BANK, [instruction(INSTANT)], '2024-06-09T10:00:00Z', '2024-06-09T10:00:02Z', 'done'],
    ['instant across midnight', SANDBOX_BANK, [instruction(INSTANT)], '2024-12-31T23:59:59Z', '2025-01-01T00:00:01Z', 'done'],
    ['instant at the instant-only bank', SANDBOX_INSTANT_BANK, [instruction(INSTANT)], '2024-03-28T10:00:00Z', '2024-03-28T10:00:02Z', 'done'],
    // first open day: the first TARGET2 open day after the day of confirmation, at 00:00 UTC
    ['first open day from a Tuesday', SANDBOX_BANK, [instruction(FIRST_OPEN_DAY)], '2024-06-04T09:00:00Z', '2024-06-05T00:00:00Z', 'done'],
    ['first open day from a Tuesday at 00:00 (never the same day)', SANDBOX_BANK, [instruction(FIRST_OPEN_DAY)], '2024-06-04T00:00:00Z', '2024-06-05T00:00:00Z', 'done'],
    ['first open day from a Friday evening', SANDBOX_BANK, [instruction(FIRST_OPEN_DAY)], '2024-06-07T23:59:59Z', '2024-06-10T00:00:00Z', 'done'],
    ['first open day from a Saturday', SANDBOX_BANK, [instruction(FIRST_OPEN_DAY)], '2024-06-08T12:00:00Z', '2024-06-10T00:00:00Z', 'done'],
    ['first open day from a Sunday', SANDBOX_BANK, [instruction(FIRST_OPEN_DAY)], '2024-06-09T12:00:00Z', '2024-06-10T00:00:00Z', 'done'],
    ['first open day from Maundy Thursday, across Easter', SANDBOX_BANK, [instruction(FIRST_OPEN_DAY)], '2024-03-28T10:00:00Z', '2024-04-02T00:00:00Z', 'done'],
    ['first open day from Good Friday', SANDBOX_BANK, [instruction(FIRST_OPEN_DAY)], '2024-03-29T10:00:00Z', '2024-04-02T00:00:00Z', 'done'],
    ['first open day from Christmas Eve 2026 (Christmas on a Friday)', SANDBOX_BANK, [instruction(FIRST_OPEN_DAY)], '2026-12-24T16:00:00Z', '2026-12-28T00:00:00Z', 'done'],
    ['first open day from New Year’s Eve 2024', SANDBOX_BANK, [instruction(FIRST_OPEN_DAY)], '2024-12-31T16:00:00Z', '2025-01-02T00:00:00Z', 'done'],
    ['first open day from 30 April 2026 (1 May on a Friday)', SANDBOX_BANK, [instruction(FIRST_OPEN_DAY)], '2026-04-30T16:00:00Z', '2026-05-04T00:00:00Z', 'done'],
    // a bank tracking first-open-day payments only to acceptance: accepted after its checks, whatever the day
    ['first open day at the acceptance bank', SANDBOX_ACCEPTANCE_BANK, [instruction(FIRST_OPEN_DAY)], '2024-03-28T10:00:00Z', '2024-03-28T10:00:02Z', 'accepted'],
    ['first open day at the acceptance bank on a Saturday', SANDBOX_ACCEPTANCE_BANK, [instruction(FIRST_OPEN_DAY)], '2024-06-08T12:00:00Z', '2024-06-08T12:00:02Z', 'accepted'],
    // deferred: 00:00 UTC on the execution date
    ['deferred to the Wednesday after Easter', SANDBOX_BANK, [instruction(DEFERRED, '2024-04-03')], '2024-03-28T10:00:00Z', '2024-04-03T00:00:00Z', 'done'],
    ['deferred to tomorrow', SANDBOX_BANK, [instruction(DEFERRED, '2024-03-28')], '2024-03-27T23:00:00Z', '2024-03-28T00:00:00Z', 'done'],
    ['deferred to Good Friday: rolled to Tuesday', SANDBOX_BANK, [instruction(DEFERRED, '2024-03-29')], '2024-03-28T10:00:00Z', '2024-04-02T00:00:00Z', 'done'],
    ['deferred to a Saturday: rolled to Monday', SANDBOX_BANK, [instruction(DEFERRED, '2024-06-08')], '2024-06-05T10:00:00Z', '2024-06-10T00:00:00Z', 'done'],
    ['deferred to 1 January 2027 (a Friday): rolled to Monday', SANDBOX_BANK, [instruction(DEFERRED, '2027-01-01')], '2026-12-01T10:00:00Z', '2027-01-04T00:00:00Z', 'done'],
    // the acceptance bank tracks deferred payments fully
    ['deferred at the acceptance bank', SANDBOX_ACCEPTANCE_BANK, [instruction(DEFERRED, '2024-04-03')], '2024-03-28T10:00:00Z', '2024-04-03T00:00:00Z', 'done'],
    // a bulk is final with its last instruction
    [
      'a bulk of instant, first open day and deferred',
      SANDBOX_BANK,
      [instruction(INSTANT), instruction(DEFERRED, '2024-04-05'), instruction(FIRST_OPEN_DAY)],
      '2024-03-28T10:00:00Z',
      '2024-04-05T00:00:00Z',
      'done',
    ],
  ];
  for (const [what, connector, instructions, confirmedAt, settlesAt, state] of cases) {
    it(`${what}: ${state} at ${settlesAt}`, () => {
      assert.deepEqual(decide('jane', { connector, payment: payment(...instructions), now: new Date(confirmedAt) }), {
        kind: 'pending',
        settlesAt: new Date(settlesAt),
        outcome: { state },
      });
    });
  }
});

describe('decideSandboxConfirmation: a payment the bank cannot execute is rejected', () => {
  // [what, connector, payment, confirmed at, error code]
  const cases: Array<[string, BankConnector, PaymentForBank, Date, PaymentErrorCode]> = [
    ['instant above the instant-only bank’s limit', SANDBOX_INSTANT_BANK, payment(instruction(INSTANT, undefined, 100001n)), THURSDAY, PaymentErrorCode.invalidAmount],
    ['first open day at the instant-only bank', SANDBOX_INSTANT_BANK, payment(instruction(FIRST_OPEN_DAY)), THURSDAY, PaymentErrorCode.invalidDate],
    ['below the acceptance bank’s minimum', SANDBOX_ACCEPTANCE_BANK, payment(instruction(FIRST_OPEN_DAY, undefined, 99n)), THURSDAY, PaymentErrorCode.invalidAmount],
    ['deferred to a closed day at a bank that refuses them', SANDBOX_ACCEPTANCE_BANK, payment(instruction(DEFERRED, '2024-04-06')), THURSDAY, PaymentErrorCode.invalidDate],
    ['a bulk at a bank without bulk', SANDBOX_ACCEPTANCE_BANK, payment(instruction(FIRST_OPEN_DAY), instruction(FIRST_OPEN_DAY)), THURSDAY, PaymentErrorCode.invalidValue],
    [
      "the payer's account at a bank that does not take it",
      SANDBOX_ACCEPTANCE_BANK,
      { payer: { schemeName: AccountSchemeName.IBAN }, instructions: [instruction(FIRST_OPEN_DAY)] },
      THURSDAY,
      PaymentErrorCode.invalidEmitter,
    ],
    [
      'a UK beneficiary',
      SANDBOX_BANK,
      payment({ ...instruction(FIRST_OPEN_DAY), beneficiary: { schemeName: AccountSchemeName.SORT_CODE_ACCOUNT_NUMBER } }),
      THURSDAY,
      PaymentErrorCode.invalidBeneficiary,
    ],
    ['a currency the bank does not send', SANDBOX_BANK, payment({ ...instruction(FIRST_OPEN_DAY), assetCode: 'USD' }), THURSDAY, PaymentErrorCode.invalidCurrency],
    ['a deferred date reached before confirmation', SANDBOX_BANK, payment(instruction(DEFERRED, '2024-03-28')), THURSDAY, PaymentErrorCode.invalidDate],
  ];
  for (const [what, connector, given, now, errorCode] of cases) {
    it(`${what}: ${errorCode}`, () => {
      const decision = decide('jane', { connector, payment: given, now });
      assert.equal(decision.kind, 'rejected');
      assert.equal(decision.kind === 'rejected' && decision.errorCode, errorCode);
      assert.ok(decision.kind === 'rejected' && decision.bankMessage, 'with a message from the bank');
    });
  }

  it('says a deferred date has passed even at a bank without a minimum delta', () => {
    const lax: BankConnector = { ...SANDBOX_BANK, paymentSettings: { ...SANDBOX_BANK.paymentSettings, minimumDateDeltaDays: null } };
    assert.deepEqual(decide('jane', { connector: lax, payment: payment(instruction(DEFERRED, '2024-03-28')) }), {
      kind: 'rejected',
      errorCode: PaymentErrorCode.invalidDate,
      bankMessage: 'The execution date has passed.',
    });
  });

  it('authenticates before anything else', () => {
    assert.equal((decide('jane', { connector: SANDBOX_INSTANT_BANK, password: 'nope' }) as { errorCode: string }).errorCode, PaymentErrorCode.authenticationFailed);
  });
});

describe('SandboxBank as a BankGateway', () => {
  const bank = new SandboxBank();
  const fields = (login: string, password = SANDBOX_PASSWORD) => ({ login, password });
  const pendingRef = (answer: BankAnswer): BankPaymentRef => {
    assert.equal(answer.kind, 'pending');
    return (answer as Extract<BankAnswer, { kind: 'pending' }>).ref;
  };

  it('lists its connectors', async () => {
    assert.deepEqual(await bank.listConnectors(), SANDBOX_CONNECTORS);
  });

  it('a first-open-day payment confirmed before Easter stays pending through the four closed days, then is done', async () => {
    const clock = new ManualClock(THURSDAY);
    const answer = await bank.confirm({ idempotencyKey: randomUUID(), payment: payment(instruction(FIRST_OPEN_DAY)), connector: SANDBOX_BANK, fields: fields('jane'), now: clock.now() });
    assert.equal(answer.kind, 'pending');
    const ref = pendingRef(answer);
    assert.match(ref.bankPaymentId, /^sbx-/);
    assert.deepEqual((answer as { checkAgainAt: Date }).checkAgainAt, new Date('2024-04-02T00:00:00Z'));
    // the flow stores the ref as JSON and hands it back
    const stored: BankPaymentRef = JSON.parse(JSON.stringify(ref));
    for (const instant of ['2024-03-29T09:00:00Z', '2024-03-30T09:00:00Z', '2024-03-31T09:00:00Z', '2024-04-01T23:59:59.999Z']) {
      clock.set(new Date(instant));
      assert.deepEqual(await bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref: stored, now: clock.now() }), {
        kind: 'pending',
        ref: stored,
        checkAgainAt: new Date('2024-04-02T00:00:00Z'),
      }, instant);
    }
    clock.set(new Date('2024-04-02T00:00:00Z'));
    assert.deepEqual(await bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref: stored, now: clock.now() }), { kind: 'done' });
    clock.advance(86_400_000);
    assert.deepEqual(await bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref: stored, now: clock.now() }), { kind: 'done' }, 'repeatable');
  });

  it('an instant payment is done 2 s after confirmation, even on a Saturday', async () => {
    const now = new Date('2024-06-08T12:00:00Z');
    const ref = pendingRef(await bank.confirm({ idempotencyKey: randomUUID(), payment: payment(instruction(INSTANT)), connector: SANDBOX_INSTANT_BANK, fields: fields('jane'), now }));
    assert.equal((await bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_INSTANT_BANK, ref, now: new Date('2024-06-08T12:00:01.999Z') })).kind, 'pending');
    assert.deepEqual(await bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_INSTANT_BANK, ref, now: new Date('2024-06-08T12:00:02Z') }), { kind: 'done' });
  });

  it('a first-open-day payment at the acceptance bank is accepted within seconds', async () => {
    const ref = pendingRef(await bank.confirm({ idempotencyKey: randomUUID(), payment: payment(instruction(FIRST_OPEN_DAY)), connector: SANDBOX_ACCEPTANCE_BANK, fields: fields('jane'), now: THURSDAY }));
    assert.deepEqual(await bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_ACCEPTANCE_BANK, ref, now: new Date('2024-03-28T10:00:02Z') }), { kind: 'accepted' });
  });

  it('a deferred payment is done on its date', async () => {
    const ref = pendingRef(await bank.confirm({ idempotencyKey: randomUUID(), payment: payment(instruction(DEFERRED, '2024-04-03')), connector: SANDBOX_BANK, fields: fields('jane'), now: THURSDAY }));
    assert.equal((await bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref, now: new Date('2024-04-02T23:59:59Z') })).kind, 'pending');
    assert.deepEqual(await bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref, now: new Date('2024-04-03T00:00:00Z') }), { kind: 'done' });
  });

  it('rejects at confirmation with the rule’s code and message', async () => {
    assert.deepEqual(await bank.confirm({ idempotencyKey: randomUUID(), payment: payment(instruction(FIRST_OPEN_DAY)), connector: SANDBOX_BANK, fields: fields('refuse'), now: THURSDAY }), {
      kind: 'rejected',
      errorCode: PaymentErrorCode.bankMessage,
      bankMessage: 'Payment refused by your adviser (sandbox).',
    });
    assert.deepEqual(await bank.confirm({ idempotencyKey: randomUUID(), payment: payment(instruction(FIRST_OPEN_DAY)), connector: SANDBOX_BANK, fields: fields('jane', 'guess'), now: THURSDAY }), {
      kind: 'rejected',
      errorCode: PaymentErrorCode.authenticationFailed,
      bankMessage: 'Invalid login or password.',
    });
    assert.deepEqual(await bank.confirm({ idempotencyKey: randomUUID(), payment: payment(instruction(FIRST_OPEN_DAY)), connector: SANDBOX_BANK, fields: {}, now: THURSDAY }), {
      kind: 'rejected',
      errorCode: PaymentErrorCode.authenticationFailed,
      bankMessage: 'Invalid login or password.',
    });
  });

  it('late-insufficient: pending, then rejected on the execution day', async () => {
    const ref = pendingRef(await bank.confirm({ idempotencyKey: randomUUID(), payment: payment(instruction(FIRST_OPEN_DAY)), connector: SANDBOX_BANK, fields: fields('late-insufficient'), now: THURSDAY }));
    const stored: BankPaymentRef = JSON.parse(JSON.stringify(ref));
    assert.equal((await bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref: stored, now: new Date('2024-04-01T12:00:00Z') })).kind, 'pending');
    assert.deepEqual(await bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref: stored, now: new Date('2024-04-02T00:00:00Z') }), {
      kind: 'rejected',
      errorCode: PaymentErrorCode.insufficientFunds,
      bankMessage: null,
    });
  });

  it('silent: pending for ever, looked at again daily', async () => {
    const answer = await bank.confirm({ idempotencyKey: randomUUID(), payment: payment(instruction(INSTANT)), connector: SANDBOX_BANK, fields: fields('silent'), now: THURSDAY });
    const ref = pendingRef(answer);
    assert.deepEqual((answer as { checkAgainAt: Date }).checkAgainAt, new Date(THURSDAY.getTime() + SANDBOX_RECHECK_MS));
    const later = new Date('2024-05-28T10:00:00Z');
    assert.deepEqual(await bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref, now: later }), { kind: 'pending', ref, checkAgainAt: new Date(later.getTime() + SANDBOX_RECHECK_MS) });
  });

  it('refuses a ref it did not write', async () => {
    const broken = { bankPaymentId: 'sbx-1', memo: { outcome: 'done' } };
    await assert.rejects(bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref: broken, now: THURSDAY }), /no settlement time/);
    await assert.rejects(bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref: { bankPaymentId: 'sbx-2', memo: { outcome: 'maybe', settlesAt: THURSDAY.toISOString() } }, now: THURSDAY }), /unknown outcome/);
    await assert.rejects(bank.poll({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref: { bankPaymentId: 'sbx-3', memo: { outcome: 'rejected', settlesAt: THURSDAY.toISOString(), errorCode: 'nope' } }, now: THURSDAY }), /no error code/);
  });

  it('honours idempotency keys: the same key is the same bank payment and answer, whatever the fields; another key is another payment', async () => {
    const own = new SandboxBank();
    const confirm = (key: string, login: string, password = SANDBOX_PASSWORD) =>
      own.confirm({ idempotencyKey: key, payment: payment(instruction(FIRST_OPEN_DAY)), connector: SANDBOX_BANK, fields: fields(login, password), now: THURSDAY });
    const [first, concurrent] = await Promise.all([confirm('k-1', 'jane'), confirm('k-1', 'jane')]);
    // A reconciliation sends no credentials: the key alone finds the first answer.
    const replay = await confirm('k-1', '', '');
    assert.equal(pendingRef(first).bankPaymentId, pendingRef(concurrent).bankPaymentId);
    assert.deepEqual(replay, first);
    assert.equal(own.paymentsCreated, 1);
    assert.notEqual(pendingRef(await confirm('k-2', 'jane')).bankPaymentId, pendingRef(first).bankPaymentId);
    assert.equal(own.paymentsCreated, 2);
    // A refusal creates no bank payment, and a key whose first call was refused stays refused.
    assert.equal((await confirm('k-3', 'insufficient')).kind, 'rejected');
    assert.equal((await confirm('k-3', 'jane')).kind, 'rejected');
    assert.equal(own.paymentsCreated, 2);
    await assert.rejects(confirm('', 'jane'), /idempotency key/);
  });

  describe('cancel', () => {
    it('cancels a payment not yet executed at a bank that allows it', async () => {
      const ref = pendingRef(await bank.confirm({ idempotencyKey: randomUUID(), payment: payment(instruction(DEFERRED, '2024-04-03')), connector: SANDBOX_BANK, fields: fields('jane'), now: THURSDAY }));
      assert.deepEqual(await bank.cancel({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref, now: new Date('2024-04-02T12:00:00Z') }), { cancelled: true });
    });

    it('refuses once the payment is executed', async () => {
      const ref = pendingRef(await bank.confirm({ idempotencyKey: randomUUID(), payment: payment(instruction(DEFERRED, '2024-04-03')), connector: SANDBOX_BANK, fields: fields('jane'), now: THURSDAY }));
      assert.deepEqual(await bank.cancel({ idempotencyKey: randomUUID(), connector: SANDBOX_BANK, ref, now: new Date('2024-04-03T00:00:00Z') }), {
        cancelled: false,
        reason: 'The payment was already executed or refused.',
      });
    });

    it('refuses at a bank without cancellation', async () => {
      const ref = pendingRef(await bank.confirm({ idempotencyKey: randomUUID(), payment: payment(instruction(DEFERRED, '2024-04-03')), connector: SANDBOX_ACCEPTANCE_BANK, fields: fields('jane'), now: THURSDAY }));
      assert.deepEqual(await bank.cancel({ idempotencyKey: randomUUID(), connector: SANDBOX_ACCEPTANCE_BANK, ref, now: THURSDAY }), {
        cancelled: false,
        reason: 'Sandbox Acceptance Bank does not cancel confirmed payments.',
      });
    });
  });
});
