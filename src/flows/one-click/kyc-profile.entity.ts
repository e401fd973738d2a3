import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import type { KycData } from '../../providers/identity/identity-provider';

/**
 * A player's KYC data as one operator received it from an identity provider: personal data, kept
 * only until `expiresAt` (KYC_RETENTION_DAYS after the last identification), then purged; never
 * logged; readable only by that operator. The person is found again by a hash of provider and
 * national id, which outlives the purge, so a known player stays known.
 */
@Entity({ tableName: 'kyc_profile' })
@Unique({ properties: ['clientId', 'subjectHash'] })
export class KycProfile {
  /** `kyc_…`; also the `userId` of the authorization codes and tokens issued for the player. */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Index()
  @Property({ type: 'string', length: 64 })
  clientId!: string;

  /** SHA-256 of `identityProvider:personid`. */
  @Property({ type: 'string', length: 64 })
  subjectHash!: string;

  @Property({ type: 'string', length: 60 })
  identityProvider!: string;

  /** The operator's id of the player (its signin answer). */
  @Property({ type: 'string', length: 50, nullable: true })
  userId: string | null = null;

  /** Null once purged. */
  @Property({ type: 'json', nullable: true })
  data: KycData | null = null;

  /** When the provider identified the player (`iat`, `rat`). */
  @Property({ type: 'datetime', nullable: true })
  identifiedAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  reauthenticatedAt: Date | null = null;

  @Index()
  @Property({ type: 'datetime', nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: 'datetime' })
  createdAt!: Date;
}
