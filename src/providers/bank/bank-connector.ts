import { AccountSchemeName, ExecutionDateType } from '../../flows/initiation/initiation-validation';
import type { PaymentErrorCode } from '../../flows/initiation/initiation.states';
import { isTarget2OpenDay, utcDaysBetween } from '../../flows/initiation/target2-calendar';
import { formatAmount } from '../../money/money';

/*
 * Bank rails for payment initiation. A connector is a bank as data (Powens' connector with its
 * `payment_settings`, reference 001 §1.9): what it can execute. A gateway is the code that talks to
 * banks (the sandbox, or a client of a real aggregator); the flow service calls it and schedules
 * what it answers. The vocabulary (date types, schemes, error codes, calendar) is the initiation
 * flow's pure modules; nothing here touches the database or HTTP.
 */

// ---------------------------------------------------------------------------------------------
// Connectors: banks as data

/** Whether the client must, may or must not name the payer's account. */
export type ProvidingPayerAccount = 'not_used' | 'optional' | 'mandatory';

/** Amount limits per execution date type and currency, in minor units; absent means no limit. */
export type AmountLimits = Partial<Record<ExecutionDateType, Readonly<Record<string, bigint>>>>;

export interface PaymentSettings {
  /** How the payer validates at the bank; Powens knows only `webauth`. */
  availableValidateMechanisms: readonly string[];
  executionDateTypes: readonly ExecutionDateType[];
  beneficiaryTypes: readonly AccountSchemeName[];
  /** ISO 4217 codes the bank sends. Not a Powens setting (it reports `nspCurrency`); [DESIGN]. */
  currencies: readonly string[];
  /** 1 = no bulk. */
  maximumNumberOfInstructions: number;
  providingPayerAccount: ProvidingPayerAccount;
  /**
   * Date types for which the bank only tells that it accepted the payment, never that it executed
   * it: payments of these types end in `accepted`. Empty: every payment ends in `done` or `rejected`.
   */
  partialStatusTracking: readonly ExecutionDateType[];
  /** Date types for which the beneficiary must already be trusted at the payer's bank (a warning). */
  transferDateTypesWhereTrustedBeneficiaryRequired: readonly ExecutionDateType[];
  /** Whether a confirmed payment can still be cancelled before it is executed. */
  cancellationAvailable: boolean;
  minimumAmount: AmountLimits;
  maximumAmount: AmountLimits;
  /** Deferred payments: fewest and most UTC days from today to the execution date; null, no bound. */
  minimumDateDeltaDays: number | null;
  maximumDateDeltaDays: number | null;
  /**
   * What the bank does with a deferred execution date on which TARGET2 is closed: execute on the
   * next open day, or refuse it (`nspExecDate`). Not a Powens setting; [DESIGN].
   */
  closedDayExecution: 'next_open_day' | 'refused';
}

export interface BankConnector {
  /** Stable identifier (Powens `connector_uuid`). */
  uuid: string;
  name: string;
  /** ISO 3166-1 alpha-2 country of the bank. */
  country: string;
  paymentSettings: PaymentSettings;
}

// ---------------------------------------------------------------------------------------------
// Incompatibilities: which banks can execute a payment

/** Powens' incompatibility codes (§1.5). */
export enum IncompatibilityCode {
  maxAmount = 'maxAmount',
  minAmount = 'minAmount',
  maxBulk = 'maxBulk',
  maxDateDelta = 'maxDateDelta',
  minDateDelta = 'minDateDelta',
  nspDateType = 'nspDateType',
  nspFrequency = 'nspFrequency',
  nspBulk = 'nspBulk',
  nspBenefScheme = 'nspBenefScheme',
  nspPayer = 'nspPayer',
  nspExecDate = 'nspExecDate',
  nspCurrency = 'nspCurrency',
  trustBenef = 'trustBenef',
}

export interface Incompatibility {
  code: IncompatibilityCode;
  /** `incompatible`: the bank cannot execute the payment; `warning`: it may, with a caveat. */
  type: 'incompatible' | 'warning';
  /** Index of the instruction at fault; null when the payment as a whole is. */
  instruction: number | null;
  description: string;
  /** The connector's setting and the payment's value, as text (amounts as "4000.00 EUR"). */
  valueConnector: string | null;
  valuePayment: string | null;
}

/** What a bank needs to know of a payment; a validated initiation is one. */
export interface InstructionForBank {
  amount: bigint;
  assetCode: string;
  assetScale: number;
  executionDateType: ExecutionDateType;
  /** Midnight UTC of the execution date; deferred only. */
  executionDate: Date | null;
  beneficiary: { schemeName: AccountSchemeName };
}

