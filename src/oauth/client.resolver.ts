import { Ctx, Field, ID, ObjectType, Query, Resolver } from 'type-graphql';
import { can } from '../access';
import { notAllowed, requirePrincipal, type Context } from '../graphql/context';

@ObjectType('Client', { description: 'A merchant application or the platform operator.' })
export class ClientView {
  @Field(() => ID, { description: 'The client id used with OAuth2.' })
  id!: string;

  @Field({ description: 'Name shown to payers on consent and checkout pages.' })
  name!: string;

  @Field({ description: 'Whether the operator checked who runs this client; payers see it.' })
  verified!: boolean;

  @Field(() => [String], { description: 'Scopes the client may ask for.' })
  scopes!: string[];

  @Field(() => [String], { description: 'Redirect URIs registered for the authorization code grant.' })
  redirectUris!: string[];

  @Field(() => String, {
    nullable: true,
    description:
      'Key that signs your webhooks and callbacks (Standard Webhooks `whsec_…`; also the HMAC key of `iumicash-signature` and `BI-Signature`). Shown only to your own client-credentials token holding a scope that creates what sends them (payments:write, payments:admin or orders:write); null for any other token.',
  })
  webhookSecret!: string | null;

  @Field(() => String, { nullable: true, description: 'Where your PAYMENT_STATE_UPDATED webhooks go (set with setWebhookUrl); null: none are sent.' })
  webhookUrl!: string | null;
}

@Resolver(() => ClientView)
export class ClientResolver {
  @Query(() => ClientView, { description: 'The client your token belongs to.' })
  async viewer(@Ctx() ctx: Context): Promise<ClientView> {
    const caller = requirePrincipal(ctx, 'Query.viewer');
    const self = { kind: 'client', client: { id: caller.clientId } } as const;
    if (!can(caller, 'read', self)) throw notAllowed('This token does not belong to a client.');
    const client = (await ctx.services.tokens.findClient(caller.clientId))!;
    return {
      id: client.id,
      name: client.name,
      verified: client.verified,
      scopes: client.scopes,
      redirectUris: client.redirectUris,
      webhookSecret: can(caller, 'readSecret', self) ? client.webhookSecret : null,
      webhookUrl: client.webhookUrl,
    };
  }
}
