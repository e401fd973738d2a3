import { filter, pipe } from '@graphql-yoga/subscription';
import type { PublishedEvent } from '../events/event-recorder';
import type { Caller } from '../oauth/token.service';
import { unauthenticated, type Context } from './context';

/**
 * A subscriber's stream: each event is checked again as it arrives, so a revoked or expired token
 * ends the stream and an event of another client never reaches it.
 */
export function authorizedStream(ctx: Context, caller: Caller, source: AsyncIterable<PublishedEvent>): AsyncIterable<PublishedEvent> {
  return pipe(
    source,
    filter(async (event: PublishedEvent) => {
      if (!(await ctx.services.tokens.stillValid(caller))) throw unauthenticated('The token expired or was revoked.');
      return event.clientId === caller.clientId;
    }),
  );
}