export interface PaymentForBank {
  payer: { schemeName: AccountSchemeName } | null;
  instructions: readonly InstructionForBank[];
}

const money = (amount: bigint, instruction: InstructionForBank) =>
  `${formatAmount(amount, instruction.assetScale)} ${instruction.assetCode}`;
const isoDate = (date: Date) => date.toISOString().slice(0, 10);

/**
 * Everything that keeps `connector` from executing `payment` as it stands at `now`, in Powens'
 * terms: payment-level reasons first, then each instruction's in order. An empty list, or only
 * warnings, means the bank can execute it.
 */
export function paymentIncompatibilities(payment: PaymentForBank, connector: BankConnector, now: Date): Incompatibility[] {
  const settings = connector.paymentSettings;
  const found: Incompatibility[] = [];
  const add = (
    code: IncompatibilityCode,
    instruction: number | null,
    description: string,
    valueConnector: string | null,
    valuePayment: string | null,
    type: Incompatibility['type'] = 'incompatible',
  ) => found.push({ code, type, instruction, description, valueConnector, valuePayment });

  const count = payment.instructions.length;
  if (count > settings.maximumNumberOfInstructions) {
    if (settings.maximumNumberOfInstructions <= 1) {
      add(IncompatibilityCode.nspBulk, null, 'The bank does not execute bulk payments.', '1', String(count));
    } else {
      add(
        IncompatibilityCode.maxBulk,
        null,
        `The bank executes at most ${settings.maximumNumberOfInstructions} instructions in a bulk payment.`,
        String(settings.maximumNumberOfInstructions),
        String(count),
      );
    }
  }
  if (payment.payer && settings.providingPayerAccount === 'not_used') {
    add(IncompatibilityCode.nspPayer, null, "The bank does not take the payer's account from the client.", 'not_used', payment.payer.schemeName);
  }
  if (!payment.payer && settings.providingPayerAccount === 'mandatory') {
    add(IncompatibilityCode.nspPayer, null, "The bank needs the payer's account from the client.", 'mandatory', null);
  }

  payment.instructions.forEach((instruction, index) => {
    const type = instruction.executionDateType;
    if (!settings.executionDateTypes.includes(type)) {
      add(IncompatibilityCode.nspDateType, index, `The bank does not execute ${type} payments.`, settings.executionDateTypes.join(','), type);
    }
    if (!settings.currencies.includes(instruction.assetCode)) {
      add(IncompatibilityCode.nspCurrency, index, `The bank does not send ${instruction.assetCode}.`, settings.currencies.join(','), instruction.assetCode);
    }
    const scheme = instruction.beneficiary.schemeName;
    if (!settings.beneficiaryTypes.includes(scheme)) {
      add(IncompatibilityCode.nspBenefScheme, index, `The bank does not pay to ${scheme} accounts.`, settings.beneficiaryTypes.join(','), scheme);
    }
    const minimum = settings.minimumAmount[type]?.[instruction.assetCode];
    if (minimum !== undefined && instruction.amount < minimum) {
      add(
        IncompatibilityCode.minAmount,
        index,
        `The bank's smallest ${type} payment is ${money(minimum, instruction)}.`,
        money(minimum, instruction),
        money(instruction.amount, instruction),
      );
    }
    const maximum = settings.maximumAmount[type]?.[instruction.assetCode];
    if (maximum !== undefined && instruction.amount > maximum) {
      add(
        IncompatibilityCode.maxAmount,
        index,
        `The bank's largest ${type} payment is ${money(maximum, instruction)}.`,
        money(maximum, instruction),
        money(instruction.amount, instruction),
      );
    }
    if (type === ExecutionDateType.DEFERRED && instruction.executionDate) {
      const delta = utcDaysBetween(now, instruction.executionDate);
      if (settings.minimumDateDeltaDays !== null && delta < settings.minimumDateDeltaDays) {
        add(
          IncompatibilityCode.minDateDelta,
          index,
          `The bank needs the execution date at least ${settings.minimumDateDeltaDays} day(s) ahead.`,
          String(settings.minimumDateDeltaDays),
          String(delta),
        );
      }
      if (settings.maximumDateDeltaDays !== null && delta > settings.maximumDateDeltaDays) {
        add(
          IncompatibilityCode.maxDateDelta,
          index,
          `The bank takes execution dates at most ${settings.maximumDateDeltaDays} day(s) ahead.`,
          String(settings.maximumDateDeltaDays),
          String(delta),
        );
      }
      if (settings.closedDayExecution === 'refused' && !isTarget2OpenDay(instruction.executionDate)) {
        add(
          IncompatibilityCode.nspExecDate,
          index,
          'The bank does not execute payments on a day TARGET2 is closed.',
          'TARGET2 open days',
          isoDate(instruction.executionDate),
        );
      }
    }
    if (settings.transferDateTypesWhereTrustedBeneficiaryRequired.includes(type)) {
      add(
        IncompatibilityCode.trustBenef,
        index,
        `For ${type} payments the beneficiary must already be trusted at the payer's bank.`,
        settings.transferDateTypesWhereTrustedBeneficiaryRequired.join(','),
        type,
        'warning',
      );
    }
  });
  return found;
}

