import { movePayment } from '../../payments/payment-state';
import { parseHttpUrl } from '../../shared/text';
import type { PublicUrl } from '../../config/public-url';
import { recordPaymentEvent } from '../../events/event-recorder';
import { MAX_AMOUNT, formatAmount } from '../../money/money';
import { Client } from '../../oauth/client.entity';
import { Scope } from '../../oauth/scopes';
import type { TokenService } from '../../oauth/token.service';
import type { Database, Tx } from '../../persistence/database';
import { can, principalOf, type Principal, type TokenPrincipal } from '../../access';
import { Payment, PaymentFlow } from '../../payments/payment.entity';
import { paymentFactsOf } from '../../payments/payment.service';
import {
  compatibleConnectors,
  paymentIncompatibilities,
  readBankAnswer,
  type BankAnswer,
  type BankConnector,
  type BankGateway,
  type BankPaymentRef,
  type CancelAnswer,
  type PaymentForBank,
} from '../../providers/bank/bank-connector';
import type { ProviderCalls, ProviderOperation } from '../../providers/provider-call';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { once, validateIdempotencyKey } from '../../shared/idempotency/idempotency';
import { InitiationDetails, type StoredInstruction } from './initiation.entity';
import {
  AccountSchemeName,
  ExecutionDateType,
  parseUtcDate,
  validateCreateInitiation,
  type ValidatedInitiation,
  type CreateInitiationInput,
  type Identity,
  type PaymentAccount,
} from './initiation-validation';
import {
  InitiationState,
  PAYMENT_ERROR_DESCRIPTIONS,
  PaymentErrorCode,
  UNIFIED_STATE,
  initiationMachine,
  readPaymentErrorCode,
} from './initiation.states';

/** Queues a signed webhook in the caller's transaction (the webhook outbox). */
export interface WebhookQueue {
  enqueue(
    tx: Tx,
    delivery: { clientId: string; url: string; eventType: string; paymentId: string; body: object; scheme: 'powens' },
  ): Promise<unknown>;
  /** Refuses an endpoint that deliveries may never go to (URL_NOT_ALLOWED on `field`). */
  assertEndpoint(url: URL, field: string): void;
}

/** Schedules timed work in the caller's transaction, and runs it. */
export interface JobQueue {
  schedule(tx: Tx, job: { kind: string; runAt: Date; payload: Record<string, unknown>; key?: string }): Promise<unknown>;
  register<P>(kind: string, handler: (payload: P, run: { id: string; key: string | null }) => Promise<void>): void;
}

export interface InitiationOptions {
  /** Days without a final status after which a payment expires (PAYMENT_EXPIRE_DAYS). */
  expireDays: number;
}

export const POLL_INITIATION_JOB = 'initiation.poll';
export const EXPIRE_INITIATION_JOB = 'initiation.expire';
export const STATE_UPDATED_WEBHOOK = 'PAYMENT_STATE_UPDATED';
/** Powens: a payment-scoped token lives 7 days. */
export const SCOPED_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
export const WEBVIEW_PATH = '/webview/payment';
/** The bank, as the provider-call records name it. */
export const BANK_PROVIDER = 'bank';

const DAY_MS = 24 * 3600 * 1000;

export interface CreateInitiationRequest extends CreateInitiationInput {
  /** Idempotency: the same key with the same input returns the same payment. */
  idempotencyKey: string;
}

export interface ScopedToken {
  token: string;
  scope: string;
  expiresIn: number;
  paymentId: string;
  validationUrl: string;
}

/** The webview's entry parameters (Powens' validation URL). */
export interface WebviewEntry {
  clientId: string | null;
  redirectUri: string | null;
  state: string | null;
  code: string | null;
  paymentId: string | null;
}

export interface Initiation {
  payment: Payment;
  details: InitiationDetails;
}

/** The payment as Powens shapes it (GET /payments/{id}), the body of PAYMENT_STATE_UPDATED. */
export type PowensPayment = Record<string, unknown>;

/** Where the payer returns, and what the callback tells the merchant. */
export interface Callback {
  error?: 'cancelled';
  errorCode?: string | null;
  bankMessage?: string | null;
  paymentState?: string | null;
}

