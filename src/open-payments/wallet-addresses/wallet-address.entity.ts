import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** The longest public name and slug: their columns' widths. */
export const PUBLIC_NAME_MAX = 200;
export const SLUG_MAX = 64;

/**
 * The Open Payments identity of an account: `{base}/wallet/{slug}`, public, one per account. Its
 * asset is the account's; its public name is what consent pages show of it as a client.
 */
@Entity({ tableName: 'wallet_address' })
export class WalletAddress {
  /** `wa_…`. */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Unique()
  @Property({ type: 'string', length: 40 })
  accountId!: string;

  @Unique()
  @Property({ type: 'string', length: SLUG_MAX })
  slug!: string;

  @Property({ type: 'string', length: PUBLIC_NAME_MAX })
  publicName!: string;

  @Property({ type: 'datetime' })
  createdAt!: Date;
}

/** The public JWK of an Ed25519 key, as Open Payments publishes it. */
export interface Ed25519Jwk {
  kid: string;
  alg: 'EdDSA';
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  use?: 'sig';
}

/** A public key the holder of a wallet address signs its Open Payments requests with. */
@Entity({ tableName: 'wallet_address_key' })
@Unique({ properties: ['walletAddressId', 'kid'] })
@Index({ properties: ['walletAddressId'] })
export class WalletAddressKey {
  /** `wak_…`. */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  walletAddressId!: string;

  @Property({ type: 'string', length: 200 })
  kid!: string;

  @Property({ type: 'json' })
  jwk!: Ed25519Jwk;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  /** Once revoked the key is no longer published and verifies nothing. */
  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;
}
