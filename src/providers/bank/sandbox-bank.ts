import { randomUUID } from 'node:crypto';
import { AccountSchemeName, ExecutionDateType } from '../../flows/initiation/initiation-validation';
import { PaymentErrorCode } from '../../flows/initiation/initiation.states';
import { firstOpenDayAfter, firstOpenDayOnOrAfter, utcDaysBetween } from '../../flows/initiation/target2-calendar';
import {
  IncompatibilityCode,
  paymentIncompatibilities,
  type BankAnswer,
  type BankConnector,
  type BankGateway,
  type BankPaymentRef,
  type CancelAnswer,
  type CancelRequest,
  type ConfirmRequest,
  type PaymentForBank,
  type PollRequest,
} from './bank-connector';

/*
 * The sandbox bank: behaves like a bank reached through Powens, from rules on data, without a clock
 * of its own (every call takes `now`). What it must remember of a payment travels in the payment's
 * `BankPaymentRef`; the one thing it keeps itself, like a real bank, is the answer given to each
 * idempotency key (in memory), so the same key is the same bank payment and the same answer.
 *
 * Authentication: any login with the password `sandbox`; anything else fails (authenticationFailed).
 * Outcome, decided by the login (case and blanks ignored): see SANDBOX_LOGINS; any other login succeeds.
 * Timing, once confirmed:
 *   instant         executed 2 s after confirmation;
 *   first_open_day  executed at the start (00:00 UTC) of the first TARGET2 open day after the day of
 *                   confirmation, never that day;
 *   deferred        executed at 00:00 UTC on the execution date, or on the next open day when TARGET2
 *                   is closed that day and the connector rolls forward (`closedDayExecution`).
 *   A bulk is final when its last instruction is executed.
 * Final state: `done`; but when the connector's `partial_status_tracking` holds a date type of the
 * payment, the bank only tells that it accepted the payment, 2 s after confirmation, and never
 * what became of it: `accepted`, even if execution later fails (login `late-insufficient`).
 */

/** The one password the sandbox bank accepts. */
export const SANDBOX_PASSWORD = 'sandbox';
/** How long an instant payment takes to be executed, and any bank to run its acceptance checks. */
export const SANDBOX_INSTANT_DELAY_MS = 2_000;
/** How often to look again at a payment the bank never answers for. */
export const SANDBOX_RECHECK_MS = 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Connectors

const EUR = 'EUR';
const euros = (whole: number) => BigInt(whole) * 100n;

/** A French bank with full tracking of every date type: payments end `done` or `rejected`. */
export const SANDBOX_BANK: BankConnector = {
  uuid: '5a9d8c61-3f2e-4b7a-9c1d-000000000001',
  name: 'Sandbox Bank',
  country: 'FR',
  paymentSettings: {
    availableValidateMechanisms: ['webauth'],
    executionDateTypes: [ExecutionDateType.INSTANT, ExecutionDateType.FIRST_OPEN_DAY, ExecutionDateType.DEFERRED],
    beneficiaryTypes: [AccountSchemeName.IBAN],
    currencies: [EUR],
    maximumNumberOfInstructions: 20,
    providingPayerAccount: 'optional',
    partialStatusTracking: [],
    transferDateTypesWhereTrustedBeneficiaryRequired: [],
    cancellationAvailable: true,
    minimumAmount: {},
    maximumAmount: {
      instant: { [EUR]: euros(15_000) },
      first_open_day: { [EUR]: euros(100_000) },
      deferred: { [EUR]: euros(100_000) },
    },
    minimumDateDeltaDays: 1,
    maximumDateDeltaDays: 365,
    closedDayExecution: 'next_open_day',
  },
};

/**
 * A bank that tracks first-open-day payments only up to acceptance (Powens' example setting
 * `partial_status_tracking: ["first_open_day"]`): those end `accepted`. No instant, no bulk.
 */
export const SANDBOX_ACCEPTANCE_BANK: BankConnector = {
  uuid: '5a9d8c61-3f2e-4b7a-9c1d-000000000002',
  name: 'Sandbox Acceptance Bank',
  country: 'FR',
  paymentSettings: {
    availableValidateMechanisms: ['webauth'],
    executionDateTypes: [ExecutionDateType.FIRST_OPEN_DAY, ExecutionDateType.DEFERRED],
    beneficiaryTypes: [AccountSchemeName.IBAN],
    currencies: [EUR],
    maximumNumberOfInstructions: 1,
    providingPayerAccount: 'not_used',
    partialStatusTracking: [ExecutionDateType.FIRST_OPEN_DAY],
    transferDateTypesWhereTrustedBeneficiaryRequired: [ExecutionDateType.DEFERRED],
    cancellationAvailable: false,
    minimumAmount: { first_open_day: { [EUR]: euros(1) }, deferred: { [EUR]: euros(1) } },
    maximumAmount: { first_open_day: { [EUR]: euros(4_000) }, deferred: { [EUR]: euros(4_000) } },
    minimumDateDeltaDays: 2,
    maximumDateDeltaDays: 90,
    closedDayExecution: 'refused',
  },
};

