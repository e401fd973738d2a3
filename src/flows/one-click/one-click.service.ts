import { Account, AccountKind } from '../../accounts/account.entity';
import { can, type Principal, type TokenPrincipal } from '../../access';
import type { PublicUrl } from '../../config/public-url';
import { recordPaymentEvent } from '../../events/event-recorder';
import type { LedgerService } from '../../ledger/ledger.service';
import { currencyAsset, formatAmount, parseAmount } from '../../money/money';
import type { AuthorizationService } from '../../oauth/authorization.service';
import { AccessToken } from '../../oauth/access-token.entity';
import { Client } from '../../oauth/client.entity';
import type { OutboundHttp } from '../../outbound/outbound-http';
import type { Database, Tx } from '../../persistence/database';
import { movePayment } from '../../payments/payment-state';
import { Payment, PaymentFlow } from '../../payments/payment.entity';
import { paymentFactsOf } from '../../payments/payment.service';
import { ProviderCall } from '../../providers/provider-call.entity';
import type { ProviderCalls, ProviderOperation } from '../../providers/provider-call';
import {
  readPaymentResult,
  readRedirect,
  readSignInResult,
  type IdentityProvider,
  type IdentityProviders,
  type PaymentResult,
  type Redirect,
  type SignInResult,
} from '../../providers/identity/identity-provider';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { newId, newSecret, sha256 } from '../../shared/ids';
import { once, validateIdempotencyKey } from '../../shared/idempotency/idempotency';
import { parseHttpUrl } from '../../shared/text';
import { timingSafeEqual } from 'node:crypto';
import { DepositDetails, OneClickOperator } from './deposit.entity';
import { DepositState, TX_STATE, UNIFIED_DEPOSIT_STATE, depositMachine } from './deposit.states';
import { KycProfile } from './kyc-profile.entity';
import { Notification, notificationUrl, sendNotification, type OperatorAnswer } from './notifications';

export const ADVANCE_DEPOSIT_JOB = 'one-click.advance';
export const PURGE_KYC_JOB = 'one-click.kyc-purge';
export const EXPIRE_DEPOSIT_JOB = 'one-click.expire';
/** Who the operator notifications are recorded as, in provider_call. */
export const OPERATOR_PROVIDER = 'operator';
export const IDENTITY_PROVIDER = 'identity';
export const ONE_CLICK_PATH = '/oauth/one-click';
/** The 1-Click API's one scope, returned as a JSON array (reference D.2). */
export const ONE_CLICK_SCOPES = ['default'];
/** PaymentIQ's transaction type of a deposit, sent in authorize, transfer and cancel. */
const TX_TYPE_ID = 108;
const TX_NAME = 'OneClickDeposit';

export interface OneClickJobs {
  schedule(tx: Tx, job: { kind: string; runAt: Date; payload: Record<string, unknown>; key?: string }): Promise<unknown>;
  register<P>(kind: string, handler: (payload: P) => Promise<void>): void;
}

export interface OneClickOptions {
  /** Days KYC data is kept after the player's last identification (KYC_RETENTION_DAYS). */
  kycRetentionDays: number;
  /** Minutes a session may take before the player reaches the payment step (DEPOSIT_SESSION_MINUTES). */
  sessionMinutes: number;
}

export interface StartDeposit {
  identityProvider: unknown;
  amount: unknown;
  currency: unknown;
  redirectUri: string;
  state: string | null;
  codeChallenge: string | null;
  /** The seed's optional parameters, as given. */
  parameters: Record<string, unknown>;
  /** Set by the GraphQL mutation: the same key returns the same session. */
  idempotencyKey?: string;
}

export interface StartedDeposit {
  paymentId: string;
  /** Where the browser goes: the identity provider's page. */
  redirectUrl: string;
  /** JSON status of the session, for polling (`links.statusUrl`). */
  statusUrl: string;
  /** Paygrid's page that takes the browser through the remaining steps. */
  continueUrl: string;
}

export interface Deposit {
  payment: Payment;
  details: DepositDetails;
}

/** Where the browser goes next: somewhere (a provider page, the operator's redirect URI), or stays waiting. */
export type Next = { kind: 'go'; url: string } | { kind: 'wait' } | { kind: 'finished' };

export interface NotificationRecord {
  notification: string;
  state: string;
  tries: number;
  lastError: string | null;
  answer: OperatorAnswer | null;
  createdAt: Date;
  answeredAt: Date | null;
}

/** The token claims of the 1-Click API (reference provider-flows §2.8), without the token itself. */
export type OneClickClaims = Record<string, unknown>;

interface Ops {
  startSignIn: ProviderOperation<Redirect>;
  signInResult: ProviderOperation<SignInResult>;
  startPayment: ProviderOperation<Redirect>;
  paymentResult: ProviderOperation<PaymentResult>;
  signin: ProviderOperation<OperatorAnswer>;
  authorize: ProviderOperation<OperatorAnswer>;
  transfer: ProviderOperation<OperatorAnswer>;
  cancel: ProviderOperation<OperatorAnswer>;
}

