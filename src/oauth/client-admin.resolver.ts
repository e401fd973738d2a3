import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { PageArgs } from '../accounts/account.resolver';
import { connectionOf } from '../graphql/common.types';
import { principal, type Context } from '../graphql/context';
import { mutate } from '../graphql/mutation';
import {
  ClientSecretPayload,
  CreateClientInput,
  DisableClientInput,
  ManagedClientConnection,
  ManagedClientPayload,
  ManagedClientView,
  RotateSecretInput,
  UpdateClientInput,
  managedClientView,
} from './client-admin.types';

/** Operators manage clients (clients:manage); the service decides, this only translates. */
@Resolver(() => ManagedClientView)
export class ClientAdminResolver {
  @Authorized()
  @Query(() => ManagedClientView, { nullable: true, description: 'Operator: one client; null if there is none with this id.' })
  async client(@Arg('id', () => ID, { description: 'Client id.' }) id: string, @Ctx() ctx: Context): Promise<ManagedClientView | null> {
    const client = await ctx.services.clients.get(principal(ctx), id);
    return client && managedClientView(client, ctx.services.clock.now());
  }

  @Authorized()
  @Query(() => ManagedClientConnection, { description: 'Operator: every client, by id descending.' })
  async clients(@Args() page: PageArgs, @Ctx() ctx: Context): Promise<ManagedClientConnection> {
    const now = ctx.services.clock.now();
    return connectionOf(await ctx.services.clients.list(principal(ctx), page), (c) => managedClientView(c, now));
  }

  @Authorized()
  @Mutation(() => ClientSecretPayload, { description: 'Operator: registers a client; its secret is shown in the answer, once.' })
  async createClient(@Arg('input', { description: 'The client.' }) input: CreateClientInput, @Ctx() ctx: Context): Promise<ClientSecretPayload> {
    return mutate<ClientSecretPayload>(async () => {
      const { client, secret } = await ctx.services.clients.create(principal(ctx), { ...input, isPublic: input.public });
      return { client: managedClientView(client, ctx.services.clock.now()), secret: client.isPublic ? null : secret };
    }, { client: null, secret: null });
  }

  @Authorized()
  @Mutation(() => ManagedClientPayload, { description: 'Operator: changes a client’s name, scopes, redirect URIs, verification or webhook URL.' })
  async updateClient(@Arg('input', { description: 'What to change.' }) input: UpdateClientInput, @Ctx() ctx: Context): Promise<ManagedClientPayload> {
    return mutate<ManagedClientPayload>(
      async () => ({ client: managedClientView(await ctx.services.clients.update(principal(ctx), input.id, input), ctx.services.clock.now()) }),
      { client: null },
    );
  }

  @Authorized()
  @Mutation(() => ManagedClientPayload, { description: 'Operator: disables a client; its tokens stop working at once and its open subscriptions are closed.' })
  async disableClient(@Arg('input', { description: 'The client.' }) input: DisableClientInput, @Ctx() ctx: Context): Promise<ManagedClientPayload> {
    return mutate<ManagedClientPayload>(
      async () => ({ client: managedClientView(await ctx.services.clients.disable(principal(ctx), input.id), ctx.services.clock.now()) }),
      { client: null },
    );
  }

  @Authorized()
  @Mutation(() => ClientSecretPayload, { description: 'Operator: gives a client a new secret; the previous one works for the overlap.' })
  async rotateClientSecret(@Arg('input', { description: 'The client and the overlap.' }) input: RotateSecretInput, @Ctx() ctx: Context): Promise<ClientSecretPayload> {
    return mutate<ClientSecretPayload>(async () => {
      const { client, secret } = await ctx.services.clients.rotateSecret(principal(ctx), input.id, input.overlapSeconds);
      return { client: managedClientView(client, ctx.services.clock.now()), secret };
    }, { client: null, secret: null });
  }

  @Authorized()
  @Mutation(() => ManagedClientPayload, {
    description: 'Operator: gives a client a new webhook key; during the overlap deliveries carry a Standard Webhooks signature with each key. The client reads the new key with viewer.webhookSecret.',
  })
  async rotateWebhookSecret(@Arg('input', { description: 'The client and the overlap.' }) input: RotateSecretInput, @Ctx() ctx: Context): Promise<ManagedClientPayload> {
    return mutate<ManagedClientPayload>(
      async () => ({ client: managedClientView(await ctx.services.clients.rotateWebhookSecret(principal(ctx), input.id, input.overlapSeconds), ctx.services.clock.now()) }),
      { client: null },
    );
  }
}