/** A bank that sends instant payments only, up to a lower limit (Powens' example: instant ≤ 1000). */
export const SANDBOX_INSTANT_BANK: BankConnector = {
  uuid: '5a9d8c61-3f2e-4b7a-9c1d-000000000003',
  name: 'Sandbox Instant Bank',
  country: 'FR',
  paymentSettings: {
    availableValidateMechanisms: ['webauth'],
    executionDateTypes: [ExecutionDateType.INSTANT],
    beneficiaryTypes: [AccountSchemeName.IBAN],
    currencies: [EUR],
    maximumNumberOfInstructions: 1,
    providingPayerAccount: 'optional',
    partialStatusTracking: [],
    transferDateTypesWhereTrustedBeneficiaryRequired: [],
    cancellationAvailable: false,
    minimumAmount: {},
    maximumAmount: { instant: { [EUR]: euros(1_000) } },
    minimumDateDeltaDays: null,
    maximumDateDeltaDays: null,
    closedDayExecution: 'refused',
  },
};

export const SANDBOX_CONNECTORS: readonly BankConnector[] = [SANDBOX_BANK, SANDBOX_ACCEPTANCE_BANK, SANDBOX_INSTANT_BANK];

// ---------------------------------------------------------------------------------------------
// Rules

/** How the sandbox bank treats a payment, chosen by the payer's login. */
export type SandboxBehaviour =
  /** Refused at confirmation. */
  | { kind: 'reject'; errorCode: PaymentErrorCode; bankMessage: string | null }
  /** Taken, then refused when it is due for execution (unless the bank only tracks acceptance). */
  | { kind: 'reject_on_execution'; errorCode: PaymentErrorCode; bankMessage: string | null }
  /** Taken, and never a final word: the flow expires the payment. */
  | { kind: 'no_answer' }
  | { kind: 'succeed' };

/** The sandbox's logins, as documented to merchants trying the flow. Any other login succeeds. */
export const SANDBOX_LOGINS: ReadonlyMap<string, { behaviour: SandboxBehaviour; description: string }> = new Map([
  [
    'insufficient',
    {
      behaviour: { kind: 'reject', errorCode: PaymentErrorCode.insufficientFunds, bankMessage: null },
      description: 'Rejected at confirmation: insufficientFunds.',
    },
  ],
  [
    'refuse',
    {
      behaviour: { kind: 'reject', errorCode: PaymentErrorCode.bankMessage, bankMessage: 'Payment refused by your adviser (sandbox).' },
      description: 'Rejected at confirmation: bankMessage, with a message from the bank.',
    },
  ],
  [
    'cancel',
    {
      behaviour: { kind: 'reject', errorCode: PaymentErrorCode.CancelledByUser, bankMessage: null },
      description: "The payer cancels on the bank's page: CancelledByUser.",
    },
  ],
  [
    'unavailable',
    {
      behaviour: { kind: 'reject', errorCode: PaymentErrorCode.websiteUnavailable, bankMessage: null },
      description: "The bank's website is down: websiteUnavailable.",
    },
  ],
  [
    'late-insufficient',
    {
      behaviour: { kind: 'reject_on_execution', errorCode: PaymentErrorCode.insufficientFunds, bankMessage: null },
      description: 'Taken, then rejected on the execution day: insufficientFunds; a bank that only tracks acceptance still says accepted.',
    },
  ],
  [
    'silent',
    {
      behaviour: { kind: 'no_answer' },
      description: 'Taken, and the bank never says more: the payment stays pending until it expires.',
    },
  ],
]);

/** What a bank refuses a payment for, when the flow let through one it cannot execute. */
export const REJECTION_FOR_INCOMPATIBILITY: Record<IncompatibilityCode, PaymentErrorCode> = {
  maxAmount: PaymentErrorCode.invalidAmount,
  minAmount: PaymentErrorCode.invalidAmount,
  maxBulk: PaymentErrorCode.invalidValue,
  nspBulk: PaymentErrorCode.invalidValue,
  maxDateDelta: PaymentErrorCode.invalidDate,
  minDateDelta: PaymentErrorCode.invalidDate,
  nspDateType: PaymentErrorCode.invalidDate,
  nspFrequency: PaymentErrorCode.invalidDate,
  nspExecDate: PaymentErrorCode.invalidDate,
  nspBenefScheme: PaymentErrorCode.invalidBeneficiary,
  nspPayer: PaymentErrorCode.invalidEmitter,
  nspCurrency: PaymentErrorCode.invalidCurrency,
  trustBenef: PaymentErrorCode.invalidBeneficiary,
};