const DAY_MS = 24 * 3600 * 1000;
const sameSecret = (given: string, hash: string) => {
  const a = Buffer.from(sha256(given), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * PaymentIQ-style 1-Click sign-up and deposit (seed 002): Paygrid, as the OAuth2 server, hands the
 * browser to an identity provider, sends the operator its signin and authorize notifications, has
 * the provider take the deposit, credits the operator's account from the settlement account, sends
 * transfer until the operator accepts it (cancel when a step fails after authorize), and redirects
 * the browser with a one-time code of the existing authorization server.
 *
 * Every call out (to the identity provider and to the operator) is a provider call: recorded under
 * its key (`{txId}:{step}`) with the payment locked, sent outside any transaction, its answer stored
 * and applied in a new one, and tried again by the scheduler while it has no answer.
 */
export class OneClickService {
  private readonly ops: Ops;

  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly providers: IdentityProviders,
    private readonly providerCalls: ProviderCalls,
    private readonly jobs: OneClickJobs,
    private readonly outbound: OutboundHttp,
    private readonly authorization: AuthorizationService,
    private readonly publicUrl: PublicUrl,
    private readonly clock: Clock,
    private readonly options: OneClickOptions,
  ) {
    jobs.register<{ paymentId: string }>(ADVANCE_DEPOSIT_JOB, ({ paymentId }) => this.advance(paymentId));
    jobs.register<{ profileId: string }>(PURGE_KYC_JOB, ({ profileId }) => this.purge(profileId));
    jobs.register<{ paymentId: string }>(EXPIRE_DEPOSIT_JOB, ({ paymentId }) => this.expire(paymentId));
    const waitingIn = (state: DepositState, also: (d: DepositDetails) => boolean = () => true) => async (tx: Tx, paymentId: string | null) => {
      const found = await this.lock(tx, paymentId!);
      return !!found && found.payment.flowState === state && also(found.details);
    };
    const applying = (apply: (tx: Tx, deposit: Deposit, answer: any) => Promise<void>) => async (tx: Tx, paymentId: string | null, answer: unknown) =>
      apply(tx, (await this.lock(tx, paymentId!))!, answer);
    const provider = async (paymentId: string) => this.providerOf((await this.get(null, paymentId))!.details.identityProvider);
    const deposit = async (paymentId: string) => (await this.get(null, paymentId))!;

    this.ops = {
      startSignIn: providerCalls.define<Redirect>({
        provider: IDENTITY_PROVIDER,
        operation: 'start-sign-in',
        waits: waitingIn(DepositState.STARTED, (d) => d.signInRef === null),
        call: async (key, request) =>
          (await provider(request.paymentId as string)).startSignIn({
            idempotencyKey: key,
            returnUrl: request.returnUrl as string,
            ssn: (request.ssn as string | null) ?? null,
            country: (request.country as string | null) ?? null,
            locale: (request.locale as string | null) ?? null,
          }),
        apply: applying(async (_tx, { details }, answer: Redirect) => {
          details.signInRef = answer.ref;
          details.signInUrl = answer.url;
        }),
        readAnswer: readRedirect,
      }),
      signInResult: providerCalls.define<SignInResult>({
        provider: IDENTITY_PROVIDER,
        operation: 'sign-in-result',
        waits: waitingIn(DepositState.STARTED, (d) => d.signInRef !== null),
        call: async (key, request) => {
          const { details } = await deposit(request.paymentId as string);
          return (await provider(details.paymentId)).signInResult(key, details.signInRef!);
        },
        apply: applying((tx, found, answer: SignInResult) => this.identified(tx, found, answer)),
        readAnswer: readSignInResult,
      }),
      startPayment: providerCalls.define<Redirect>({
        provider: IDENTITY_PROVIDER,
        operation: 'start-payment',
        waits: waitingIn(DepositState.AUTHORIZED, (d) => d.paymentRef === null),
        call: async (key, request) => {
          const { payment, details } = await deposit(request.paymentId as string);
          return (await provider(payment.id)).startPayment({
            idempotencyKey: key,
            signInRef: details.signInRef!,
            amount: payment.amount,
            assetCode: payment.assetCode,
            assetScale: payment.assetScale,
            returnUrl: request.returnUrl as string,
          });
        },
        apply: applying(async (_tx, { details }, answer: Redirect) => {
          details.paymentRef = answer.ref;
          details.paymentUrl = answer.url;
        }),
        readAnswer: readRedirect,
      }),
      paymentResult: providerCalls.define<PaymentResult>({
        provider: IDENTITY_PROVIDER,
        operation: 'payment-result',
        waits: waitingIn(DepositState.AUTHORIZED, (d) => d.paymentRef !== null),
        call: async (key, request) => {
          const { details } = await deposit(request.paymentId as string);
          return (await provider(details.paymentId)).paymentResult(key, details.paymentRef!);
        },
        apply: applying((tx, found, answer: PaymentResult) => this.paid(tx, found, answer)),
        readAnswer: readPaymentResult,
      }),
      signin: this.notification(Notification.SIGNIN, waitingIn(DepositState.IDENTIFIED), (tx, found, answer) => this.signedIn(tx, found, answer)),
      authorize: this.notification(Notification.AUTHORIZE, waitingIn(DepositState.SIGNED_IN), (tx, found, answer) => this.authorized(tx, found, answer)),
      transfer: this.notification(Notification.TRANSFER, waitingIn(DepositState.DEPOSITED), async (tx, found) => {
        await this.move(tx, found.payment, DepositState.COMPLETED, 'deposit.completed');
      }),
      cancel: this.notification(Notification.CANCEL, waitingIn(DepositState.CANCELLED, (d) => d.authCode !== null), async () => undefined),
    };
  }

  /** One notification to the operator, as a provider operation; transfer and cancel must be accepted, so a refusal is tried again. */
  private notification(
    notification: Notification,
    waits: (tx: Tx, paymentId: string | null) => Promise<boolean>,
    apply: (tx: Tx, deposit: Deposit, answer: OperatorAnswer) => Promise<void>,
  ): ProviderOperation<OperatorAnswer> {
    const mustAccept = notification === Notification.TRANSFER || notification === Notification.CANCEL;
    return this.providerCalls.define({
      provider: OPERATOR_PROVIDER,
      operation: notification,
      waits,
      call: async (key, request) => {
        const found = (await this.get(null, request.paymentId as string))!;
        const endpoint = await this.db.reader().findOne(OneClickOperator, { clientId: found.payment.clientId });
        const client = await this.db.reader().findOne(Client, { id: found.payment.clientId }, { fields: ['webhookSecret'] });
        if (!endpoint || !client) throw new Error('The operator has no notification endpoint configured');
        const answer = await sendNotification(this.outbound, {
          url: notificationUrl(endpoint, notification),
          id: key,
          secret: client.webhookSecret,
          body: await this.notificationBody(notification, found),
          now: this.clock.now(),
        });
        if (mustAccept && !answer.success) {
          throw new Error(`The operator refused ${notification} (${answer.errCode ?? 'no errCode'}: ${answer.errMsg ?? 'no errMsg'}); it must accept it`);
        }
        if (answer.success && notification === Notification.SIGNIN && !answer.userId) throw new Error('The operator accepted signin without a userId');
        if (answer.success && notification === Notification.AUTHORIZE && !answer.authCode) throw new Error('The operator accepted authorize without an authCode');
        return answer;
      },
      apply: async (tx, paymentId, answer) => apply(tx, (await this.lock(tx, paymentId!))!, answer),
      readAnswer: (stored) => stored as OperatorAnswer,
    });
  }

  // -------------------------------------------------------------------------------------------
  // The operator's configuration

  async setOperatorEndpoint(clientId: string, input: { baseUrl?: string | null; pathPrefix?: string | null }): Promise<OneClickOperator | null> {
    if (input.baseUrl == null) {
      await this.db.transaction(async (tx) => void (await tx.em.nativeDelete(OneClickOperator, { clientId })));
      return null;
    }
    const url = parseHttpUrl(input.baseUrl);
    if (!url || input.baseUrl.length > 2048 || url.username || url.password || url.search || url.hash) {
      throw new PaygridError(ErrorCode.URL_INVALID, 'baseUrl', 'The base URL is an absolute http(s) URL without credentials, query or fragment.');
    }
    this.outbound.assertAllowedUrl(url, 'baseUrl');
    const prefix = input.pathPrefix ?? '/api';
    if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(prefix) || prefix.length > 100) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'pathPrefix', 'The path prefix is empty or segments like /api or /paymentiq (letters, digits, . _ ~ -).');
    }
    return this.db.transaction(async (tx) => {
      const found = await tx.em.findOne(OneClickOperator, { clientId });
      const now = this.clock.now();
      const baseUrl = url.toString().replace(/\/+$/, '');
      if (found) return Object.assign(found, { baseUrl, pathPrefix: prefix, updatedAt: now });
      return tx.em.create(OneClickOperator, { clientId, baseUrl, pathPrefix: prefix, updatedAt: now });
    });
  }

  async operatorEndpoint(clientId: string): Promise<OneClickOperator | null> {
    return this.db.reader().findOne(OneClickOperator, { clientId });
  }

  // -------------------------------------------------------------------------------------------
  // Starting and cancelling

  /**
   * Opens a deposit session: a payment (state started) crediting the operator's account in the
   * currency, and a sign-in at the identity provider. The caller already checked the client, its
   * redirect URI and PKCE (the authorization endpoint, or the mutation).
   */
  async start(client: Client, input: StartDeposit): Promise<StartedDeposit> {
    const providerId = typeof input.identityProvider === 'string' ? input.identityProvider : '';
    const provider = this.providers.get(providerId);
    if (!provider) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'identity_provider', `Unknown identity provider; this server offers: ${this.providers.list().map((p) => p.id).join(', ')}.`);
    }
    if (!provider.takesPayments) throw new PaygridError(ErrorCode.INVALID_INPUT, 'identity_provider', `${provider.name} cannot take a deposit.`);
    if (typeof input.currency !== 'string' || !input.currency) throw new PaygridError(ErrorCode.FIELD_REQUIRED, 'currency', 'currency is required for a deposit.');
    const asset = currencyAsset(input.currency, 'currency');
    if (input.amount === undefined || input.amount === null || input.amount === '') throw new PaygridError(ErrorCode.FIELD_REQUIRED, 'amount', 'amount is required for a deposit.');
    const amount = parseAmount(input.amount, asset.assetScale, 'amount');
    if (!(await this.operatorEndpoint(client.id))) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'client_id', 'This operator has no notification endpoint configured (setOneClickOperator).');
    }
    const browserKey = newSecret('pgbk', 24);
    const create = async (tx: Tx) => {
      const account = await tx.em.findOne(
        Account,
        { clientId: client.id, userId: null, kind: AccountKind.CUSTOMER, assetCode: asset.assetCode },
        { orderBy: { id: 'asc' } },
      );
      if (!account) throw new PaygridError(ErrorCode.NO_ACCOUNT_IN_CURRENCY, 'currency', `The operator holds no ${asset.assetCode} account to receive the deposit.`);
      const settlement = await this.ledger.settlementAccount(tx, asset.assetCode, asset.assetScale);
      const now = this.clock.now();
      const payment = tx.em.create(Payment, {
        id: newId('pay'),
        flow: PaymentFlow.DEPOSIT,
        state: UNIFIED_DEPOSIT_STATE.started,
        flowState: DepositState.STARTED,
        clientId: client.id,
        requestId: null,
        // The money comes from outside: the settlement account pays, the operator's account receives.
        payerAccountId: settlement,
        beneficiaryAccountId: account.id,
        assetCode: asset.assetCode,
        assetScale: asset.assetScale,
        amount,
        reference: `1-Click deposit via ${provider.id}`,
        lastSequence: 0,
        version: 1,
        createdAt: now,
        updatedAt: now,
      });
      tx.em.create(DepositDetails, {
        paymentId: payment.id,
        identityProvider: provider.id,
        redirectUri: input.redirectUri,
        clientState: input.state,
        codeChallenge: input.codeChallenge,
        parameters: input.parameters,
        browserKeyHash: sha256(browserKey),
      } as DepositDetails);
      recordPaymentEvent(tx, payment, 'deposit.started', { identityProvider: provider.id });
      await this.jobs.schedule(tx, { kind: EXPIRE_DEPOSIT_JOB, runAt: new Date(now.getTime() + this.options.sessionMinutes * 60_000), payload: { paymentId: payment.id }, key: payment.id });
      return { paymentId: payment.id, browserKey };
    };
    const created = await this.db.transaction(async (tx) => {
      if (!input.idempotencyKey) return create(tx);
      validateIdempotencyKey(input.idempotencyKey, 'idempotencyKey');
      const { result } = await once(
        tx,
        {
          scope: `${client.id}:idempotency`,
          key: input.idempotencyKey,
          keyField: 'idempotencyKey',
          operation: 'startDeposit',
          request: { provider: provider.id, amount: amount.toString(), currency: asset.assetCode, redirectUri: input.redirectUri, state: input.state, parameters: input.parameters },
        },
        // The browser key is kept in the idempotency record so that a replay answers the same URLs.
        async () => create(tx),
      );
      return { paymentId: String(result.paymentId), browserKey: String(result.browserKey) };
    });
    const urls = this.urls(created.paymentId, created.browserKey);
    await this.advance(created.paymentId, created.browserKey);
    const found = (await this.get(null, created.paymentId))!;
    // A provider that did not answer yet: Paygrid's own page waits for it, and asks again.
    return { paymentId: created.paymentId, redirectUrl: found.details.signInUrl ?? urls.continue, statusUrl: urls.status, continueUrl: urls.continue };
  }

  /** The operator stops a session before the player pays: no money moved; cancel goes to it when it had authorized. */
  async cancel(principal: TokenPrincipal, paymentId: string): Promise<Deposit> {
    await this.db.transaction(async (tx) => {
      const found = await this.lock(tx, paymentId);
      if (!found || !can(principal, 'act', { kind: 'payment', payment: (await paymentFactsOf(tx.em, [found.payment])).get(paymentId)! })) {
        throw new PaygridError(ErrorCode.NOT_FOUND, 'paymentId');
      }
      const { payment, details } = found;
      if (payment.flowState === DepositState.AUTHORIZED && details.paymentRef) {
        throw new PaygridError(ErrorCode.ILLEGAL_TRANSITION, 'paymentId', 'The player is at the payment step: the provider may be taking the money.');
      }
      Object.assign(details, { error: 'access_denied', errorDescription: 'err_cancelled_by_operator' });
      await this.forgetSsn(tx, details);
      await this.move(tx, payment, DepositState.CANCELLED, 'deposit.cancelled', { by: 'operator' });
    });
    await this.advance(paymentId);
    return (await this.get(null, paymentId))!;
  }

  // -------------------------------------------------------------------------------------------
  // The browser's steps

  /** The browser is back from the identity provider: its result is asked for and applied. */
  async identityReturned(paymentId: string, key: string): Promise<void> {
    const found = await this.browserDeposit(paymentId, key);
    if (found.payment.flowState === DepositState.STARTED && found.details.signInRef) {
      await this.providerCalls.run(this.ops.signInResult, { key: `${paymentId}:sign-in-result`, paymentId, request: { paymentId } });
    }
  }

  /** The browser is back from the provider's payment step. */
  async paymentReturned(paymentId: string, key: string): Promise<void> {
    const found = await this.browserDeposit(paymentId, key);
    if (found.payment.flowState === DepositState.AUTHORIZED && found.details.paymentRef) {
      await this.providerCalls.run(this.ops.paymentResult, { key: `${paymentId}:payment-result`, paymentId, request: { paymentId } });
    }
  }

  /**
   * Where the browser goes now. Runs what is due first (the notifications), then: the provider's
   * page, the operator's redirect URI with a one-time code (issued once) or with the error, or a
   * wait while the operator has not answered.
   */
  async next(paymentId: string, key: string, issuer: string): Promise<Next> {
    await this.browserDeposit(paymentId, key);
    await this.advance(paymentId, key);
    const { payment, details } = (await this.get(null, paymentId))!;
    const state = payment.flowState as DepositState;
    if (state === DepositState.STARTED) return details.signInUrl ? { kind: 'go', url: details.signInUrl } : { kind: 'wait' };
    if (state === DepositState.AUTHORIZED) return details.paymentUrl ? { kind: 'go', url: details.paymentUrl } : { kind: 'wait' };
    if (state === DepositState.IDENTIFIED || state === DepositState.SIGNED_IN) return { kind: 'wait' };
    if (state === DepositState.DEPOSITED || state === DepositState.COMPLETED) {
      const code = await this.issueCode(payment, details);
      if (!code) return { kind: 'finished' };
      return { kind: 'go', url: this.redirect(details, { code, state: details.clientState, session_id: details.sessionId, iss: issuer }) };
    }
    return {
      kind: 'go',
      url: this.redirect(details, {
        error: details.error ?? 'access_denied',
        error_description: details.errorDescription ?? 'err_failed',
        tx_state: TX_STATE[state],
        state: details.clientState,
        errCode: details.errCode,
        errMsg: details.errMsg,
        iss: issuer,
      }),
    };
  }

  /** The JSON status behind `links.statusUrl`. */
  async status(paymentId: string, key: string): Promise<Record<string, unknown>> {
    const { payment } = await this.browserDeposit(paymentId, key);
    return { txId: payment.id, state: payment.flowState, txState: TX_STATE[payment.flowState as DepositState], unifiedState: payment.state };
  }

  // -------------------------------------------------------------------------------------------
  // Driving the steps (the browser's pages and the scheduler both call this; every step is keyed)

  /** Runs the steps due in the deposit's state until one waits for the browser or for an answer. */
  async advance(paymentId: string, browserKey?: string): Promise<void> {
    for (let step = 0; step < 8; step++) {
      const found = await this.get(null, paymentId);
      if (!found) return;
      const { payment, details } = found;
      const run = async (op: ProviderOperation<any>, name: string, request: Record<string, unknown> = {}) =>
        (await this.providerCalls.run(op, { key: `${paymentId}:${name}`, paymentId, request: { paymentId, ...request } })).kind === 'answered';
      let moved: boolean;
      switch (payment.flowState as DepositState) {
        case DepositState.STARTED: {
          if (!details.signInRef) {
            // The sign-in starts when the browser's key is at hand: the provider's return URL carries it.
            if (!browserKey) return;
            const p = details.parameters;
            const text = (name: string) => (typeof p[name] === 'string' ? (p[name] as string) : null);
            const started = await run(this.ops.startSignIn, 'start-sign-in', { returnUrl: this.urls(paymentId, browserKey).identified, ssn: text('ssn'), country: text('country'), locale: text('locale') });
            if (!started) return;
          }
          // Recorded now, so that the scheduler asks the provider, with backoff, until the player decides (the browser may never return).
          moved = await run(this.ops.signInResult, 'sign-in-result');
          break;
        }
        case DepositState.IDENTIFIED:
          moved = await run(this.ops.signin, Notification.SIGNIN);
          break;
        case DepositState.SIGNED_IN:
          moved = await run(this.ops.authorize, Notification.AUTHORIZE);
          break;
        case DepositState.AUTHORIZED:
          if (!details.paymentRef) {
            // The payment step starts when the browser is there to go to it: its return URL carries the browser's key.
            if (!browserKey) return;
            moved = await run(this.ops.startPayment, 'start-payment', { returnUrl: this.urls(paymentId, browserKey).paid });
            if (!moved) return;
          }
          // The provider is asked now and, until it answers, by the scheduler with backoff: a player
          // who pays and never comes back does not leave the money unbooked.
          moved = await run(this.ops.paymentResult, 'payment-result');
          break;
        case DepositState.DEPOSITED:
          await run(this.ops.transfer, Notification.TRANSFER);
          return;
        case DepositState.CANCELLED:
          if (details.authCode) await run(this.ops.cancel, Notification.CANCEL);
          return;
        default:
          return;
      }
      if (!moved) return;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Answers applied (inside the provider call's transaction, the payment locked)

  private async identified(tx: Tx, { payment, details }: Deposit, answer: SignInResult): Promise<void> {
    await this.forgetSsn(tx, details);
    if (answer.kind === 'failed') {
      Object.assign(details, { error: 'access_denied', errorDescription: answer.failure, errMsg: answer.message.slice(0, 500) });
      await this.move(tx, payment, DepositState.REJECTED, 'deposit.rejected', { reason: answer.failure });
      return;
    }
    const now = this.clock.now();
    const subjectHash = sha256(`${details.identityProvider}:${answer.kyc.personid}`);
    let profile = await tx.em.findOne(KycProfile, { clientId: payment.clientId, subjectHash });
    const known = !!profile?.userId;
    const expiresAt = new Date(now.getTime() + this.options.kycRetentionDays * DAY_MS);
    const fields = { data: answer.kyc, identifiedAt: new Date(answer.iat * 1000), reauthenticatedAt: new Date(answer.rat * 1000), expiresAt };
    if (profile) Object.assign(profile, fields);
    else profile = tx.em.create(KycProfile, { id: newId('kyc'), clientId: payment.clientId, subjectHash, identityProvider: details.identityProvider, userId: null, createdAt: now, ...fields });
    details.kycProfileId = profile.id;
    await this.jobs.schedule(tx, { kind: PURGE_KYC_JOB, runAt: expiresAt, payload: { profileId: profile.id }, key: `${profile.id}:${expiresAt.toISOString()}` });
    // The event says who, by reference only: its payload goes to subscribers and webhooks.
    await this.move(tx, payment, DepositState.IDENTIFIED, 'deposit.identified', { kycProfileId: profile.id, knownPlayer: known });
  }

  private async signedIn(tx: Tx, { payment, details }: Deposit, answer: OperatorAnswer): Promise<void> {
    if (!answer.success) {
      Object.assign(details, { error: 'access_denied', errorDescription: 'err_user_account_blocked', errCode: answer.errCode, errMsg: answer.errMsg });
      await this.move(tx, payment, DepositState.REJECTED, 'deposit.rejected', { reason: 'signin_refused', errCode: answer.errCode });
      return;
    }
    details.userId = answer.userId;
    details.sessionId = answer.sessionId;
    const profile = await tx.em.findOneOrFail(KycProfile, { id: details.kycProfileId! });
    profile.userId = answer.userId;
    await this.move(tx, payment, DepositState.SIGNED_IN, 'deposit.signed_in', { userId: answer.userId });
  }

  private async authorized(tx: Tx, { payment, details }: Deposit, answer: OperatorAnswer): Promise<void> {
    if (!answer.success) {
      Object.assign(details, { error: 'access_denied', errorDescription: 'err_declined', errCode: answer.errCode, errMsg: answer.errMsg });
      await this.move(tx, payment, DepositState.DECLINED, 'deposit.declined', { errCode: answer.errCode, errMsg: answer.errMsg });
      return;
    }
    details.authCode = answer.authCode;
    details.merchantTxId = answer.merchantTxId;
    await this.move(tx, payment, DepositState.AUTHORIZED, 'deposit.authorized', { authCode: answer.authCode });
  }

  private async paid(tx: Tx, { payment, details }: Deposit, answer: PaymentResult): Promise<void> {
    if (answer.kind === 'failed') {
      Object.assign(details, { error: 'access_denied', errorDescription: 'err_payment_failed', errMsg: answer.message.slice(0, 500) });
      await this.move(tx, payment, DepositState.CANCELLED, 'deposit.cancelled', { by: 'provider' });
      return;
    }
    // The provider holds the player's money: it arrives from outside into the operator's account.
    const [transfer] = await this.ledger.transfer(tx, {
      debitAccountId: payment.payerAccountId!,
      creditAccountId: payment.beneficiaryAccountId!,
      purpose: 'deposit',
      legs: [{ amount: payment.amount, reference: `1-Click ${payment.id}` }],
    });
    Object.assign(details, { pspRefId: answer.pspRefId, maskedAccount: answer.maskedAccount, ledgerTransferId: transfer.id });
    await this.move(tx, payment, DepositState.DEPOSITED, 'deposit.deposited', { ledgerTransferId: transfer.id, pspRefId: answer.pspRefId });
  }

  /** Moves the deposit, records the event, and has the scheduler drive the next step (the browser may be gone). */
  private async move(tx: Tx, payment: Payment, to: DepositState, type: string, data: Record<string, unknown> = {}): Promise<void> {
    movePayment(payment, depositMachine, UNIFIED_DEPOSIT_STATE, to, this.clock.now(), 'paymentId');
    recordPaymentEvent(tx, payment, type, data);
    await this.jobs.schedule(tx, { kind: ADVANCE_DEPOSIT_JOB, runAt: this.clock.now(), payload: { paymentId: payment.id }, key: `${payment.id}:${to}` });
  }

  // -------------------------------------------------------------------------------------------
  // Tokens

  /** A code of the existing authorization server, once per deposit, for the player's KYC profile. */
  private async issueCode(payment: Payment, details: DepositDetails): Promise<string | null> {
    const client = (await this.db.reader().findOne(Client, { id: payment.clientId }))!;
    return this.db.transaction(async (tx) => {
      const codeId = newId('azc');
      const claimed = await tx.em.nativeUpdate(DepositDetails, { paymentId: payment.id, authorizationCodeId: null }, { authorizationCodeId: codeId });
      if (claimed !== 1) return null;
      return this.authorization.issueCodeIn(
        tx,
        {
          client,
          redirectUri: details.redirectUri,
          scopes: ONE_CLICK_SCOPES,
          state: details.clientState,
          codeChallenge: details.codeChallenge,
          codeChallengeMethod: details.codeChallenge ? 'S256' : null,
        },
        details.kycProfileId!,
        codeId,
      );
    });
  }

  /** The claims of a deposit's grant (its authorization code's family), or null for any other grant. */
  async claimsOf(familyId: string): Promise<OneClickClaims | null> {
    const em = this.db.reader();
    const details = await em.findOne(DepositDetails, { authorizationCodeId: familyId });
    if (!details) return null;
    const payment = await em.findOneOrFail(Payment, { id: details.paymentId });
    const profile = details.kycProfileId ? await em.findOne(KycProfile, { id: details.kycProfileId }) : null;
    const kyc = profile?.data;
    return {
      scope: ONE_CLICK_SCOPES,
      userId: details.userId,
      merchantId: payment.clientId,
      clientId: payment.clientId,
      txRefId: this.txRefId(payment),
      identityProvider: details.identityProvider,
      ...(kyc
        ? { name: kyc.name, firstName: kyc.firstName, lastName: kyc.lastName, personid: kyc.personid, gender: kyc.gender, street: kyc.street, city: kyc.city, zip: kyc.zip, country: kyc.country, dob: kyc.dob }
        : {}),
      maskedAccount: details.maskedAccount,
      aud: ['identity_api'],
    };
  }

  /**
   * `check_token` in the legacy Spring shape (no `active`): the claims of a live token of this
   * client's 1-Click grants, or null for anything else.
   */
  async checkToken(client: Client, token: unknown): Promise<OneClickClaims | null> {
    if (typeof token !== 'string' || !token || token.length > 512) return null;
    const row = await this.db.reader().findOne(AccessToken, { tokenHash: sha256(token) });
    if (!row || row.clientId !== client.id || row.revokedAt || row.expiresAt.getTime() <= this.clock.now().getTime() || !row.familyId) return null;
    const claims = await this.claimsOf(row.familyId);
    return claims && { ...claims, exp: Math.floor(row.expiresAt.getTime() / 1000), jti: row.id, client_id: client.id };
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  async get(principal: Principal | null, paymentId: string): Promise<Deposit | null> {
    const em = this.db.reader();
    const payment = await em.findOne(Payment, { id: paymentId, flow: PaymentFlow.DEPOSIT });
    if (!payment) return null;
    if (principal && !can(principal, 'read', { kind: 'payment', payment: (await paymentFactsOf(em, [payment])).get(paymentId)! })) return null;
    return { payment, details: await em.findOneOrFail(DepositDetails, { paymentId }) };
  }

  /** The notifications sent for a deposit, each with its tries and the operator's answer. */
  async notifications(paymentId: string): Promise<NotificationRecord[]> {
    const rows = await this.db.reader().find(ProviderCall, { paymentId, provider: OPERATOR_PROVIDER }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return rows.map((r) => ({
      notification: r.operation,
      state: r.state,
      tries: r.tries,
      lastError: r.lastError,
      answer: (r.answer as OperatorAnswer | null) ?? null,
      createdAt: r.createdAt,
      answeredAt: r.answeredAt,
    }));
  }

  /** A KYC profile, to the operator that signed the player in only. */
  async profile(principal: Principal, id: string): Promise<KycProfile | null> {
    const profile = await this.db.reader().findOne(KycProfile, { id });
    if (!profile || !can(principal, 'read', { kind: 'kycProfile', profile: { clientId: profile.clientId } })) return null;
    return profile;
  }

  /**
   * A session the player left before the payment step: cancelled (cancel goes to the operator when
   * it had authorized). Once the provider's payment step started, the provider may hold the money:
   * the session is left to its answer.
   */
  async expire(paymentId: string): Promise<void> {
    const expired = await this.db.transaction(async (tx) => {
      const found = await this.lock(tx, paymentId);
      if (!found) return false;
      const { payment, details } = found;
      const state = payment.flowState as DepositState;
      const beforePayment = [DepositState.STARTED, DepositState.IDENTIFIED, DepositState.SIGNED_IN].includes(state) || (state === DepositState.AUTHORIZED && !details.paymentRef);
      if (!beforePayment) return false;
      Object.assign(details, { error: 'access_denied', errorDescription: 'err_session_expired' });
      await this.forgetSsn(tx, details);
      await this.move(tx, payment, DepositState.CANCELLED, 'deposit.cancelled', { by: 'expiry' });
      return true;
    });
    if (expired) await this.advance(paymentId);
  }

  /** Drops a profile's KYC data once its retention ran out, and the identity provider's recorded answers that carried it. */
  async purge(profileId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const profile = await tx.em.findOne(KycProfile, { id: profileId }, { lockMode: tx.forUpdate });
      if (!profile?.expiresAt || profile.expiresAt.getTime() > this.clock.now().getTime()) return;
      profile.data = null;
      profile.expiresAt = null;
      const deposits = await tx.em.find(DepositDetails, { kycProfileId: profileId }, { fields: ['paymentId'] });
      if (deposits.length) {
        await tx.em.nativeUpdate(
          ProviderCall,
          { provider: IDENTITY_PROVIDER, operation: 'sign-in-result', paymentId: { $in: deposits.map((d) => d.paymentId) } },
          { answer: { kind: 'identified', purged: true } },
        );
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  /**
   * The national id the operator expected (`ssn`) is personal data needed only until the provider
   * answered the sign-in: then it goes, from the deposit and from the recorded provider call.
   */
  private async forgetSsn(tx: Tx, details: DepositDetails): Promise<void> {
    if (!('ssn' in details.parameters)) return;
    const { ssn: _ssn, ...rest } = details.parameters;
    details.parameters = rest;
    const call = await tx.em.findOne(ProviderCall, { provider: IDENTITY_PROVIDER, key: `${details.paymentId}:start-sign-in` });
    if (call) call.request = { ...call.request, ssn: null };
  }

  private providerOf(id: string): IdentityProvider {
    const provider = this.providers.get(id);
    if (!provider) throw new Error(`identity provider ${id} is not configured`);
    return provider;
  }

  private async lock(tx: Tx, paymentId: string): Promise<Deposit | null> {
    const payment = await tx.em.findOne(Payment, { id: paymentId, flow: PaymentFlow.DEPOSIT }, { lockMode: tx.forUpdate });
    if (!payment) return null;
    return { payment, details: await tx.em.findOneOrFail(DepositDetails, { paymentId }) };
  }

  /** The deposit a browser holds the key of; NOT_FOUND for any other key. */
  private async browserDeposit(paymentId: string, key: string): Promise<Deposit> {
    const found = typeof key === 'string' && key ? await this.get(null, paymentId) : null;
    if (!found || !sameSecret(key, found.details.browserKeyHash)) throw new PaygridError(ErrorCode.NOT_FOUND, 'paymentId', 'This sign-in link is not valid.');
    return found;
  }

  private txRefId(payment: Payment): string {
    return `${payment.clientId}A${payment.id}`;
  }

  private urls(paymentId: string, key: string) {
    const base = `${this.publicUrl.base()}${ONE_CLICK_PATH}/${paymentId}`;
    const q = `key=${encodeURIComponent(key)}`;
    return { identified: `${base}/identified?${q}`, paid: `${base}/paid?${q}`, status: `${base}/status?${q}`, continue: `${base}?${q}` };
  }

  private redirect(details: DepositDetails, params: Record<string, string | null>): string {
    const url = new URL(details.redirectUri);
    for (const [name, value] of Object.entries(params)) if (value !== null && value !== undefined) url.searchParams.append(name, value);
    return url.toString();
  }

  private async notificationBody(notification: Notification, { payment, details }: Deposit): Promise<Record<string, unknown>> {
    const amount = formatAmount(payment.amount, payment.assetScale);
    const tx = { txId: payment.id, txRefId: this.txRefId(payment), txTypeId: TX_TYPE_ID, txName: TX_NAME, provider: details.identityProvider };
    switch (notification) {
      case Notification.SIGNIN: {
        const profile = await this.db.reader().findOneOrFail(KycProfile, { id: details.kycProfileId! });
        const kyc = profile.data;
        if (!kyc) throw new Error('The KYC data was purged before signin was answered');
        const previous = await this.previousUserId(profile, payment.id);
        return {
          txRefId: tx.txRefId,
          txId: tx.txId,
          name: kyc.name,
          identityProvider: details.identityProvider,
          iat: Math.floor(profile.identifiedAt!.getTime() / 1000),
          rat: Math.floor(profile.reauthenticatedAt!.getTime() / 1000),
          firstName: kyc.firstName,
          lastName: kyc.lastName,
          personid: kyc.personid,
          gender: kyc.gender,
          street: kyc.street,
          // Spelled so in the seed's signin table.
          City: kyc.city,
          zip: kyc.zip,
          country: kyc.country,
          dob: kyc.dob,
          attributes: { knownUser: previous ? 'true' : 'false', ...(previous ? { userId: previous } : {}) },
        };
      }
      case Notification.AUTHORIZE:
        return { userId: details.userId, txAmount: amount, txAmountCy: payment.assetCode, ...tx, attributes: {} };
      case Notification.TRANSFER:
        return {
          userId: details.userId,
          txAmount: amount,
          txAmountCy: payment.assetCode,
          txPspAmount: amount,
          txPspAmountCy: payment.assetCode,
          fee: formatAmount(0n, payment.assetScale),
          feeCy: payment.assetCode,
          ...tx,
          authCode: details.authCode,
          pspRefId: details.pspRefId,
          maskedAccount: details.maskedAccount,
        };
      case Notification.CANCEL:
        return { userId: details.userId, authCode: details.authCode, txAmount: amount, txAmountCy: payment.assetCode, ...tx, statusCode: details.errorDescription, pspStatusMessage: details.errMsg };
    }
  }

  /** The operator's userId of this player from an earlier sign-in (a known player), if any. */
  private async previousUserId(profile: KycProfile, paymentId: string): Promise<string | null> {
    const earlier = await this.db.reader().findOne(DepositDetails, { kycProfileId: profile.id, userId: { $ne: null }, paymentId: { $ne: paymentId } }, { orderBy: { paymentId: 'desc' } });
    return earlier?.userId ?? null;
  }
}
