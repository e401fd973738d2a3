import { GraphQLError } from 'graphql';
import { accountObject, can } from '../../access';
import type { Context } from '../../graphql/context';
import { principal } from '../../graphql/context';
import { parseAmount } from '../../money/money';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { toOpAmount, type OpAmount } from './op-amount';
import type { WalletRef } from './wallet';

/**
 * The wallet address a GraphQL caller names, when the policy lets it `action` its account
 * (receive into it, send from it, read it); NOT_FOUND on `field` otherwise, as if it did not exist.
 */
export async function walletFor(ctx: Context, url: string, action: 'receiveInto' | 'sendFrom' | 'read', field: string): Promise<WalletRef> {
  const wallet = await ctx.services.walletAddresses.resolve(url);
  const account = wallet && (await ctx.loaders.account.load(wallet.accountId));
  if (!wallet || !account || !can(principal(ctx), action, accountObject(account))) {
    throw new PaygridError(ErrorCode.NOT_FOUND, field, 'No such wallet address, or it is not yours.');
  }
  return wallet;
}

/** May the caller read resources of this account (the resource's own rule)? */
export async function mayReadAccount(ctx: Context, accountId: string): Promise<boolean> {
  const account = await ctx.loaders.account.load(accountId);
  return !!account && can(principal(ctx), 'read', accountObject(account));
}

/** A decimal amount in major units ("25.00") of the wallet's asset, as the services read amounts. */
export function opAmountOf(text: string | null | undefined, wallet: WalletRef, field: string): OpAmount | undefined {
  if (text === null || text === undefined) return undefined;
  return toOpAmount(parseAmount(text, wallet.assetScale, field), wallet);
}

/** The idempotency scope of a GraphQL caller: keys are the client's own. */
export function keyOf(ctx: Context, key: string) {
  return { scope: `${ctx.caller!.clientId}:idempotency`, key };
}

/** A list query has no payload for userErrors: its refusals (a wallet address not yours, a page out of range) are top-level errors with a code and the field. */
export function asTopLevelError(error: unknown): never {
  if (error instanceof PaygridError) {
    throw new GraphQLError(error.message, { extensions: { code: error.code === ErrorCode.NOT_FOUND ? 'NOT_FOUND' : 'BAD_USER_INPUT', field: error.field } });
  }
  throw error;
}
