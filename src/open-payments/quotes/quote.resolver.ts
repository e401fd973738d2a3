import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { mutate } from '../../graphql/mutation';
import { keyOf, mayReadAccount, opAmountOf, walletFor } from '../resources/resource-graphql';
import { CreateQuoteInput, QuotePayload, QuoteView, quoteView } from './quote.types';

@Resolver(() => QuoteView)
export class QuoteResolver {
  @Authorized()
  @Query(() => QuoteView, { nullable: true, description: 'A quote of an account you may read; null otherwise.' })
  async quote(@Arg('id', () => ID, { description: 'Quote id, `quo_…`.' }) id: string, @Ctx() ctx: Context): Promise<QuoteView | null> {
    const record = await ctx.services.quotes.get(id);
    return record && (await mayReadAccount(ctx, record.quote.accountId)) ? quoteView(record, ctx.services.resourceUrls) : null;
  }

  @Authorized()
  @Mutation(() => QuotePayload, { description: 'Quotes paying an incoming payment from a wallet address of yours (Open Payments POST /quotes).' })
  async createQuote(@Arg('input', { description: 'The paying wallet address, the receiver, at most one amount and an idempotency key.' }) input: CreateQuoteInput, @Ctx() ctx: Context): Promise<QuotePayload> {
    return mutate<QuotePayload>(async () => {
      const wallet = await walletFor(ctx, input.walletAddress, 'sendFrom', 'walletAddress');
      const record = await ctx.services.quotes.create(
        { clientKey: null, grantId: null, clientId: ctx.caller!.clientId },
        wallet,
        { receiver: input.receiver, debitAmount: opAmountOf(input.debitAmount, wallet, 'debitAmount'), receiveAmount: opAmountOf(input.receiveAmount, wallet, 'receiveAmount') },
        keyOf(ctx, input.idempotencyKey),
      );
      return { quote: quoteView(record, ctx.services.resourceUrls) };
    }, { quote: null });
  }
}
