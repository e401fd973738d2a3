import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * An authorization code (RFC 6749 §4.1.2): a payer's consent, waiting for its client to exchange it.
 * Single use: `usedAt` is set by a conditional update, so of two exchanges one wins and the other is
 * a reuse. Its id is the rotation family of every token issued from it, which a reuse revokes.
 */
@Entity({ tableName: 'authorization_code' })
export class AuthorizationCode {
  /** `azc_…`; also the `familyId` of the tokens issued from this code. */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  /** SHA-256 of the code; the code itself is only ever in the redirect. */
  @Property({ type: 'string', length: 64, unique: true })
  codeHash!: string;

  @Index()
  @Property({ type: 'string', length: 64 })
  clientId!: string;

  /** The payer who consented. */
  @Property({ type: 'string', length: 40 })
  userId!: string;

  /** The redirect URI of the authorization request; the token request must repeat it exactly. */
  @Property({ type: 'text' })
  redirectUri!: string;

  @Property({ type: 'json' })
  scopes!: string[];

  /** PKCE (RFC 7636): BASE64URL(SHA-256(code_verifier)); null when the client sent none. */
  @Property({ type: 'string', length: 64, nullable: true })
  codeChallenge: string | null = null;

  /** Always `S256` when there is a challenge: `plain` is refused at the authorization endpoint. */
  @Property({ type: 'string', length: 10, nullable: true })
  codeChallengeMethod: string | null = null;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** When the code was presented; a second presentation is a reuse. */
  @Property({ type: 'datetime', nullable: true })
  usedAt: Date | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
