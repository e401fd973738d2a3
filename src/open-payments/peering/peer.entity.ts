import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { MoneyType } from '../../persistence/money-type';
import type { Ed25519Jwk } from '../wallet-addresses/wallet-address.entity';

/**
 * Another Paygrid instance this one settles with: where its Open Payments live, the one asset both
 * sides settle in, how much it may owe us (the credit line), and how its requests are authenticated
 * (its instance wallet address and the public keys it signs with). Its account here is the
 * position between the two instances: negative when it owes us.
 */
@Entity({ tableName: 'peer' })
export class Peer {
  /** `peer_…`. */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  /** Scheme, host and port of its Open Payments resource and authorization servers. */
  @Unique()
  @Property({ type: 'string', length: 300 })
  opOrigin!: string;

  @Property({ type: 'string', length: 10 })
  assetCode!: string;

  @Property({ type: 'integer' })
  assetScale!: number;

  /** The most it may owe us, in minor units: a transfer beyond it is refused before anything moves. */
  @Property({ type: MoneyType })
  creditLimit!: bigint;

  @Property({ type: 'text' })
  walletAddressUrl!: string;

  /** Its public keys: a peer request must be signed with one of them. */
  @Property({ type: 'json' })
  keys!: Ed25519Jwk[];

  /** The account (kind settlement: it stands for the peer) that mirrors its books' account for us. */
  @Unique()
  @Property({ type: 'string', length: 40 })
  accountId!: string;

  @Property({ type: 'datetime' })
  createdAt!: Date;
}

/**
 * A transfer a peer sent us, by its own id: the receiving side of an idempotent peer transfer. A
 * repeat of the id gets the stored answer and moves nothing.
 */
@Entity({ tableName: 'peer_transfer' })
@Unique({ properties: ['peerId', 'transferId'] })
@Index({ properties: ['incomingPaymentId'] })
export class PeerTransfer {
  /** `ptr_…`. */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  peerId!: string;

  /** The sender's id for the transfer (its idempotency key), 1 to 100 characters. */
  @Property({ type: 'string', length: 100 })
  transferId!: string;

  @Property({ type: 'string', length: 40 })
  incomingPaymentId!: string;

  @Property({ type: MoneyType })
  amount!: bigint;

  /** The sender's outgoing payment URL, for the receiver's events. */
  @Property({ type: 'text' })
  outgoingPayment!: string;

  /** The ledger transfer that credited the receiver. */
  @Property({ type: 'string', length: 40 })
  ledgerTransferId!: string;

  @Property({ type: 'datetime' })
  createdAt!: Date;
}