function toBank(asset: { assetCode: string; assetScale: number }, details: InitiationDetails): PaymentForBank {
  return {
    payer: details.payer ? { schemeName: details.payer.schemeName } : null,
    instructions: details.instructions.map((i) => ({
      amount: BigInt(i.amount),
      assetCode: asset.assetCode,
      assetScale: asset.assetScale,
      executionDateType: i.executionDateType as ExecutionDateType,
      executionDate: i.executionDate ? parseUtcDate(i.executionDate) : null,
      beneficiary: { schemeName: i.beneficiary.schemeName as AccountSchemeName },
    })),
  };
}

function snakeIdentity(identity: Identity | null): Record<string, unknown> | null {
  if (!identity) return null;
  return Object.fromEntries(Object.entries(identity).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]));
}

function snakeAccount(account: PaymentAccount | null): Record<string, unknown> | null {
  return account && { scheme_name: account.schemeName, identification: account.identification, label: account.label, issuer: account.issuer };
}

/** `2022-09-29 08:05:30`, as Powens writes dates. */
function powensDate(date: Date | null): string | null {
  return date ? date.toISOString().slice(0, 19).replace('T', ' ') : null;
}

/**
 * Powens-style bank payment initiation (reference 001): a merchant creates a payment with its
 * instructions, gets a token bound to it and the validation URL; the payer chooses a bank in the
 * webview, authenticates at the (sandbox) bank and confirms; the bank's answers move the payment
 * created → validating → pending → done | accepted | rejected, or expired. No money moves inside
 * Paygrid: the bank executes it. Each change is recorded in the payment's history and sent to the
 * client's webhook URL as PAYMENT_STATE_UPDATED.
 */
export class InitiationService {
  /** The bank's calls, each recorded with its key before it is made (src/providers/provider-call.ts). */
  private readonly bankConfirm: ProviderOperation<BankAnswer, Readonly<Record<string, string>>>;
  private readonly bankPoll: ProviderOperation<BankAnswer>;
  private readonly bankCancel: ProviderOperation<CancelAnswer>;

  constructor(
    private readonly db: Database,
    private readonly gateway: BankGateway,
    private readonly providerCalls: ProviderCalls,
    private readonly webhooks: WebhookQueue,
    private readonly jobs: JobQueue,
    private readonly tokens: TokenService,
    private readonly publicUrl: PublicUrl,
    private readonly clock: Clock,
    private readonly options: InitiationOptions,
  ) {
    jobs.register<{ paymentId: string }>(POLL_INITIATION_JOB, ({ paymentId }, run) => this.poll(paymentId, run.key ?? run.id));
    jobs.register<{ paymentId: string }>(EXPIRE_INITIATION_JOB, ({ paymentId }) => this.expire(paymentId));
    // A bank call is awaited while the payment, locked, is in one state; its answer is applied to it.
    const waitingIn = (state: InitiationState) => async (tx: Tx, paymentId: string | null) => (await this.find(tx, paymentId!))?.payment.flowState === state;
    const applyTo = async (tx: Tx, paymentId: string | null, answer: BankAnswer) => {
      const { payment, details } = (await this.find(tx, paymentId!))!;
      await this.apply(tx, payment, details, answer);
    };
    const connectorOf = async (request: Record<string, unknown>) => {
      const connector = await this.connector(request.connectorUuid as string);
      if (!connector) throw new Error(`The bank ${String(request.connectorUuid)} is not reachable through this gateway`);
      return connector;
    };
    this.bankConfirm = providerCalls.define({
      provider: BANK_PROVIDER,
      operation: 'confirm',
      waits: waitingIn(InitiationState.VALIDATING),
      // The payer's credentials go with the payer's own try only; a reconciliation sends the key alone.
      call: async (idempotencyKey, request, fields) => {
        const found = (await this.get(null, request.paymentId as string))!;
        return this.gateway.confirm({ idempotencyKey, payment: this.forBank(found), connector: await connectorOf(request), fields: fields ?? {}, now: this.clock.now() });
      },
      apply: applyTo,
      readAnswer: readBankAnswer,
    });
    this.bankPoll = providerCalls.define({
      provider: BANK_PROVIDER,
      operation: 'poll',
      waits: waitingIn(InitiationState.PENDING),
      call: async (idempotencyKey, request) =>
        this.gateway.poll({ idempotencyKey, connector: await connectorOf(request), ref: request.ref as BankPaymentRef, now: this.clock.now() }),
      apply: applyTo,
      readAnswer: readBankAnswer,
    });
    this.bankCancel = providerCalls.define({
      provider: BANK_PROVIDER,
      operation: 'cancel',
      waits: waitingIn(InitiationState.PENDING),
      call: async (idempotencyKey, request) =>
        this.gateway.cancel({ idempotencyKey, connector: await connectorOf(request), ref: request.ref as BankPaymentRef, now: this.clock.now() }),
      // The bank's refusal changes nothing here: the payment goes on to its execution.
      apply: async (tx, paymentId, answer) => {
        if (!answer.cancelled) return;
        const { payment, details } = (await this.find(tx, paymentId!))!;
        await this.reject(tx, payment, details, PaymentErrorCode.CancelledByClient, null);
      },
      readAnswer: (stored) => stored as CancelAnswer,
    });
  }

