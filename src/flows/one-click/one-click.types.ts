import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Amount, IDEMPOTENCY_KEY_DESCRIPTION, UserError, amountOf } from '../../graphql/common.types';
import { PaymentState } from '../../payments/payment.entity';
import type { KycProfile } from './kyc-profile.entity';
import type { OneClickOperator } from './deposit.entity';
import { DepositState } from './deposit.states';
import type { Deposit, NotificationRecord } from './one-click.service';

registerEnumType(DepositState, {
  name: 'DepositState',
  description:
    '1-Click deposit: started → identified → signed_in → authorized → deposited → completed; or rejected (identity or sign-in refused), declined (authorize declined), cancelled (stopped after authorize, or by the operator). No money moves unless deposited.',
});

@InputType({ description: 'Opens a 1-Click sign-up and deposit session (what /oauth/authorize does with identity_provider).' })
export class StartDepositInput {
  @Field({ description: '`identity_provider`, e.g. `sandbox-bankid`.' })
  identityProvider!: string;
  @Field({ description: 'Decimal amount, e.g. "100.50"; no more decimals than the currency has.' })
  amount!: string;
  @Field({ description: 'ISO 4217 code; you need an account in it to receive the deposit.' })
  currency!: string;
  @Field({ description: 'One of your registered redirect URIs, exactly; the browser returns there with the code or the error.' })
  redirectUri!: string;
  @Field(() => String, { nullable: true, description: 'Echoed as `state` in the redirect.' })
  state?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2 country of the player.' })
  country?: string | null;
  @Field(() => String, { nullable: true, description: 'Locale, e.g. sv_SE.' })
  locale?: string | null;
  @Field(() => String, { nullable: true, description: 'The national id the player must have: another person is a mismatch.' })
  ssn?: string | null;
  @Field(() => String, { nullable: true, description: 'Your id of the player, when you know it.' })
  enduserId?: string | null;
  @Field({ description: IDEMPOTENCY_KEY_DESCRIPTION })
  idempotencyKey!: string;
}

@InputType({ description: 'Cancels a deposit session before the player pays.' })
export class CancelDepositInput {
  @Field(() => ID, { description: 'The deposit, `pay_…`.' })
  paymentId!: string;
}

@InputType({ description: 'Where your 1-Click notifications go: `{baseUrl}{pathPrefix}/signin|authorize|transfer|cancel`.' })
export class OneClickOperatorInput {
  @Field(() => String, { nullable: true, description: 'Absolute http(s) URL of your backend; null stops 1-Click for you.' })
  baseUrl?: string | null;
  @Field(() => String, { nullable: true, description: '`/api` (default, as the 1-Click pages) or `/paymentiq` (as the Integration API), or another.' })
  pathPrefix?: string | null;
}

@ObjectType('DepositNotification', { description: 'One notification to the operator, with its tries and the answer.' })
export class NotificationView {
  @Field({ description: 'signin, authorize, transfer or cancel.' })
  notification!: string;
  @Field({ description: 'in_flight, failed (no usable answer yet: retried with backoff) or answered.' })
  state!: string;
  @Field(() => Int, { description: 'Tries so far.' })
  tries!: number;
  @Field(() => String, { nullable: true, description: 'Why the last try got no usable answer.' })
  lastError!: string | null;
  @Field(() => Boolean, { nullable: true, description: 'The operator’s `success`, once answered.' })
  success!: boolean | null;
  @Field(() => String, { nullable: true, description: 'The operator’s errCode.' })
  errCode!: string | null;
  @Field(() => String, { nullable: true, description: 'The operator’s errMsg.' })
  errMsg!: string | null;
  @Field({ description: 'When it was first sent.' })
  createdAt!: Date;
  @Field(() => Date, { nullable: true, description: 'When it was answered.' })
  answeredAt!: Date | null;
}

@ObjectType('Deposit', { description: 'A 1-Click sign-up and deposit: the player identified at an identity provider and paid there; the money is in your account.' })
export class DepositView {
  @Field(() => ID, { description: 'Payment id, `pay_…` (the notifications’ txId).' })
  id!: string;
  @Field(() => DepositState, { description: 'State in the deposit’s own vocabulary.' })
  state!: DepositState;
  @Field(() => PaymentState, { description: 'State in the vocabulary shared by every flow.' })
  unifiedState!: PaymentState;
  @Field(() => Amount, { description: 'The deposit.' })
  amount!: Amount;
  @Field({ description: 'The identity provider.' })
  identityProvider!: string;
  @Field(() => ID, { description: 'Your account that receives it.' })
  accountId!: string;
  @Field(() => String, { nullable: true, description: 'Your userId of the player (your signin answer).' })
  userId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The player’s KYC profile (query kycProfile).' })
  kycProfileId!: string | null;
  @Field(() => String, { nullable: true, description: 'OAuth2 error of a failed deposit (access_denied).' })
  error!: string | null;
  @Field(() => String, { nullable: true, description: 'PaymentIQ status name, e.g. err_not_authenticated, err_declined.' })
  errorDescription!: string | null;
  @Field(() => String, { nullable: true, description: 'Your errCode, when you refused.' })
  errCode!: string | null;
  @Field(() => String, { nullable: true, description: 'Your errMsg, or the provider’s message.' })
  errMsg!: string | null;
  @Field(() => String, { nullable: true, description: 'The provider’s reference of the money received.' })
  pspRefId!: string | null;
  @Field(() => String, { nullable: true, description: 'The account it was paid from, masked.' })
  maskedAccount!: string | null;
  @Field(() => [NotificationView], { description: 'The notifications sent to you, in order.' })
  notifications!: NotificationView[];
  @Field(() => Int, { description: 'Sequence number of the latest event of the payment.' })
  lastSequence!: number;
  @Field({ description: 'When it was started.' })
  createdAt!: Date;
  @Field({ description: 'When it last changed.' })
  updatedAt!: Date;
}

