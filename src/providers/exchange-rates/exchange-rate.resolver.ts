import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { can } from '../../access';
import { notAllowed, principal, type Context } from '../../graphql/context';
import { mutate } from '../../graphql/mutation';
import { ExchangeRatePayload, ExchangeRateView, SetExchangeRateInput, exchangeRateView } from './exchange-rate.types';

@Resolver(() => ExchangeRateView)
export class ExchangeRateResolver {
  @Authorized()
  @Query(() => [ExchangeRateView], { description: 'Operator: the exchange rates quotes between assets use, by pair, with their age.' })
  async exchangeRates(@Ctx() ctx: Context): Promise<ExchangeRateView[]> {
    if (!can(principal(ctx), 'read', { kind: 'exchangeRates' })) throw notAllowed('Only the operator reads the exchange rates.');
    return (await ctx.services.exchangeRates.list()).map(exchangeRateView);
  }

  @Authorized()
  @Mutation(() => ExchangeRatePayload, { description: 'Operator: sets the rate of a pair in the sandbox provider; every instance uses it for its next quote.' })
  async setExchangeRate(@Arg('input', { description: 'The pair, its rate and an idempotency key.' }) input: SetExchangeRateInput, @Ctx() ctx: Context): Promise<ExchangeRatePayload> {
    const who = principal(ctx);
    if (!can(who, 'manage', { kind: 'exchangeRates' }) || who.kind !== 'operator') throw notAllowed('Only the operator sets exchange rates.');
    return mutate<ExchangeRatePayload>(async () => ({ exchangeRate: exchangeRateView(await ctx.services.exchangeRates.set(who.clientId, input)) }), { exchangeRate: null });
  }
}