  connectors(): Promise<readonly BankConnector[]> {
    return this.gateway.listConnectors();
  }

  // -------------------------------------------------------------------------------------------
  // The merchant

  async create(clientId: string, input: CreateInitiationRequest): Promise<{ paymentId: string }> {
    const now = this.clock.now();
    const { idempotencyKey, ...rest } = input;
    validateIdempotencyKey(idempotencyKey, 'idempotencyKey');
    const all = await this.gateway.listConnectors();

    // Runs once the key is known to be new: what depends on today (the banks' calendars) is
    // checked only for a first request, never for a retry.
    const work = async (tx: Tx, valid: ValidatedInitiation) => {
      const [first] = valid.instructions;
      let total = 0n;
      valid.instructions.forEach((instruction, index) => {
        if (instruction.assetCode !== first.assetCode) {
          throw new PaygridError(ErrorCode.ASSET_MISMATCH, `instructions.${index}.currency`, `Every instruction of a payment is in one currency (${first.assetCode}).`);
        }
        total += instruction.amount;
        if (total > MAX_AMOUNT) throw new PaygridError(ErrorCode.AMOUNT_TOO_LARGE, `instructions.${index}.amount`, 'The payment total is larger than Paygrid can hold.');
      });

      // The banks: the count of instructions within the bulk limit, and at least one bank able to execute it.
      const forBank: PaymentForBank = { payer: valid.payer, instructions: valid.instructions };
      let candidates: readonly BankConnector[] = all;
      if (valid.connectorUuid) {
        const chosen = all.find((c) => c.uuid === valid.connectorUuid);
        if (!chosen) throw new PaygridError(ErrorCode.CONNECTOR_UNKNOWN, 'connectorUuid');
        candidates = [chosen];
      }
      const bulkLimit = Math.max(...candidates.map((c) => c.paymentSettings.maximumNumberOfInstructions));
      if (valid.instructions.length > bulkLimit) {
        throw new PaygridError(
          ErrorCode.TOO_MANY_INSTRUCTIONS,
          'instructions',
          `${valid.connectorUuid ? 'The bank' : 'No bank'} executes more than ${bulkLimit} instruction(s) in one payment; this one has ${valid.instructions.length}.`,
        );
      }
      if (compatibleConnectors(forBank, candidates, now).length === 0) {
        const reasons = candidates.map((c) => `${c.name}: ${paymentIncompatibilities(forBank, c, now).find((r) => r.type === 'incompatible')?.description}`);
        throw new PaygridError(ErrorCode.NO_COMPATIBLE_BANK, valid.connectorUuid ? 'connectorUuid' : null, `No bank can execute this payment (${reasons.join(' ')}).`);
      }

      const instructions: StoredInstruction[] = valid.instructions.map((i) => ({
        referenceId: i.referenceId,
        amount: i.amount.toString(),
        label: i.label,
        executionDateType: i.executionDateType,
        executionDate: i.executionDate ? i.executionDate.toISOString().slice(0, 10) : null,
        beneficiary: i.beneficiary,
        beneficiaryIdentity: i.beneficiaryIdentity,
      }));
      // A deferred payment cannot have a final status before its date: count the days from then.
      const latest = Math.max(now.getTime(), ...valid.instructions.map((i) => i.executionDate?.getTime() ?? 0));
      const expiresAt = new Date(latest + this.options.expireDays * DAY_MS);

      const payment = tx.em.create(Payment, {
        id: newId('pay'),
        flow: PaymentFlow.INITIATION,
        state: UNIFIED_STATE.created,
        flowState: InitiationState.CREATED,
        clientId,
        requestId: null,
        payerAccountId: null,
        beneficiaryAccountId: null,
        assetCode: first.assetCode,
        assetScale: first.assetScale,
        amount: total,
        reference: first.label.slice(0, 140),
        lastSequence: 0,
        version: 1,
        createdAt: now,
        updatedAt: now,
      });
      tx.em.create(InitiationDetails, {
        paymentId: payment.id,
        clientRedirectUri: valid.clientRedirectUri,
        clientState: valid.clientState,
        instructions,
        payer: valid.payer,
        payerIdentity: valid.payerIdentity,
        operatorIdentity: valid.operatorIdentity,
        connectorUuid: valid.connectorUuid,
        bankRef: null,
        errorCode: null,
        errorDescription: null,
        bankMessage: null,
        validatedAt: null,
        expiresAt,
      });
      recordPaymentEvent(tx, payment, 'initiation.created', { instructions: instructions.length });
      await this.jobs.schedule(tx, { kind: EXPIRE_INITIATION_JOB, runAt: expiresAt, payload: { paymentId: payment.id }, key: `${payment.id}:${expiresAt.toISOString()}` });
      return { paymentId: payment.id };
    };

    return this.db.transaction(async (tx) => {
      const { result } = await once(
        tx,
        {
          scope: `${clientId}:idempotency`,
          key: idempotencyKey,
          keyField: 'idempotencyKey',
          operation: 'createInitiation',
          now,
          // Validated as of the first request's time: a deferred date that was tomorrow then is one request.
          request: (at: Date) => validateCreateInitiation(rest, at),
        },
        (valid: ValidatedInitiation) => work(tx, valid),
      );
      return { paymentId: String(result.paymentId) };
    });
  }

