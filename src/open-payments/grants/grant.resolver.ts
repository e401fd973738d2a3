import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { PageArgs } from '../../accounts/account.resolver';
import { connectionOf } from '../../graphql/common.types';
import { principal, type Context } from '../../graphql/context';
import { mutate } from '../../graphql/mutation';
import { GrantConnection, GrantView, RevokeGrantInput, RevokeGrantPayload, grantView } from './grant.types';

@Resolver(() => GrantView)
export class GrantResolver {
  @Authorized()
  @Query(() => GrantView, { nullable: true, description: 'A GNAP grant naming a wallet address of one of your accounts (any, for the operator); null otherwise.' })
  async grant(@Arg('id', () => ID, { description: 'Grant id, `grant_…`.' }) id: string, @Ctx() ctx: Context): Promise<GrantView | null> {
    const grant = await ctx.services.grants.get(principal(ctx), id);
    return grant && grantView(grant);
  }

  @Authorized()
  @Query(() => GrantConnection, { description: 'The GNAP grants naming wallet addresses of your accounts (all of them, for the operator), newest first.' })
  async grants(@Args() page: PageArgs, @Ctx() ctx: Context): Promise<GrantConnection> {
    return connectionOf(await ctx.services.grants.list(principal(ctx), page), grantView);
  }

  @Authorized()
  @Mutation(() => RevokeGrantPayload, { description: 'Revokes a grant on one of your wallet addresses (operator: any): it is finalized as revoked and its tokens stop working.' })
  async revokeGrant(@Arg('input', { description: 'The grant.' }) input: RevokeGrantInput, @Ctx() ctx: Context): Promise<RevokeGrantPayload> {
    return mutate<RevokeGrantPayload>(async () => ({ grant: grantView(await ctx.services.grants.revoke(principal(ctx), input.grantId)) }), { grant: null });
  }
}
