import { accountFacts, can, type AccountFacts, type Action, type TokenPrincipal } from '../access';
import { accountDirectory } from '../accounts/account-directory';
import type { PublishedEvent } from '../events/event-recorder';
import { EventAggregate } from '../events/event.entity';
import type { Context } from './context';

/** Aggregates whose last sequence a stream remembers to drop repeats; the oldest are forgotten first. */
const SEQUENCES_REMEMBERED = 10_000;

/**
 * A subscription's stream: the access policy decides on each event as it arrives, as it does on
 * reads: a payment's event reaches who may read the payment, a balance event who may read the
 * account. It looks at the principal alone, so subscribers of one principal share the stream and
 * each subscriber's token is checked where the stream is handed out (the WebSocket server). The check
 * needs no database: accounts' owners come from the process's account directory (they never
 * change). An event the outbox published again (a sweeper after a slow or failed mark) carries a
 * sequence the stream already delivered for its aggregate, and is dropped here. The operator's
 * platform-wide feed checks its payment events with `monitor` instead of `read`.
 */
export function authorizedStream(
  ctx: Context,
  principal: TokenPrincipal,
  source: AsyncIterable<PublishedEvent>,
  paymentAction: Action<'paymentEvent'> = 'read',
): AsyncIterable<PublishedEvent> {
  const directory = accountDirectory(ctx.services.db);
  const accountsOf = (ids: string[]): AccountFacts[] | Promise<AccountFacts[]> => {
    const known = directory.known(ids);
    if (known) return known.map(accountFacts);
    return directory.of(ids).then((found) => ids.flatMap((id) => (found.has(id) ? [accountFacts(found.get(id)!)] : [])));
  };
  const allowed = (event: PublishedEvent, accounts: AccountFacts[]): boolean => {
    if (event.aggregateType === EventAggregate.ACCOUNT) return accounts.length === 1 && can(principal, 'read', { kind: 'account', account: accounts[0] });
    const payment = { id: event.aggregateId, clientId: event.clientId ?? '', flow: null, accounts, payerAccount: null };
    return can(principal, paymentAction, { kind: 'paymentEvent', payment });
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
  const passes = async (event: PublishedEvent): Promise<boolean> => {
    const ids = event.aggregateType === EventAggregate.ACCOUNT ? [event.aggregateId] : event.accountIds;
    const accounts = accountsOf(ids);
    return allowed(event, Array.isArray(accounts) ? accounts : await accounts) && !isRepeat(event);
  };
  // A plain iterator over the source: ending the stream ends the source at once, waiting for no event.
  const events = source[Symbol.asyncIterator]();
  const stream: AsyncIterableIterator<PublishedEvent> = {
    [Symbol.asyncIterator]: () => stream,
    async next() {
      for (;;) {
        const next = await events.next();
        if (next.done || (await passes(next.value))) return next;
      }
    },
    return: (value?: unknown) => (events.return ? events.return(value) : Promise.resolve({ done: true as const, value })),
    throw: (error?: unknown) => (events.throw ? events.throw(error) : Promise.reject(error)),
  };
  return stream;
}