export function depositView({ payment, details }: Deposit, notifications: NotificationRecord[]): DepositView {
  return {
    id: payment.id,
    state: payment.flowState as DepositState,
    unifiedState: payment.state,
    amount: amountOf(payment.amount, payment.assetCode, payment.assetScale),
    identityProvider: details.identityProvider,
    accountId: payment.beneficiaryAccountId!,
    userId: details.userId,
    kycProfileId: details.kycProfileId,
    error: details.error,
    errorDescription: details.errorDescription,
    errCode: details.errCode,
    errMsg: details.errMsg,
    pspRefId: details.pspRefId,
    maskedAccount: details.maskedAccount,
    notifications: notifications.map((n) => ({
      notification: n.notification,
      state: n.state,
      tries: n.tries,
      lastError: n.lastError,
      success: n.answer?.success ?? null,
      errCode: n.answer?.errCode ?? null,
      errMsg: n.answer?.errMsg ?? null,
      createdAt: n.createdAt,
      answeredAt: n.answeredAt,
    })),
    lastSequence: payment.lastSequence,
    createdAt: payment.createdAt,
    updatedAt: payment.updatedAt,
  };
}

@ObjectType('KycProfile', { description: 'A player’s KYC data from an identity provider, as you received it; kept KYC_RETENTION_DAYS after the last identification, then purged (fields null).' })
export class KycProfileView {
  @Field(() => ID, { description: '`kyc_…`.' })
  id!: string;
  @Field({ description: 'The identity provider.' })
  identityProvider!: string;
  @Field(() => String, { nullable: true, description: 'Your userId of the player.' })
  userId!: string | null;
  @Field(() => String, { nullable: true, description: 'Full name.' })
  name!: string | null;
  @Field(() => String, { nullable: true, description: 'First name.' })
  firstName!: string | null;
  @Field(() => String, { nullable: true, description: 'Last name.' })
  lastName!: string | null;
  @Field(() => String, { nullable: true, description: 'National identity number (`personid`).' })
  personid!: string | null;
  @Field(() => String, { nullable: true, description: 'Birth date, YYYY-MM-DD.' })
  dob!: string | null;
  @Field(() => String, { nullable: true, description: 'MALE, FEMALE, X or UNKNOWN.' })
  gender!: string | null;
  @Field(() => String, { nullable: true, description: 'Street.' })
  street!: string | null;
  @Field(() => String, { nullable: true, description: 'City.' })
  city!: string | null;
  @Field(() => String, { nullable: true, description: 'Postal code.' })
  zip!: string | null;
  @Field(() => String, { nullable: true, description: 'Country, ISO 3166-1 alpha-3.' })
  country!: string | null;
  @Field(() => String, { nullable: true, description: 'Email.' })
  email!: string | null;
  @Field(() => String, { nullable: true, description: 'Mobile number.' })
  mobile!: string | null;
  @Field(() => Date, { nullable: true, description: 'When the provider identified the player last.' })
  identifiedAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'When the data will be purged; null once it was.' })
  expiresAt!: Date | null;
}

export function kycProfileView(p: KycProfile): KycProfileView {
  const d = p.data;
  return {
    id: p.id,
    identityProvider: p.identityProvider,
    userId: p.userId,
    name: d?.name ?? null,
    firstName: d?.firstName ?? null,
    lastName: d?.lastName ?? null,
    personid: d?.personid ?? null,
    dob: d?.dob ?? null,
    gender: d?.gender ?? null,
    street: d?.street ?? null,
    city: d?.city ?? null,
    zip: d?.zip ?? null,
    country: d?.country ?? null,
    email: d?.email ?? null,
    mobile: d?.mobile ?? null,
    identifiedAt: p.identifiedAt,
    expiresAt: p.expiresAt,
  };
}

@ObjectType({ description: 'The result of startDeposit.' })
export class StartDepositPayload {
  @Field(() => DepositView, { nullable: true, description: 'The deposit (state started).' })
  deposit!: DepositView | null;
  @Field(() => String, { nullable: true, description: 'Where to send the player’s browser: the identity provider’s page (`redirectOutput.url`).' })
  redirectUrl!: string | null;
  @Field(() => String, { nullable: true, description: 'JSON status of the session, for polling (`links.statusUrl`).' })
  statusUrl!: string | null;
  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}

@ObjectType({ description: 'The result of cancelDeposit.' })
export class DepositPayload {
  @Field(() => DepositView, { nullable: true, description: 'The deposit, as it is after the mutation.' })
  deposit!: DepositView | null;
  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}

@ObjectType('OneClickOperator', { description: 'Where your 1-Click notifications go.' })
export class OneClickOperatorView {
  @Field({ description: 'Base URL.' })
  baseUrl!: string;
  @Field({ description: 'Path prefix, e.g. /api.' })
  pathPrefix!: string;
}

export const operatorView = (o: OneClickOperator): OneClickOperatorView => ({ baseUrl: o.baseUrl, pathPrefix: o.pathPrefix });

@ObjectType({ description: 'The result of setOneClickOperator.' })
export class OneClickOperatorPayload {
  @Field(() => OneClickOperatorView, { nullable: true, description: 'The endpoint now; null: none.' })
  operator!: OneClickOperatorView | null;
  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}
