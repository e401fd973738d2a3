import { Authorized, Ctx, Field, ID, ObjectType, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context';

@ObjectType('Payer', { description: 'A person with a Paygrid login who consented to a client acting for them.' })
export class PayerView {
  @Field(() => ID, { description: 'User id, `usr_…`.' })
  id!: string;

  @Field({ description: 'The name the payer logs in with.' })
  username!: string;

  @Field(() => String, { nullable: true, description: 'The payer’s name, if they gave one.' })
  name!: string | null;
}

@Resolver()
export class UserResolver {
  @Authorized()
  @Query(() => PayerView, {
    nullable: true,
    description: 'The payer your token acts for (a token from their consent, with the `profile` scope); null for a token that acts for no payer.',
  })
  async payer(@Ctx() ctx: Context): Promise<PayerView | null> {
    const userId = ctx.caller!.userId;
    const user = userId ? await ctx.services.users.get(userId) : null;
    return user && { id: user.id, username: user.username, name: user.name };
  }
}
