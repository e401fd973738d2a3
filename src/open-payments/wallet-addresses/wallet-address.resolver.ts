import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PageArgs } from '../../accounts/account.resolver';
import { connectionOf } from '../../graphql/common.types';
import { principal, type Context } from '../../graphql/context';
import { mutate } from '../../graphql/mutation';
import {
  AddWalletAddressKeyInput,
  CreateWalletAddressInput,
  RevokeWalletAddressKeyInput,
  WalletAddressConnection,
  WalletAddressKeyPayload,
  WalletAddressKeyView,
  WalletAddressPayload,
  WalletAddressView,
  walletAddressKeyView,
  walletAddressView,
} from './wallet-address.types';

@Resolver(() => WalletAddressView)
export class WalletAddressResolver {
  @Authorized()
  @Query(() => WalletAddressView, { nullable: true, description: 'A wallet address of one of your accounts; null if it does not exist or is not yours.' })
  async walletAddress(@Arg('id', () => ID, { description: 'Wallet address id, `wa_…`.' }) id: string, @Ctx() ctx: Context): Promise<WalletAddressView | null> {
    const wa = await ctx.services.walletAddresses.get(principal(ctx), id);
    return wa && walletAddressView(wa, (s) => ctx.services.walletAddresses.urlOf(s));
  }

  @Authorized()
  @Query(() => WalletAddressConnection, { description: 'The wallet addresses of your accounts, newest first.' })
  async walletAddresses(@Args() page: PageArgs, @Ctx() ctx: Context): Promise<WalletAddressConnection> {
    return connectionOf(await ctx.services.walletAddresses.list(principal(ctx), page), (wa) => walletAddressView(wa, (s) => ctx.services.walletAddresses.urlOf(s)));
  }

  @FieldResolver(() => [WalletAddressKeyView], { description: 'Its keys, revoked ones included, oldest first.' })
  async keys(@Root() wa: WalletAddressView, @Ctx() ctx: Context): Promise<WalletAddressKeyView[]> {
    return (await ctx.loaders.walletAddressKeys.load(wa.id)).map(walletAddressKeyView);
  }

  @Authorized()
  @Mutation(() => WalletAddressPayload, { description: 'Gives an account its Open Payments wallet address (one per account).' })
  async createWalletAddress(@Arg('input', { description: 'The account, the name in the URL and the public name.' }) input: CreateWalletAddressInput, @Ctx() ctx: Context): Promise<WalletAddressPayload> {
    return mutate<WalletAddressPayload>(
      async () => ({ walletAddress: walletAddressView(await ctx.services.walletAddresses.create(principal(ctx), input), (s) => ctx.services.walletAddresses.urlOf(s)) }),
      { walletAddress: null },
    );
  }

  @Authorized()
  @Mutation(() => WalletAddressKeyPayload, { description: 'Publishes an Ed25519 public key at the wallet address’s jwks.json.' })
  async addWalletAddressKey(@Arg('input', { description: 'The wallet address and the key.' }) input: AddWalletAddressKeyInput, @Ctx() ctx: Context): Promise<WalletAddressKeyPayload> {
    return mutate<WalletAddressKeyPayload>(async () => ({ key: walletAddressKeyView(await ctx.services.walletAddresses.addKey(principal(ctx), { walletAddressId: input.walletAddressId, jwk: { ...input.jwk } })) }), {
      key: null,
    });
  }

  @Authorized()
  @Mutation(() => WalletAddressKeyPayload, { description: 'Revokes a key of the wallet address (revoking it again changes nothing).' })
  async revokeWalletAddressKey(@Arg('input', { description: 'The wallet address and the key id.' }) input: RevokeWalletAddressKeyInput, @Ctx() ctx: Context): Promise<WalletAddressKeyPayload> {
    return mutate<WalletAddressKeyPayload>(async () => ({ key: walletAddressKeyView(await ctx.services.walletAddresses.revokeKey(principal(ctx), input)) }), { key: null });
  }
}
