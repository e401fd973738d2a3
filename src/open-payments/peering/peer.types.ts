import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { SettlementDirection } from './peer.service';
import { UserError } from '../../graphql/common.types';
import { MinorUnitsScalar } from '../../graphql/scalars';
import { JwkInput } from '../wallet-addresses/wallet-address.types';
import type { Peer } from './peer.entity';

@ObjectType({ description: 'Another Paygrid instance this one settles with.' })
export class PeerView {
  @Field(() => ID, { description: '`peer_…`.' })
  id!: string;

  @Field({ description: 'The operator’s name for it.' })
  name!: string;

  @Field({ description: 'Scheme, host and port of its Open Payments servers.' })
  opOrigin!: string;

  @Field({ description: 'The one asset both instances settle in.' })
  assetCode!: string;

  @Field({ description: 'Minor units per major unit, as a power of ten.' })
  assetScale!: number;

  @Field(() => MinorUnitsScalar, { description: 'The most it may owe this instance, in minor units.' })
  creditLimit!: bigint;

  @Field({ description: 'Its instance wallet address.' })
  walletAddress!: string;

  @Field(() => [String], { description: 'The key ids its signed requests may use.' })
  keyIds!: string[];

  @Field(() => ID, { description: 'The account here that stands for it (its position).' })
  accountId!: string;

  @Field(() => MinorUnitsScalar, { description: 'What it owes this instance (negative: what this instance owes it), in minor units.' })
  position!: bigint;
}

export function peerView(peer: Peer, position: bigint): PeerView {
  return {
    id: peer.id,
    name: peer.name,
    opOrigin: peer.opOrigin,
    assetCode: peer.assetCode,
    assetScale: peer.assetScale,
    creditLimit: peer.creditLimit,
    walletAddress: peer.walletAddressUrl,
    keyIds: peer.keys.map((k) => k.kid),
    accountId: peer.accountId,
    position,
  };
}

@InputType({ description: 'A peer instance: where it is, the asset and credit line, and how its requests are signed.' })
export class CreatePeerInput {
  @Field({ description: 'A name for it, 1 to 200 characters.' })
  name!: string;

  @Field({ description: 'The origin of its Open Payments servers, e.g. `http://127.0.0.1:4842`.' })
  opOrigin!: string;

  @Field({ description: 'The ISO 4217 code of the asset both settle in.' })
  assetCode!: string;

  @Field({ description: 'The most it may owe this instance, a decimal in major units, e.g. "500.00".' })
  creditLimit!: string;

  @Field({ description: 'Its instance wallet address URL.' })
  walletAddress!: string;

  @Field(() => [JwkInput], { description: 'The Ed25519 public keys it signs with (kids unique across peers).' })
  keys!: JwkInput[];
}

@ObjectType({ description: 'The peer, or why not.' })
export class PeerPayload {
  @Field(() => PeerView, { nullable: true, description: 'The peer; null on error.' })
  peer!: PeerView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}

@ObjectType({ description: 'The position with one peer as both books show it.' })
export class PeerPositionView {
  @Field(() => PeerView, { description: 'The peer.' })
  peer!: PeerView;

  @Field(() => MinorUnitsScalar, { description: 'What it owes this instance, in this instance’s books.' })
  position!: bigint;

  @Field(() => MinorUnitsScalar, { nullable: true, description: 'What this instance owes it, in its books (fetched, signed); null when it cannot be reached.' })
  peerPosition!: bigint | null;

  @Field(() => MinorUnitsScalar, { nullable: true, description: 'position + peerPosition: "0" when the two books mirror.' })
  difference!: bigint | null;
}

registerEnumType(SettlementDirection, { name: 'SettlementDirection', description: 'Who paid whom outside Paygrid.' });

@InputType({ description: 'Money that moved between this instance and a peer out of band.' })
export class RecordPeerSettlementInput {
  @Field(() => ID, { description: 'The peer, `peer_…`.' })
  peerId!: string;

  @Field({ description: 'A positive decimal in major units, e.g. "25.00".' })
  amount!: string;

  @Field(() => SettlementDirection, { description: '`received`: the peer paid this instance; `paid`: this instance paid the peer.' })
  direction!: SettlementDirection;

  @Field(() => String, { nullable: true, description: 'The outside payment’s reference, at most 200 characters.' })
  reference?: string | null;

  @Field({ description: 'A repeat with the same key changes nothing.' })
  idempotencyKey!: string;
}
