import { filter, pipe } from '@graphql-yoga/subscription';
import { accountFacts, can, type AccountFacts, type TokenPrincipal } from '../access';
import { accountDirectory } from '../accounts/account-directory';
import type { PublishedEvent } from '../events/event-recorder';
import { EventAggregate } from '../events/event.entity';
import { unauthenticated, type Context } from './context';

/** Aggregates whose last sequence a stream remembers to drop repeats; the oldest are forgotten first. */
const SEQUENCES_REMEMBERED = 10_000;

/**
 * A subscriber's stream: each event is checked again as it arrives, so a revoked or expired token
 * ends the stream, and the access policy decides on each event as it does on reads: a payment's
 * event reaches who may read the payment, a balance event who may read the account. The check
 * needs no database: accounts' owners come from the process's account directory (they never
 * change). An event the outbox published again (a sweeper after a slow or failed mark) carries a
 * sequence the stream already delivered for its aggregate, and is dropped here.
 */
export function authorizedStream(ctx: Context, principal: TokenPrincipal, source: AsyncIterable<PublishedEvent>): AsyncIterable<PublishedEvent> {
  const directory = accountDirectory(ctx.services.db);
  const accountsOf = async (ids: string[]): Promise<AccountFacts[]> => {
    const found = await directory.of(ids);
    return ids.flatMap((id) => {
      const account = found.get(id);
      return account ? [accountFacts(account)] : [];
    });
  };
  const delivered = new Map<string, number>();
  const isRepeat = (event: PublishedEvent): boolean => {
    const key = `${event.aggregateType}:${event.aggregateId}`;
    const last = delivered.get(key);
    if (last !== undefined && event.sequence <= last) return true;
    delivered.delete(key);
    delivered.set(key, event.sequence);
    if (delivered.size > SEQUENCES_REMEMBERED) delivered.delete(delivered.keys().next().value!);
    return false;
  };
  return pipe(
    source,
    filter(async (event: PublishedEvent) => {
      if (!(await ctx.services.tokens.stillValid(ctx.caller!))) throw unauthenticated('The token expired or was revoked.');
      let allowed: boolean;
      if (event.aggregateType === EventAggregate.ACCOUNT) {
        const [account] = await accountsOf([event.aggregateId]);
        allowed = !!account && can(principal, 'read', { kind: 'account', account });
      } else {
        const payment = { id: event.aggregateId, clientId: event.clientId ?? '', flow: null, accounts: await accountsOf(event.accountIds), payerAccount: null };
        allowed = can(principal, 'read', { kind: 'paymentEvent', payment });
      }
      return allowed && !isRepeat(event);
    }),
  );
}
