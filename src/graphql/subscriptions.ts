import { filter, pipe } from '@graphql-yoga/subscription';
import { accountFacts, can, type AccountFacts, type TokenPrincipal } from '../access';
import type { PublishedEvent } from '../events/event-recorder';
import { EventAggregate } from '../events/event.entity';
import { unauthenticated, type Context } from './context';

/**
 * A subscriber's stream: each event is checked again as it arrives, so a revoked or expired token
 * ends the stream, and the access policy decides on each event as it does on reads: a payment's
 * event reaches who may read the payment, a balance event who may read the account.
 */
export function authorizedStream(ctx: Context, principal: TokenPrincipal, source: AsyncIterable<PublishedEvent>): AsyncIterable<PublishedEvent> {
  // Accounts never change owner: each is read once per subscription.
  const owners = new Map<string, AccountFacts>();
  const accountsOf = async (ids: string[]): Promise<AccountFacts[]> => {
    const missing = ids.filter((id) => !owners.has(id));
    if (missing.length) for (const a of await ctx.services.accounts.byIds(missing)) owners.set(a.id, accountFacts(a));
    return ids.map((id) => owners.get(id)).filter((a): a is AccountFacts => !!a);
  };
  return pipe(
    source,
    filter(async (event: PublishedEvent) => {
      if (!(await ctx.services.tokens.stillValid(ctx.caller!))) throw unauthenticated('The token expired or was revoked.');
      if (event.aggregateType === EventAggregate.ACCOUNT) {
        const [account] = await accountsOf([event.aggregateId]);
        return !!account && can(principal, 'read', { kind: 'account', account });
      }
      const payment = { id: event.aggregateId, clientId: event.clientId ?? '', flow: null, accounts: await accountsOf(event.accountIds), payerAccount: null };
      return can(principal, 'read', { kind: 'paymentEvent', payment });
    }),
  );
}