// ---------------------------------------------------------------------------------------------
// The decision

/** How a payment the bank took ends. */
export type SandboxOutcome =
  | { state: 'done' }
  | { state: 'accepted' }
  | { state: 'rejected'; errorCode: PaymentErrorCode; bankMessage: string | null };

export type SandboxDecision =
  /** Refused now: the payment is rejected. */
  | { kind: 'rejected'; errorCode: PaymentErrorCode; bankMessage: string | null }
  /** Taken (the payment is pending); it reaches `outcome` at `settlesAt`. */
  | { kind: 'pending'; settlesAt: Date; outcome: SandboxOutcome }
  /** Taken, and no final word will ever come. */
  | { kind: 'unanswered' };

export interface SandboxConfirmation {
  payment: PaymentForBank;
  connector: BankConnector;
  login: string;
  password: string;
  now: Date;
}

/** When the bank executes one instruction confirmed at `now`. */
export function sandboxExecutionTime(
  instruction: { executionDateType: ExecutionDateType; executionDate: Date | null },
  now: Date,
): Date {
  switch (instruction.executionDateType) {
    case ExecutionDateType.INSTANT:
      return new Date(now.getTime() + SANDBOX_INSTANT_DELAY_MS);
    case ExecutionDateType.FIRST_OPEN_DAY:
      return firstOpenDayAfter(now);
    case ExecutionDateType.DEFERRED:
      if (!instruction.executionDate) throw new Error('A deferred instruction has no execution date');
      return firstOpenDayOnOrAfter(instruction.executionDate);
  }
}

/**
 * What the sandbox bank does with a payment the payer confirms at `now`, as a pure decision the
 * flow schedules. In order: authentication, the login's rule, what the connector cannot execute
 * (the bank refuses what the webview should not have offered it), a deferred date already reached,
 * then the timing and final state above.
 */
export function decideSandboxConfirmation(request: SandboxConfirmation): SandboxDecision {
  const { payment, connector, now } = request;
  const login = typeof request.login === 'string' ? request.login.trim().toLowerCase() : '';
  if (login === '' || request.password !== SANDBOX_PASSWORD) {
    return { kind: 'rejected', errorCode: PaymentErrorCode.authenticationFailed, bankMessage: 'Invalid login or password.' };
  }
  const behaviour = SANDBOX_LOGINS.get(login)?.behaviour ?? { kind: 'succeed' };
  if (behaviour.kind === 'reject') return { kind: 'rejected', errorCode: behaviour.errorCode, bankMessage: behaviour.bankMessage };

  const blocking = paymentIncompatibilities(payment, connector, now).find((reason) => reason.type === 'incompatible');
  if (blocking) return { kind: 'rejected', errorCode: REJECTION_FOR_INCOMPATIBILITY[blocking.code], bankMessage: blocking.description };
  for (const instruction of payment.instructions) {
    // A deferred payment validated days ago may reach its date before the payer confirms it.
    if (instruction.executionDateType === ExecutionDateType.DEFERRED && instruction.executionDate && utcDaysBetween(now, instruction.executionDate) < 1) {
      return { kind: 'rejected', errorCode: PaymentErrorCode.invalidDate, bankMessage: 'The execution date has passed.' };
    }
  }
  if (behaviour.kind === 'no_answer') return { kind: 'unanswered' };

  const tracksOnlyAcceptance = payment.instructions.some((instruction) =>
    connector.paymentSettings.partialStatusTracking.includes(instruction.executionDateType),
  );
  if (tracksOnlyAcceptance) {
    // The bank answers once its acceptance checks pass, and never again: a later failure stays unseen.
    return { kind: 'pending', settlesAt: new Date(now.getTime() + SANDBOX_INSTANT_DELAY_MS), outcome: { state: 'accepted' } };
  }
  const settlesAt = new Date(Math.max(...payment.instructions.map((instruction) => sandboxExecutionTime(instruction, now).getTime())));
  const outcome: SandboxOutcome =
    behaviour.kind === 'reject_on_execution'
      ? { state: 'rejected', errorCode: behaviour.errorCode, bankMessage: behaviour.bankMessage }
      : { state: 'done' };
  return { kind: 'pending', settlesAt, outcome };
}

