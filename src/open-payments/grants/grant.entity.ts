import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import type { Ed25519Jwk } from '../wallet-addresses/wallet-address.entity';
import type { StoredAccessItem } from './grant-request';

/** A grant's life, as Rafiki's auth server names it. */
export enum GrantState {
  /** Interactive: requested, the account holder has not opened the interaction yet. */
  PROCESSING = 'processing',
  /** Interactive: the account holder is looking at the consent page. */
  PENDING = 'pending',
  /** Approved (non-interactive grants start here): its access token works. */
  APPROVED = 'approved',
  /** Over; the finalization reason says how. */
  FINALIZED = 'finalized',
}

export enum GrantFinalization {
  /** Interactive: the client continued and got its access token, which keeps working. */
  ISSUED = 'issued',
  /** Cancelled by the client or revoked by the account holder or operator: its tokens are dead. */
  REVOKED = 'revoked',
  /** Denied by the account holder, or the interaction expired. */
  REJECTED = 'rejected',
}

/**
 * One GNAP grant: what a client asked for, for which wallet address, who approved it, and the
 * continuation and interaction secrets (stored as hashes).
 */
@Entity({ tableName: 'gnap_grant' })
@Index({ properties: ['accountId', 'id'] })
export class GnapGrant {
  /** `grant_…`; also the id in the continue and interaction URLs. */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Enum({ items: () => GrantState, type: 'string' })
  state!: GrantState;

  @Enum({ items: () => GrantFinalization, type: 'string', nullable: true })
  finalizationReason: GrantFinalization | null = null;

  /** The client's wallet address URL; null for a directed-identity client known by its key alone. */
  @Property({ type: 'text', nullable: true })
  clientWalletAddress: string | null = null;

  /** The directed-identity client's own key (non-interactive grants only). */
  @Property({ type: 'json', nullable: true })
  clientJwk: Ed25519Jwk | null = null;

  /** kid of the key that signed the request: later requests of this grant must be signed with it. */
  @Property({ type: 'string', length: 200 })
  clientKeyId!: string;

  /** The client wallet address's public name when the grant was requested, for the consent page. */
  @Property({ type: 'string', length: 200, nullable: true })
  clientName: string | null = null;

  @Property({ type: 'json' })
  access!: StoredAccessItem[];

  /** The account of the wallet address the access names (its identifier), when it is ours. */
  @Property({ type: 'string', length: 40, nullable: true })
  accountId: string | null = null;

  /** The grant endpoint exactly as the client addressed it: the last line of the finish hash. */
  @Property({ type: 'text' })
  authServerUrl!: string;

  @Property({ type: 'string', length: 64 })
  continueTokenHash!: string;

  /** No continuation is answered before this (the `wait` the client was given). */
  @Property({ type: 'datetime' })
  continueNotBefore!: Date;

  /** Where the browser is sent back when the interaction ends. */
  @Property({ type: 'text', nullable: true })
  finishUri: string | null = null;

  @Property({ type: 'string', length: 200, nullable: true })
  clientNonce: string | null = null;

  /** Our nonce: in the interaction URL and, as `interact.finish`, in the hash. */
  @Property({ type: 'string', length: 64, nullable: true })
  interactNonce: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  interactionExpiresAt: Date | null = null;

  /** Hash of the interaction reference handed to the client on approval; null once used. */
  @Index()
  @Property({ type: 'string', length: 64, nullable: true })
  interactRefHash: string | null = null;

  /** Set once an interaction reference was handed out, so that a reused one is told apart from none. */
  @Property({ type: 'boolean' })
  interactRefUsed: boolean = false;

  @Property({ type: 'string', length: 40, nullable: true })
  approvedByUserId: string | null = null;

  /** The account holder who denied it, the user or client id that revoked it, or `client` when the client cancelled. */
  @Property({ type: 'string', length: 64, nullable: true })
  finalizedBy: string | null = null;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Property({ type: 'datetime' })
  updatedAt!: Date;
}

/** An access token of a grant. Rotation replaces it with a new one (new value, new manage URL). */
@Entity({ tableName: 'gnap_access_token' })
@Index({ properties: ['grantId'] })
export class GnapAccessToken {
  /** `gtok_…`; the id in the token management URL. */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  grantId!: string;

  @Unique()
  @Property({ type: 'string', length: 64 })
  valueHash!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** Revoked, or rotated away. */
  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'datetime' })
  createdAt!: Date;
}