/** True when nothing but warnings keeps the connector from executing the payment. */
export function canExecute(payment: PaymentForBank, connector: BankConnector, now: Date): boolean {
  return paymentIncompatibilities(payment, connector, now).every((reason) => reason.type === 'warning');
}

/** The connectors that can execute the payment, in the order given: what the webview offers the payer. */
export function compatibleConnectors(payment: PaymentForBank, connectors: readonly BankConnector[], now: Date): BankConnector[] {
  return connectors.filter((connector) => canExecute(payment, connector, now));
}

// ---------------------------------------------------------------------------------------------
// Gateways: the code that talks to banks

/**
 * What the gateway needs to find the payment at the bank again: the bank's id and whatever else it
 * chose to keep. Plain strings, so the flow stores it as JSON and hands it back on every call.
 */
export interface BankPaymentRef {
  bankPaymentId: string;
  memo: Readonly<Record<string, string>>;
}

/** What the bank said, and for a payment still in flight, when to ask again. */
export type BankAnswer =
  | { kind: 'rejected'; errorCode: PaymentErrorCode; bankMessage: string | null }
  /** Executed and confirmed: `done`. */
  | { kind: 'done' }
  /** Accepted, with no further update to come: `accepted`. */
  | { kind: 'accepted' }
  /** Confirmed, not final yet: keep `ref` and poll at `checkAgainAt`. */
  | { kind: 'pending'; ref: BankPaymentRef; checkAgainAt: Date };

export type CancelAnswer = { cancelled: true } | { cancelled: false; reason: string };

/** A stored answer read back: JSON keeps `checkAgainAt` as a string. */
export function readBankAnswer(stored: unknown): BankAnswer {
  const answer = stored as BankAnswer;
  return answer.kind === 'pending' ? { ...answer, checkAgainAt: new Date(answer.checkAgainAt) } : answer;
}

/**
 * Every request carries an idempotency key, as a real bank (or aggregator) takes one: the same key
 * is the same request, so a retry after a lost answer gets the first answer, and never makes the
 * bank act twice (one bank payment per confirmation).
 */
interface KeyedRequest {
  idempotencyKey: string;
}

export interface ConfirmRequest extends KeyedRequest {
  payment: PaymentForBank;
  connector: BankConnector;
  /**
   * What the payer entered at the bank's authentication and confirmation step (Powens' `fields`):
   * for the sandbox, `login` and `password`. A redirect-based bank would leave it empty.
   */
  fields: Readonly<Record<string, string>>;
  now: Date;
}

export interface PollRequest extends KeyedRequest {
  connector: BankConnector;
  ref: BankPaymentRef;
  now: Date;
}

export type CancelRequest = PollRequest;

/**
 * What a bank connector implementation provides. Calls return what the bank said; none of them
 * waits for execution. The flow records the answer, moves the payment through its state machine
 * and schedules the next `poll` at `checkAgainAt`. Expected refusals come back as answers; only
 * bugs and transport failures throw. Calls are made through the provider-call helper
 * (src/providers/provider-call.ts): recorded with their key first, then sent, then applied.
 */
export interface BankGateway {
  /** The banks reachable through this gateway. */
  listConnectors(): Promise<readonly BankConnector[]>;
  /**
   * The payer authenticated and confirmed the payment at the bank: has the bank taken it? A key seen
   * before answers as the first time did, whatever the fields (a reconciliation sends none).
   */
  confirm(request: ConfirmRequest): Promise<BankAnswer>;
  /** Where a payment in flight stands now. */
  poll(request: PollRequest): Promise<BankAnswer>;
  /** Asks the bank to cancel a confirmed payment before it is executed. */
  cancel(request: CancelRequest): Promise<CancelAnswer>;
}
