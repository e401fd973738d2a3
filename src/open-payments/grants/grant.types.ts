import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Amount, ConnectionType, UserError, amountOf } from '../../graphql/common.types';
import { GnapGrant, GrantFinalization, GrantState } from './grant.entity';
import type { StoredAccessItem } from './grant-request';

registerEnumType(GrantState, { name: 'GrantState', description: 'Where a GNAP grant is in its life.' });
registerEnumType(GrantFinalization, { name: 'GrantFinalizationReason', description: 'How a finalized GNAP grant ended.' });

@ObjectType({ description: 'The spending limits of outgoing-payment access.' })
export class GrantLimits {
  @Field(() => Amount, { nullable: true, description: 'Most the client may debit per interval.' })
  debitAmount!: Amount | null;

  @Field(() => Amount, { nullable: true, description: 'Most the receivers may receive per interval.' })
  receiveAmount!: Amount | null;

  @Field(() => String, { nullable: true, description: 'The only incoming payment the client may pay.' })
  receiver!: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 8601 repeating interval the amounts apply to, e.g. R/2026-01-01T00:00:00Z/P1M.' })
  interval!: string | null;
}

@ObjectType({ description: 'One right of a grant: a type of resource, the actions, the wallet address, limits.' })
export class GrantAccessItem {
  @Field({ description: '`incoming-payment`, `outgoing-payment` or `quote`.' })
  type!: string;

  @Field(() => [String], { description: 'Actions: create, complete, read, read-all, list, list-all.' })
  actions!: string[];

  @Field(() => String, { nullable: true, description: 'The wallet address the access is restricted to.' })
  identifier!: string | null;

  @Field(() => GrantLimits, { nullable: true, description: 'Spending limits (outgoing payments).' })
  limits!: GrantLimits | null;
}

@ObjectType('Grant', { description: 'An Open Payments (GNAP) grant: what a client may do with a wallet address, approved by whom.' })
export class GrantView {
  @Field(() => ID, { description: 'Grant id, `grant_…`.' })
  id!: string;

  @Field(() => GrantState, { description: 'State.' })
  state!: GrantState;

  @Field(() => GrantFinalization, { nullable: true, description: 'How it ended, once finalized.' })
  finalizationReason!: GrantFinalization | null;

  @Field(() => String, { nullable: true, description: 'The client’s wallet address URL; null for a client known only by its key.' })
  client!: string | null;

  @Field(() => String, { nullable: true, description: 'The client’s public name when it asked.' })
  clientName!: string | null;

  @Field(() => [GrantAccessItem], { description: 'The rights asked for and granted.' })
  access!: GrantAccessItem[];

  @Field(() => ID, { nullable: true, description: 'The account the grant’s wallet address belongs to.' })
  accountId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The account holder who approved it (interactive grants).' })
  approvedByUserId!: string | null;

  @Field({ description: 'When it was requested.' })
  createdAt!: Date;
}

const amountView = (a: { value: string; assetCode: string; assetScale: number } | undefined) => (a ? amountOf(BigInt(a.value), a.assetCode, a.assetScale) : null);

export function grantView(grant: GnapGrant): GrantView {
  return {
    id: grant.id,
    state: grant.state,
    finalizationReason: grant.finalizationReason,
    client: grant.clientWalletAddress,
    clientName: grant.clientName,
    accountId: grant.accountId,
    approvedByUserId: grant.approvedByUserId,
    createdAt: grant.createdAt,
    access: grant.access.map((item: StoredAccessItem) => ({
      type: item.type,
      actions: item.actions,
      identifier: item.identifier ?? null,
      limits: item.limits
        ? { debitAmount: amountView(item.limits.debitAmount), receiveAmount: amountView(item.limits.receiveAmount), receiver: item.limits.receiver ?? null, interval: item.limits.interval ?? null }
        : null,
    })),
  };
}

export const GrantConnection = ConnectionType('Grant', GrantView);
export type GrantConnection = InstanceType<typeof GrantConnection>;

@InputType({ description: 'Revokes a grant: its access tokens stop working at once.' })
export class RevokeGrantInput {
  @Field(() => ID, { description: 'Grant id, `grant_…`.' })
  grantId!: string;
}

@ObjectType({ description: 'The revoked grant, or why not.' })
export class RevokeGrantPayload {
  @Field(() => GrantView, { nullable: true, description: 'The grant, finalized as revoked; null on error.' })
  grant!: GrantView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}