  /**
   * A token bound to one payment (scope payments:validate, 7 days) and the validation URL that
   * carries it to the webview with the redirect URI and state given at creation.
   */
  async issueScopedToken(principal: TokenPrincipal, paymentId: string): Promise<ScopedToken> {
    const { clientId } = principal;
    return this.db.transaction(async (tx) => {
      const found = await this.find(tx, paymentId);
      if (found && !can(principal, 'act', { kind: 'payment', payment: (await paymentFactsOf(tx.em, [found.payment])).get(paymentId)! })) throw new PaygridError(ErrorCode.NOT_FOUND, 'paymentId');
      if (!found) throw new PaygridError(ErrorCode.NOT_FOUND, 'paymentId');
      if (initiationMachine.isFinal(found.payment.flowState as InitiationState)) {
        throw new PaygridError(ErrorCode.PAYMENT_FINAL, 'paymentId', `The payment is ${found.payment.flowState}: there is nothing left to validate.`);
      }
      const token = this.tokens.issueAccessToken(tx, {
        clientId,
        userId: null,
        scopes: [Scope.PAYMENTS_VALIDATE],
        ttlSeconds: SCOPED_TOKEN_TTL_SECONDS,
        familyId: null,
        paymentId,
      });
      const url = new URL(this.publicUrl.to(WEBVIEW_PATH));
      url.searchParams.set('client_id', clientId);
      url.searchParams.set('redirect_uri', found.details.clientRedirectUri);
      if (found.details.clientState !== null) url.searchParams.set('state', found.details.clientState);
      url.searchParams.set('code', token);
      url.searchParams.set('payment_id', paymentId);
      return { token, scope: Scope.PAYMENTS_VALIDATE, expiresIn: SCOPED_TOKEN_TTL_SECONDS, paymentId, validationUrl: url.toString() };
    });
  }

  /** Where PAYMENT_STATE_UPDATED webhooks go; null stops them. */
  async setWebhookUrl(clientId: string, url: string | null): Promise<string | null> {
    let value: string | null = null;
    if (url != null && url.trim() !== '') {
      const parsed = parseHttpUrl(url.trim());
      // The stored form is measured: percent-encoding can make it longer than what was sent.
      if (!parsed || parsed.toString().length > 2048 || parsed.username || parsed.password) throw new PaygridError(ErrorCode.URL_INVALID, 'url');
      this.webhooks.assertEndpoint(parsed, 'url');
      value = parsed.toString();
    }
    return this.db.transaction(async (tx) => {
      const client = await tx.em.findOneOrFail(Client, { id: clientId });
      client.webhookUrl = value;
      return value;
    });
  }

  async webhookUrl(clientId: string): Promise<string | null> {
    return (await this.db.reader().findOne(Client, { id: clientId }, { fields: ['webhookUrl'] }))?.webhookUrl ?? null;
  }

