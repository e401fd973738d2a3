import { Entity, Index, PrimaryKey, PrimaryKeyProp, Property, Unique } from '@mikro-orm/core';

/** What a 1-Click deposit adds to its payment (one to one, same id). Holds no KYC data: that is the profile's. */
@Entity({ tableName: 'deposit_details' })
export class DepositDetails {
  [PrimaryKeyProp]?: 'paymentId';

  @PrimaryKey({ type: 'string', length: 40 })
  paymentId!: string;

  /** `identity_provider`, e.g. `sandbox-bankid`. */
  @Property({ type: 'string', length: 60 })
  identityProvider!: string;

  /** The registered redirect URI the browser returns to, exactly as in the authorization request. */
  @Property({ type: 'text' })
  redirectUri!: string;

  /** `state` of the authorization request, echoed in the redirect. */
  @Property({ type: 'text', nullable: true })
  clientState: string | null = null;

  /** PKCE (RFC 7636) of the authorization request, carried to the code; null when none was sent. */
  @Property({ type: 'string', length: 64, nullable: true })
  codeChallenge: string | null = null;

  /** The seed's optional parameters: country, ssn, enduser_id, locale, iframe, ui_*, nonce, attributes[…]. */
  @Property({ type: 'json' })
  parameters: Record<string, unknown> = {};

  /** SHA-256 of the key the browser's links carry (its status, continue and return URLs). */
  @Property({ type: 'string', length: 64 })
  browserKeyHash!: string;

  /** The provider's session reference and its page, once started. */
  @Property({ type: 'string', length: 100, nullable: true })
  signInRef: string | null = null;

  @Property({ type: 'text', nullable: true })
  signInUrl: string | null = null;

  /** The player's KYC profile with this operator, once identified. */
  @Index()
  @Property({ type: 'string', length: 40, nullable: true })
  kycProfileId: string | null = null;

  /** The operator's id of the player, from its signin answer. */
  @Property({ type: 'string', length: 50, nullable: true })
  userId: string | null = null;

  /** The operator's signin `sessionId`, echoed on the redirect. */
  @Property({ type: 'string', length: 200, nullable: true })
  sessionId: string | null = null;

  /** The operator's authorize `authCode`, sent back in cancel and transfer. */
  @Property({ type: 'string', length: 200, nullable: true })
  authCode: string | null = null;

  @Property({ type: 'string', length: 200, nullable: true })
  merchantTxId: string | null = null;

  /** The provider's payment step, once started. */
  @Property({ type: 'string', length: 100, nullable: true })
  paymentRef: string | null = null;

  @Property({ type: 'text', nullable: true })
  paymentUrl: string | null = null;

  /** The provider's reference of the money received, and the account it came from. */
  @Property({ type: 'string', length: 100, nullable: true })
  pspRefId: string | null = null;

  @Property({ type: 'string', length: 40, nullable: true })
  maskedAccount: string | null = null;

  /** The ledger transfer settlement → operator account. */
  @Property({ type: 'string', length: 40, nullable: true })
  ledgerTransferId: string | null = null;

  /** RFC 6749 error of a failed deposit (access_denied…), the PaymentIQ status name, and the operator's own errCode/errMsg. */
  @Property({ type: 'string', length: 40, nullable: true })
  error: string | null = null;

  @Property({ type: 'string', length: 60, nullable: true })
  errorDescription: string | null = null;

  @Property({ type: 'string', length: 100, nullable: true })
  errCode: string | null = null;

  @Property({ type: 'string', length: 500, nullable: true })
  errMsg: string | null = null;

  /** The authorization code issued for the redirect (its id; the code itself is only in the redirect). */
  @Unique()
  @Property({ type: 'string', length: 40, nullable: true })
  authorizationCodeId: string | null = null;
}

/** Where an operator (a client) receives its 1-Click notifications: base URL and path prefix (`/api` or `/paymentiq`). */
@Entity({ tableName: 'one_click_operator' })
export class OneClickOperator {
  [PrimaryKeyProp]?: 'clientId';

  @PrimaryKey({ type: 'string', length: 64 })
  clientId!: string;

  @Property({ type: 'string', length: 2048 })
  baseUrl!: string;

  @Property({ type: 'string', length: 100 })
  pathPrefix!: string;

  @Property({ type: 'datetime' })
  updatedAt!: Date;
}
