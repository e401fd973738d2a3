import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { principal, type Context } from '../../graphql/context';
import { mutate } from '../../graphql/mutation';
import { ErrorCode, PaygridError } from '../../shared/errors';
import {
  CancelDepositInput,
  DepositPayload,
  DepositView,
  KycProfileView,
  OneClickOperatorInput,
  OneClickOperatorPayload,
  StartDepositInput,
  StartDepositPayload,
  depositView,
  kycProfileView,
  operatorView,
} from './one-click.types';

/** The service names fields as the authorization endpoint's parameters; the mutation's input names them so. */
const GRAPHQL_NAMES: Record<string, string> = { identity_provider: 'identityProvider', client_id: 'input' };

async function inGraphQLNames<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PaygridError && error.field?.length === 1 && GRAPHQL_NAMES[error.field[0]]) {
      throw new PaygridError(error.code, GRAPHQL_NAMES[error.field[0]], error.message);
    }
    throw error;
  }
}

@Resolver(() => DepositView)
export class OneClickResolver {
  @Authorized()
  @Query(() => DepositView, { nullable: true, description: 'One of your 1-Click deposits; null if it does not exist or is not yours.' })
  async deposit(@Arg('id', () => ID, { description: 'Payment id, `pay_…`.' }) id: string, @Ctx() ctx: Context): Promise<DepositView | null> {
    return this.read(ctx, id);
  }

  @Authorized()
  @Query(() => KycProfileView, { nullable: true, description: 'A player’s KYC profile, to the operator that signed the player in only; null for anyone else.' })
  async kycProfile(@Arg('id', () => ID, { description: 'Profile id, `kyc_…` (Deposit.kycProfileId).' }) id: string, @Ctx() ctx: Context): Promise<KycProfileView | null> {
    const profile = await ctx.services.oneClick.profile(principal(ctx), id);
    return profile && kycProfileView(profile);
  }

  @Authorized()
  @Mutation(() => StartDepositPayload, { description: 'Opens a 1-Click sign-up and deposit session; send the player’s browser to redirectUrl.' })
  async startDeposit(@Arg('input', { description: 'The session.' }) input: StartDepositInput, @Ctx() ctx: Context): Promise<StartDepositPayload> {
    return mutate<StartDepositPayload>(
      async () => {
        const client = (await ctx.services.tokens.findClient(ctx.caller!.clientId))!;
        if (!client.redirectUris.includes(input.redirectUri)) throw new PaygridError(ErrorCode.REDIRECT_URI_INVALID, 'redirectUri', 'The redirect URI is not one registered for you (exact match).');
        const parameters = Object.fromEntries(
          Object.entries({ country: input.country, locale: input.locale, ssn: input.ssn, enduser_id: input.enduserId }).filter(([, v]) => v != null),
        );
        const started = await inGraphQLNames(() => ctx.services.oneClick.start(client, {
          identityProvider: input.identityProvider,
          amount: input.amount,
          currency: input.currency,
          redirectUri: input.redirectUri,
          state: input.state ?? null,
          codeChallenge: null,
          parameters,
          idempotencyKey: input.idempotencyKey,
        }));
        return { deposit: await this.read(ctx, started.paymentId), redirectUrl: started.redirectUrl, statusUrl: started.statusUrl };
      },
      { deposit: null, redirectUrl: null, statusUrl: null },
    );
  }

  @Authorized()
  @Mutation(() => DepositPayload, { description: 'Cancels a deposit session before the player pays: no money moves; cancel is notified when you had authorized.' })
  async cancelDeposit(@Arg('input', { description: 'The deposit.' }) input: CancelDepositInput, @Ctx() ctx: Context): Promise<DepositPayload> {
    return mutate<DepositPayload>(async () => {
      const found = await ctx.services.oneClick.cancel(principal(ctx), input.paymentId);
      return { deposit: depositView(found, await ctx.services.oneClick.notifications(found.payment.id)) };
    }, { deposit: null });
  }

  @Authorized()
  @Mutation(() => OneClickOperatorPayload, { description: 'Sets (or, with a null baseUrl, removes) where your 1-Click notifications go; they are signed with your webhook secret.' })
  async setOneClickOperator(@Arg('input', { description: 'The endpoint.' }) input: OneClickOperatorInput, @Ctx() ctx: Context): Promise<OneClickOperatorPayload> {
    return mutate<OneClickOperatorPayload>(async () => {
      const saved = await ctx.services.oneClick.setOperatorEndpoint(ctx.caller!.clientId, input);
      return { operator: saved && operatorView(saved) };
    }, { operator: null });
  }

  private async read(ctx: Context, id: string): Promise<DepositView | null> {
    const found = await ctx.services.oneClick.get(principal(ctx), id);
    return found && depositView(found, await ctx.services.oneClick.notifications(id));
  }
}