  /** An initiation with its details when the principal may read it (anyone's when null: Paygrid itself), or null. */
  async get(principal: Principal | null, paymentId: string): Promise<Initiation | null> {
    const em = this.db.reader();
    const payment = await em.findOne(Payment, { id: paymentId, flow: PaymentFlow.INITIATION });
    if (!payment) return null;
    if (principal && !can(principal, 'read', { kind: 'payment', payment: (await paymentFactsOf(em, [payment])).get(paymentId)! })) return null;
    return { payment, details: await em.findOneOrFail(InitiationDetails, { paymentId }) };
  }

  /** Details of several initiations at once (one statement). */
  async details(paymentIds: readonly string[]): Promise<InitiationDetails[]> {
    return this.db.reader().find(InitiationDetails, { paymentId: { $in: [...paymentIds] } });
  }

  // -------------------------------------------------------------------------------------------
  // The payer, in the webview

  /**
   * Checks the webview's entry parameters: the code is a live payment-scoped token of this client
   * bound to this payment, and redirect_uri and state are the ones given at creation.
   */
  async openWebview(entry: WebviewEntry): Promise<Initiation> {
    if (!entry.code || !entry.paymentId || !entry.clientId) throw new PaygridError(ErrorCode.INVALID_INPUT, null, 'The link is incomplete.');
    const found = await this.authorizeWebview(entry.code, entry.paymentId);
    if (found.payment.clientId !== entry.clientId) throw new PaygridError(ErrorCode.INVALID_INPUT, 'client_id', 'The link does not belong to this application.');
    if (entry.redirectUri !== found.details.clientRedirectUri) {
      throw new PaygridError(ErrorCode.REDIRECT_URI_INVALID, 'redirect_uri', 'The redirect URI is not the one given when the payment was created.');
    }
    if ((entry.state || null) !== found.details.clientState) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'state', 'The state is not the one given when the payment was created.');
    }
    return found;
  }

  /** The payment a scoped token opens, or NOT_FOUND for any other token or payment. */
  async authorizeWebview(token: string, paymentId: string): Promise<Initiation> {
    const caller = await this.tokens.authenticate(token);
    const found = caller && (await this.get(null, paymentId));
    const facts = found && (await paymentFactsOf(this.db.reader(), [found.payment])).get(paymentId)!;
    if (!facts || !caller.scopes.has(Scope.PAYMENTS_VALIDATE) || !can(principalOf(caller), 'validate', { kind: 'payment', payment: facts })) {
      throw new PaygridError(ErrorCode.NOT_FOUND, 'code', 'This link expired or is not valid for this payment.');
    }
    return found;
  }

  /** The banks the webview offers: those that can execute the payment now. */
  async banksFor(initiation: Initiation): Promise<BankConnector[]> {
    const all = await this.gateway.listConnectors();
    const preselected = initiation.details.connectorUuid;
    const candidates = preselected ? all.filter((c) => c.uuid === preselected) : all;
    return compatibleConnectors(this.forBank(initiation), candidates, this.clock.now());
  }

  async connector(uuid: string | null): Promise<BankConnector | null> {
    if (!uuid) return null;
    return (await this.gateway.listConnectors()).find((c) => c.uuid === uuid) ?? null;
  }

  /** The payer chose a bank and validated: created → validating. */
  async chooseBank(paymentId: string, connectorUuid: string): Promise<void> {
    const initiation = await this.get(null, paymentId);
    if (!initiation) throw new PaygridError(ErrorCode.NOT_FOUND, 'paymentId');
    initiationMachine.assertMove(initiation.payment.flowState as InitiationState, InitiationState.VALIDATING, 'paymentId');
    const offered = await this.banksFor(initiation);
    if (!offered.some((c) => c.uuid === connectorUuid)) throw new PaygridError(ErrorCode.CONNECTOR_UNKNOWN, 'connector_uuid', 'Choose one of the banks offered.');
    await this.db.transaction(async (tx) => {
      const { payment, details } = (await this.find(tx, paymentId))!;
      details.connectorUuid = connectorUuid;
      details.validatedAt = this.clock.now();
      await this.move(tx, payment, details, InitiationState.VALIDATING, 'initiation.validating', { connectorUuid });
    });
  }

  /**
   * The payer authenticated and confirmed at the bank. One confirmation per payment, under one key:
   * recorded first (the payment locked), sent outside any transaction, its answer applied in a new
   * one. A concurrent or repeated confirmation gets that attempt's answer and never calls the bank
   * again; when the bank gives no answer, the payment stays validating until the scheduler gets one.
   */
  async confirmAtBank(paymentId: string, fields: { login: string; password: string }): Promise<Initiation> {
    const found = await this.get(null, paymentId);
    if (!found) throw new PaygridError(ErrorCode.NOT_FOUND, 'paymentId');
    if (found.payment.flowState === InitiationState.CREATED) {
      initiationMachine.assertMove(found.payment.flowState, InitiationState.PENDING, 'paymentId');
    }
    const connector = await this.connector(found.details.connectorUuid);
    if (!connector) throw new PaygridError(ErrorCode.CONNECTOR_UNKNOWN, 'connector_uuid');
    const outcome = await this.providerCalls.run(this.bankConfirm, {
      key: `${paymentId}:confirm`,
      paymentId,
      request: { paymentId, connectorUuid: connector.uuid },
      live: fields,
    });
    const now = (await this.get(null, paymentId))!;
    if (outcome.kind === 'not_waiting') initiationMachine.assertMove(now.payment.flowState as InitiationState, InitiationState.PENDING, 'paymentId');
    return now;
  }

  /** The payer cancelled in the webview or at the bank: rejected, CancelledByUser. */
  async cancelByPayer(paymentId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const found = await this.find(tx, paymentId);
      if (!found) throw new PaygridError(ErrorCode.NOT_FOUND, 'paymentId');
      const { payment, details } = found;
      if (payment.flowState === InitiationState.PENDING) {
        throw new PaygridError(ErrorCode.ILLEGAL_TRANSITION, 'paymentId', 'The payment was already confirmed at the bank.');
      }
      // The bank may hold the payment already: it is not rejected here before the bank answered.
      if (await this.providerCalls.open(tx, this.bankConfirm, paymentId)) throw new PaygridError(ErrorCode.BANK_ANSWER_PENDING, 'paymentId');
      await this.reject(tx, payment, details, PaymentErrorCode.CancelledByUser, null);
    });
  }

  /**
   * The merchant cancels (Powens' CancelledByClient): before the bank holds the payment it is
   * rejected at once; once confirmed at the bank, the bank is asked, through a recorded provider
   * call (outside any transaction), and the payment is rejected when it agrees. Too late (the bank
   * executed or accepted it) is CANCEL_TOO_LATE; a repeat of a cancel that went through answers as
   * the first did.
   */
  async cancelByClient(principal: TokenPrincipal, paymentId: string): Promise<void> {
    const atBank = await this.db.transaction(async (tx) => {
      const found = await this.find(tx, paymentId);
      const facts = found && (await paymentFactsOf(tx.em, [found.payment])).get(paymentId)!;
      if (!found || !facts || !can(principal, 'act', { kind: 'payment', payment: facts })) throw new PaygridError(ErrorCode.NOT_FOUND, 'paymentId');
      const { payment, details } = found;
      if (this.cancelledByClient(found)) return false;
      this.refuseLateCancel(payment.flowState as InitiationState);
      if (payment.flowState === InitiationState.PENDING) return true;
      // The payer's confirmation may have reached the bank already: wait for its answer.
      if (await this.providerCalls.open(tx, this.bankConfirm, paymentId)) throw new PaygridError(ErrorCode.BANK_ANSWER_PENDING, 'paymentId');
      await this.reject(tx, payment, details, PaymentErrorCode.CancelledByClient, null);
      return false;
    });
    if (!atBank) return;
    const found = (await this.get(null, paymentId))!;
    const connector = await this.connector(found.details.connectorUuid);
    if (!connector?.paymentSettings.cancellationAvailable) {
      throw new PaygridError(ErrorCode.CANCEL_NOT_AVAILABLE, 'paymentId', `${connector?.name ?? 'The bank'} does not cancel payments once they are confirmed.`);
    }
    const outcome = await this.providerCalls.run(this.bankCancel, {
      key: `${paymentId}:cancel`,
      paymentId,
      request: { paymentId, connectorUuid: connector.uuid, ref: found.details.bankRef },
    });
    if (outcome.kind === 'unanswered') throw new PaygridError(ErrorCode.BANK_ANSWER_PENDING, 'paymentId');
    const now = (await this.get(null, paymentId))!;
    if (this.cancelledByClient(now)) return;
    if (outcome.kind === 'answered' && !outcome.answer.cancelled) throw new PaygridError(ErrorCode.CANCEL_TOO_LATE, 'paymentId', outcome.answer.reason);
    this.refuseLateCancel(now.payment.flowState as InitiationState);
    throw new PaygridError(ErrorCode.CANCEL_TOO_LATE, 'paymentId');
  }

  private cancelledByClient({ payment, details }: Initiation): boolean {
    return payment.flowState === InitiationState.REJECTED && details.errorCode === PaymentErrorCode.CancelledByClient;
  }

  /** Executed or accepted by the bank: too late; rejected or expired: nothing left to cancel. */
  private refuseLateCancel(state: InitiationState): void {
    if (state === InitiationState.DONE || state === InitiationState.ACCEPTED || state === InitiationState.PARTIAL) {
      throw new PaygridError(ErrorCode.CANCEL_TOO_LATE, 'paymentId', `The bank already ${state === InitiationState.DONE ? 'executed' : 'accepted'} the payment.`);
    }
    if (initiationMachine.isFinal(state)) throw new PaygridError(ErrorCode.PAYMENT_FINAL, 'paymentId', `The payment is ${state}: there is nothing left to cancel.`);
  }

  /** The callback URL: client_redirect_uri with state, id_payment and what applies of the rest. */
  callbackUrl(initiation: Initiation, callback: Callback): string {
    const url = new URL(initiation.details.clientRedirectUri);
    if (initiation.details.clientState !== null) url.searchParams.set('state', initiation.details.clientState);
    url.searchParams.set('id_payment', initiation.payment.id);
    if (callback.error) url.searchParams.set('error', callback.error);
    if (callback.errorCode) url.searchParams.set('error_code', callback.errorCode);
    if (callback.bankMessage) url.searchParams.set('bank_message', callback.bankMessage);
    if (callback.paymentState) url.searchParams.set('payment_state', callback.paymentState);
    return url.toString();
  }

  // -------------------------------------------------------------------------------------------
  // Timed work (the persistent scheduler)

  /**
   * Asks the bank where a pending payment stands, under a key of this poll (`pollKey`, the job's):
   * a repeat or a late run does nothing once it moved on; an unanswered poll is reconciled by the
   * scheduler with the same key.
   */
  async poll(paymentId: string, pollKey: string): Promise<void> {
    const found = await this.get(null, paymentId);
    if (!found || found.payment.flowState !== InitiationState.PENDING || !found.details.bankRef) return;
    const connector = await this.connector(found.details.connectorUuid);
    if (!connector) return;
    await this.providerCalls.run(this.bankPoll, {
      key: `poll:${pollKey}`,
      paymentId,
      request: { paymentId, connectorUuid: connector.uuid, ref: found.details.bankRef },
    });
  }

  /** No final status in time: expired. Does nothing once final, or before a deadline pushed back. */
  async expire(paymentId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const found = await this.find(tx, paymentId);
      if (!found) return;
      const { payment, details } = found;
      if (initiationMachine.isFinal(payment.flowState as InitiationState)) return;
      if (this.clock.now().getTime() < details.expiresAt.getTime()) return;
      await this.move(tx, payment, details, InitiationState.EXPIRED, 'initiation.expired');
    });
  }

  // -------------------------------------------------------------------------------------------
  // The document

  /** The payment in Powens' JSON shape (amounts as decimal strings: no float holds money). */
  toPowens(payment: Payment, details: InitiationDetails): PowensPayment {
    return {
      id: payment.id,
      state: payment.flowState,
      state_detail: null,
      action: null,
      error_code: details.errorCode,
      error_description: details.errorDescription,
      bank_message: details.bankMessage,
      connector_uuid: details.connectorUuid,
      bank_payment_id: details.bankRef?.bankPaymentId ?? null,
      validate_mechanism: 'webauth',
      register_date: powensDate(payment.createdAt),
      validate_date: powensDate(details.validatedAt),
      last_update: powensDate(payment.updatedAt),
      client_redirect_uri: details.clientRedirectUri,
      client_state: details.clientState,
      payer: snakeAccount(details.payer),
      payer_identity: snakeIdentity(details.payerIdentity),
      operator_identity: snakeIdentity(details.operatorIdentity),
      instructions: details.instructions.map((i) => ({
        reference_id: i.referenceId,
        amount: formatAmount(BigInt(i.amount), payment.assetScale),
        currency: payment.assetCode,
        label: i.label,
        execution_date_type: i.executionDateType,
        execution_date: i.executionDate,
        beneficiary: snakeAccount(i.beneficiary),
        beneficiary_identity: snakeIdentity(i.beneficiaryIdentity),
        state: this.instructionState(payment.flowState as InitiationState),
      })),
    };
  }

  private instructionState(state: InitiationState): string {
    if (state === InitiationState.DONE || state === InitiationState.ACCEPTED || state === InitiationState.REJECTED) return state;
    if (state === InitiationState.EXPIRED) return InitiationState.REJECTED;
    return InitiationState.PENDING;
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  private forBank(initiation: Initiation): PaymentForBank {
    return toBank(initiation.payment, initiation.details);
  }

  private async find(tx: Tx, paymentId: string): Promise<Initiation | null> {
    const payment = await tx.em.findOne(Payment, { id: paymentId, flow: PaymentFlow.INITIATION }, { lockMode: tx.forUpdate });
    if (!payment) return null;
    return { payment, details: await tx.em.findOneOrFail(InitiationDetails, { paymentId }) };
  }

  /** Applies what the bank said to a payment that waits for it (validating or pending). */
  private async apply(tx: Tx, payment: Payment, details: InitiationDetails, answer: BankAnswer): Promise<void> {
    if (answer.kind === 'rejected') {
      await this.reject(tx, payment, details, answer.errorCode, answer.bankMessage);
      return;
    }
    const confirming = payment.flowState === InitiationState.VALIDATING;
    if (confirming) {
      if (answer.kind === 'pending') details.bankRef = answer.ref;
      await this.move(tx, payment, details, InitiationState.PENDING, 'initiation.pending', { bankPaymentId: details.bankRef?.bankPaymentId ?? null });
    }
    if (answer.kind === 'done') return this.move(tx, payment, details, InitiationState.DONE, 'initiation.done');
    if (answer.kind === 'accepted') return this.move(tx, payment, details, InitiationState.ACCEPTED, 'initiation.accepted');
    details.bankRef = answer.ref;
    // On confirmation the bank says when to look again (when it executes): the payment expires only
    // some days after that, as Powens counts the days from execution.
    const deadline = new Date(answer.checkAgainAt.getTime() + this.options.expireDays * DAY_MS);
    if (confirming && deadline.getTime() > details.expiresAt.getTime()) {
      details.expiresAt = deadline;
      await this.jobs.schedule(tx, {
        kind: EXPIRE_INITIATION_JOB,
        runAt: deadline,
        payload: { paymentId: payment.id },
        key: `${payment.id}:${deadline.toISOString()}`,
      });
    }
    await this.jobs.schedule(tx, {
      kind: POLL_INITIATION_JOB,
      runAt: answer.checkAgainAt,
      payload: { paymentId: payment.id },
      key: `${payment.id}:${answer.checkAgainAt.toISOString()}`,
    });
  }

  private async reject(tx: Tx, payment: Payment, details: InitiationDetails, rawCode: string, bankMessage: string | null): Promise<void> {
    const read = readPaymentErrorCode(rawCode) ?? { code: PaymentErrorCode.noSpecifiedReason, known: false };
    details.errorCode = read.code;
    details.errorDescription = read.known ? PAYMENT_ERROR_DESCRIPTIONS[read.code] : `${PAYMENT_ERROR_DESCRIPTIONS[read.code]} (provider code: ${String(rawCode).slice(0, 100)})`;
    details.bankMessage = bankMessage ? bankMessage.slice(0, 500) : null;
    await this.move(tx, payment, details, InitiationState.REJECTED, 'initiation.rejected', { errorCode: read.code, bankMessage: details.bankMessage });
  }

  /** Moves the payment through its state machine, records the event and queues the webhook, in `tx`. */
  private async move(tx: Tx, payment: Payment, details: InitiationDetails, to: InitiationState, type: string, data: Record<string, unknown> = {}): Promise<void> {
    movePayment(payment, initiationMachine, UNIFIED_STATE, to, this.clock.now(), 'paymentId');
    recordPaymentEvent(tx, payment, type, data);
    const client = await tx.em.findOne(Client, { id: payment.clientId }, { fields: ['webhookUrl'] });
    if (client?.webhookUrl) {
      await this.webhooks.enqueue(tx, {
        clientId: payment.clientId,
        url: client.webhookUrl,
        eventType: STATE_UPDATED_WEBHOOK,
        paymentId: payment.id,
        body: this.toPowens(payment, details),
        scheme: 'powens',
      });
    }
  }
}
