import { Authorized, Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { can } from '../access';
import { notAllowed, principal, type Context } from '../graphql/context';
import { MinorUnitsScalar } from '../graphql/scalars';

@ObjectType({ description: 'The books of one asset: balances must sum to zero and match their entries.' })
export class LedgerAssetReport {
  @Field({ description: 'Asset code.' })
  assetCode!: string;

  @Field(() => Int, { description: 'Accounts in this asset, settlement included.' })
  accounts!: number;

  @Field(() => MinorUnitsScalar, { description: 'Sum of all posted balances: "0" when the books balance.' })
  postedSum!: bigint;

  @Field(() => Int, { description: 'Accounts whose stored balances differ from their entries or pending transfers: 0 when sound.' })
  driftingAccounts!: number;
}

@Resolver()
export class LedgerResolver {
  @Authorized()
  @Query(() => [LedgerAssetReport], { description: 'Operator: checks the books of every asset.' })
  async ledgerReport(@Ctx() ctx: Context): Promise<LedgerAssetReport[]> {
    if (!can(principal(ctx), 'read', { kind: 'ledger' })) throw notAllowed('Only the operator reads the books.');
    return ctx.services.db.transaction((tx) => ctx.services.ledger.report(tx));
  }
}