// ---------------------------------------------------------------------------------------------
// What the sandbox keeps in a payment's BankPaymentRef, and reads back

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(PaymentErrorCode));

function toRef(decision: Exclude<SandboxDecision, { kind: 'rejected' }>): BankPaymentRef {
  const bankPaymentId = `sbx-${randomUUID()}`;
  if (decision.kind === 'unanswered') return { bankPaymentId, memo: { outcome: 'none' } };
  const { outcome } = decision;
  const memo: Record<string, string> = { settlesAt: decision.settlesAt.toISOString(), outcome: outcome.state };
  if (outcome.state === 'rejected') {
    memo.errorCode = outcome.errorCode;
    if (outcome.bankMessage !== null) memo.bankMessage = outcome.bankMessage;
  }
  return { bankPaymentId, memo };
}

/** Where a payment the sandbox took stands at `now`, from its ref alone. */
export function sandboxStatus(ref: BankPaymentRef, now: Date): BankAnswer {
  const { memo } = ref;
  if (memo.outcome === 'none') return { kind: 'pending', ref, checkAgainAt: new Date(now.getTime() + SANDBOX_RECHECK_MS) };
  const settlesAt = new Date(memo.settlesAt ?? '');
  if (Number.isNaN(settlesAt.getTime())) throw new Error(`Sandbox ref ${ref.bankPaymentId} has no settlement time`);
  if (now.getTime() < settlesAt.getTime()) return { kind: 'pending', ref, checkAgainAt: settlesAt };
  switch (memo.outcome) {
    case 'done':
      return { kind: 'done' };
    case 'accepted':
      return { kind: 'accepted' };
    case 'rejected':
      if (!ERROR_CODES.has(memo.errorCode ?? '')) throw new Error(`Sandbox ref ${ref.bankPaymentId} has no error code`);
      return { kind: 'rejected', errorCode: memo.errorCode as PaymentErrorCode, bankMessage: memo.bankMessage ?? null };
    default:
      throw new Error(`Sandbox ref ${ref.bankPaymentId} has an unknown outcome`);
  }
}

// ---------------------------------------------------------------------------------------------
// The gateway

/** The sandbox as a BankGateway: what the flow uses until a real bank connector replaces it. */
export class SandboxBank implements BankGateway {
  /** The first answer to each idempotency key, per operation. */
  private readonly answers = new Map<string, Promise<unknown>>();
  private created = 0;

  constructor(private readonly connectors: readonly BankConnector[] = SANDBOX_CONNECTORS) {}

  /** Bank payments taken so far (each confirmed payment the bank holds, rejected ones excluded). */
  get paymentsCreated(): number {
    return this.created;
  }

  async listConnectors(): Promise<readonly BankConnector[]> {
    return this.connectors;
  }

  confirm(request: ConfirmRequest): Promise<BankAnswer> {
    return this.once('confirm', request.idempotencyKey, async () => {
      const decision = decideSandboxConfirmation({
        payment: request.payment,
        connector: request.connector,
        login: request.fields.login ?? '',
        password: request.fields.password ?? '',
        now: request.now,
      });
      if (decision.kind === 'rejected') return decision;
      this.created += 1;
      return sandboxStatus(toRef(decision), request.now);
    });
  }

  poll(request: PollRequest): Promise<BankAnswer> {
    return this.once('poll', request.idempotencyKey, async () => sandboxStatus(request.ref, request.now));
  }

  /**
   * Cancels a payment not yet executed, on a connector that allows it. Once the flow records the
   * cancellation (rejected, CancelledByClient) it stops polling.
   */
  cancel(request: CancelRequest): Promise<CancelAnswer> {
    return this.once('cancel', request.idempotencyKey, async () => {
      if (!request.connector.paymentSettings.cancellationAvailable) {
        return { cancelled: false, reason: `${request.connector.name} does not cancel confirmed payments.` };
      }
      const status = sandboxStatus(request.ref, request.now);
      if (status.kind !== 'pending') return { cancelled: false, reason: 'The payment was already executed or refused.' };
      return { cancelled: true };
    });
  }

  /** The first answer to a key, even to a call that arrives while the first is still being answered. */
  private once<T>(operation: string, key: string, answer: () => Promise<T>): Promise<T> {
    if (typeof key !== 'string' || key === '') return Promise.reject(new Error('The bank needs an idempotency key'));
    const id = `${operation}\n${key}`;
    let found = this.answers.get(id) as Promise<T> | undefined;
    if (!found) {
      found = answer();
      this.answers.set(id, found);
      // A call that failed inside the bank did nothing: the key is free again.
      found.catch(() => this.answers.delete(id));
    }
    return found;
  }
}
