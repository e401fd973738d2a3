import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A merchant application or the platform operator: credentials and the scopes it may ask for. */
@Entity({ tableName: 'client' })
export class Client {
  @PrimaryKey({ type: 'string', length: 64 })
  id!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  /** SHA-256 of the secret: secrets are 256-bit random values, so a fast hash is enough. */
  @Property({ type: 'string', length: 64 })
  secretHash!: string;

  @Property({ type: 'json' })
  scopes!: string[];

  /** Redirect URIs registered for the authorization code grant, matched exactly (RFC 9700 §2.1). */
  @Property({ type: 'json' })
  redirectUris: string[] = [];

  /** A public client (browser or mobile app) has no usable secret and must use PKCE. */
  @Property({ type: 'boolean' })
  isPublic: boolean = false;

  /**
   * Key that signs webhooks and callbacks to this client (HMAC). Unlike the client secret it must be
   * readable to sign with, so it is a separate value that the client can rotate.
   */
  @Property({ type: 'string', length: 100 })
  webhookSecret!: string;

  /**
   * Where PAYMENT_STATE_UPDATED webhooks of bank payment initiations go (set with `setWebhookUrl`);
   * null: none are sent.
   */
  @Property({ type: 'string', length: 2048, nullable: true })
  webhookUrl: string | null = null;

  /** Set by the operator once the merchant's identity was checked; shown to payers. */
  @Property({ type: 'boolean' })
  verified: boolean = false;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  /** Set by an operator: the client's tokens were revoked and it can get no new one. */
  @Property({ type: 'datetime', nullable: true })
  disabledAt: Date | null = null;

  /** The secret before the last rotation, still accepted until `previousSecretUntil` (the overlap). */
  @Property({ type: 'string', length: 64, nullable: true })
  previousSecretHash: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  previousSecretUntil: Date | null = null;

  /** The webhook key before the last rotation: deliveries carry a signature with it too until `previousWebhookSecretUntil`. */
  @Property({ type: 'string', length: 100, nullable: true })
  previousWebhookSecret: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  previousWebhookSecretUntil: Date | null = null;
}
