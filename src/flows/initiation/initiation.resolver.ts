import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { PageArgs } from '../../accounts/account.resolver';
import { connectionOf } from '../../graphql/common.types';
import { PaymentFlow } from '../../payments/payment.entity';
import { boundToPayment, principal, type Context } from '../../graphql/context';
import { mutate } from '../../graphql/mutation';
import type { InitiationDetails } from './initiation.entity';
import {
  CancelInitiationInput,
  CreateInitiationInput,
  CreateInitiationTokenInput,
  InitiationConnection,
  InitiationFilter,
  InitiationPayload,
  InitiationTokenPayload,
  InitiationView,
  WebhookUrlPayload,
  initiationView,
} from './initiation.types';

@Resolver(() => InitiationView)
export class InitiationResolver {
  @Authorized()
  @Query(() => InitiationView, {
    nullable: true,
    description: 'One of your bank payment initiations; null if it does not exist or is not yours. A payment-scoped token reads only its own payment.',
  })
  async initiation(@Arg('id', () => ID, { description: 'Payment id, `pay_…`.' }) id: string, @Ctx() ctx: Context): Promise<InitiationView | null> {
    const found = await this.read(ctx, id);
    // A payment-scoped token is told it is bound, rather than shown nothing.
    const caller = principal(ctx);
    if (!found && caller.kind === 'payment') throw boundToPayment(caller.paymentId);
    return found;
  }

  @Authorized()
  @Query(() => InitiationConnection, { description: 'Your bank payment initiations, newest first, narrowed by `filter`. Needs payments:admin.' })
  async initiations(
    @Args() page: PageArgs,
    @Ctx() ctx: Context,
    @Arg('filter', () => InitiationFilter, { nullable: true, description: 'State and creation time.' }) filter?: InitiationFilter | null,
  ): Promise<InitiationConnection> {
    const result = await ctx.services.payments.list(principal(ctx), { createdAfter: filter?.createdAfter, createdBefore: filter?.createdBefore, flow: PaymentFlow.INITIATION, flowState: filter?.state ?? null }, page);
    const details = new Map<string, InitiationDetails>();
    for (const found of await ctx.loaders.initiationDetails.loadMany(result.nodes.map((p) => p.id))) {
      if (found instanceof Error) throw found;
      if (found) details.set(found.paymentId, found);
    }
    return connectionOf(result, (p) => initiationView(p, details.get(p.id)!));
  }

  @Authorized()
  @Mutation(() => InitiationPayload, {
    description: 'Creates a bank payment initiation (state created) for a payer to validate in the webview. Needs payments:admin (client credentials).',
  })
  async createInitiation(@Arg('input', { description: 'The payment.' }) input: CreateInitiationInput, @Ctx() ctx: Context): Promise<InitiationPayload> {
    return mutate<InitiationPayload>(async () => {
      const { paymentId } = await ctx.services.initiations.create(ctx.caller!.clientId, { ...input, instructions: input.instructions ?? null });
      return { initiation: await this.read(ctx, paymentId) };
    }, { initiation: null });
  }

  @Authorized()
  @Mutation(() => InitiationTokenPayload, {
    description: 'Issues a token bound to one payment (scope payments:validate, 7 days) and the validation URL to send the payer to.',
  })
  async createInitiationToken(
    @Arg('input', { description: 'The payment.' }) input: CreateInitiationTokenInput,
    @Ctx() ctx: Context,
  ): Promise<InitiationTokenPayload> {
    return mutate<InitiationTokenPayload>(
      async () => ctx.services.initiations.issueScopedToken(principal(ctx), input.paymentId),
      { token: null, scope: null, expiresIn: null, paymentId: null, validationUrl: null },
    );
  }

  @Authorized()
  @Mutation(() => InitiationPayload, {
    description:
      'Cancels a payment before the bank executes it: rejected with CancelledByClient. Once confirmed at the bank, the bank is asked; CANCEL_TOO_LATE once it executed or accepted it, CANCEL_NOT_AVAILABLE when it takes no cancellations. A repeat answers as the first did.',
  })
  async cancelInitiation(@Arg('input', { description: 'The payment.' }) input: CancelInitiationInput, @Ctx() ctx: Context): Promise<InitiationPayload> {
    return mutate<InitiationPayload>(async () => {
      await ctx.services.initiations.cancelByClient(principal(ctx), input.paymentId);
      return { initiation: await this.read(ctx, input.paymentId) };
    }, { initiation: null });
  }

  @Authorized()
  @Mutation(() => WebhookUrlPayload, { description: 'Sets (or, with null, removes) the URL that receives your PAYMENT_STATE_UPDATED webhooks.' })
  async setWebhookUrl(
    @Arg('url', () => String, { nullable: true, description: 'Absolute http(s) URL, not on a loopback, private or reserved address (URL_NOT_ALLOWED); null removes it.' }) url: string | null,
    @Ctx() ctx: Context,
  ): Promise<WebhookUrlPayload> {
    return mutate<WebhookUrlPayload>(async () => ({ webhookUrl: await ctx.services.initiations.setWebhookUrl(ctx.caller!.clientId, url ?? null) }), {
      webhookUrl: null,
    });
  }

  private async read(ctx: Context, id: string): Promise<InitiationView | null> {
    const found = await ctx.services.initiations.get(principal(ctx), id);
    return found && initiationView(found.payment, found.details);
  }
}
