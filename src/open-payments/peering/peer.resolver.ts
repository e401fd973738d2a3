import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { can } from '../../access';
import { notAllowed, principal, type Context } from '../../graphql/context';
import { mutate } from '../../graphql/mutation';
import { CreatePeerInput, PeerPayload, PeerPositionView, PeerView, RecordPeerSettlementInput, peerView } from './peer.types';

@Resolver(() => PeerView)
export class PeerResolver {
  @Authorized()
  @Query(() => [PeerView], { description: 'Operator: the peer instances this one settles with, oldest first.' })
  async peers(@Ctx() ctx: Context): Promise<PeerView[]> {
    if (!can(principal(ctx), 'read', { kind: 'peering' })) throw notAllowed('Only the operator reads the peers.');
    const peers = await ctx.services.peers.list();
    return Promise.all(peers.map(async (p) => peerView(p, await ctx.services.peers.position(p))));
  }

  @Authorized()
  @Query(() => [PeerPositionView], { description: 'Operator: reconciliation, each peer’s position in both instances’ books and the difference.' })
  async peerPositions(@Ctx() ctx: Context): Promise<PeerPositionView[]> {
    if (!can(principal(ctx), 'read', { kind: 'peering' })) throw notAllowed('Only the operator reads the peers.');
    return (await ctx.services.peers.reconcile()).map((r) => ({ ...r, peer: peerView(r.peer, r.position) }));
  }

  @Authorized()
  @Mutation(() => PeerPayload, { description: 'Operator: configures a peer instance (its origin, asset, credit limit and signing keys).' })
  async createPeer(@Arg('input', { description: 'The peer.' }) input: CreatePeerInput, @Ctx() ctx: Context): Promise<PeerPayload> {
    if (!can(principal(ctx), 'manage', { kind: 'peering' })) throw notAllowed('Only the operator configures peers.');
    return mutate<PeerPayload>(async () => {
      const peer = await ctx.services.peers.create({ ...input, keys: input.keys.map((k) => ({ ...k })) });
      return { peer: peerView(peer, 0n) };
    }, { peer: null });
  }

  @Authorized()
  @Mutation(() => PeerPayload, { description: 'Operator: records a settlement with a peer made outside Paygrid; the position shrinks by it.' })
  async recordPeerSettlement(@Arg('input', { description: 'The peer, amount, direction and idempotency key.' }) input: RecordPeerSettlementInput, @Ctx() ctx: Context): Promise<PeerPayload> {
    const who = principal(ctx);
    if (!can(who, 'manage', { kind: 'peering' }) || who.kind !== 'operator') throw notAllowed('Only the operator records settlements.');
    return mutate<PeerPayload>(async () => {
      const peer = await ctx.services.peers.recordSettlement(who.clientId, input);
      return { peer: peerView(peer, await ctx.services.peers.position(peer)) };
    }, { peer: null });
  }
}
