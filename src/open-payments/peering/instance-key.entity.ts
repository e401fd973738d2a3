import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { Ed25519Jwk } from '../wallet-addresses/wallet-address.entity';

/**
 * The instance's own Ed25519 key, generated on first start: it signs what this instance sends as
 * an Open Payments client and its peer transfers; its public half is at `/.well-known/pay/jwks.json`.
 */
@Entity({ tableName: 'instance_key' })
export class InstanceKey {
  /** Always `instance`: one key per instance. */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 200 })
  kid!: string;

  /** PKCS#8 PEM. */
  @Property({ type: 'text' })
  privateKey!: string;

  @Property({ type: 'json' })
  jwk!: Ed25519Jwk;

  @Property({ type: 'datetime' })
  createdAt!: Date;
}
