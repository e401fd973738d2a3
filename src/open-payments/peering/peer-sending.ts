import type { Database } from '../../persistence/database';
import type { ProviderCalls, ProviderOperation } from '../../providers/provider-call';
import { ErrorCode, PaygridError } from '../../shared/errors';
import type { OutgoingPaymentService, RemoteSending } from '../outgoing-payments/outgoing-payment.service';
import { OutgoingPaymentDetails } from '../outgoing-payments/outgoing-payment.entity';
import type { ResourceUrls } from '../resources/resource-urls';
import { toOpAmount } from '../resources/op-amount';
import type { PeerClient, PeerTransferOutcome } from './peer-client';
import { Peer } from './peer.entity';

/**
 * The sending side of a peer transfer, as a provider call: recorded in its own transaction once the
 * payment is funded (SENDING, reservation held), sent signed with the payment id as the transfer id,
 * retried by the scheduler with the same id until the peer gives a definite answer, which then
 * posts the reservation against the peer's account (credited) or voids it (refused).
 */
export class PeerSending implements RemoteSending {
  private readonly transfer: ProviderOperation<PeerTransferOutcome>;

  constructor(
    private readonly db: Database,
    private readonly providerCalls: ProviderCalls,
    private readonly client: PeerClient,
    private readonly outgoing: OutgoingPaymentService,
    private readonly urls: ResourceUrls,
  ) {
    this.transfer = providerCalls.define<PeerTransferOutcome>({
      provider: 'peer',
      operation: 'transfer',
      waits: (tx, paymentId) => this.outgoing.lockSending(tx, paymentId!),
      call: async (_key, request) => {
        const peer = await this.db.reader().findOneOrFail(Peer, { id: String(request.peerId) });
        return this.client.sendTransfer(peer, request.body as Record<string, unknown>);
      },
      apply: (tx, paymentId, answer) => this.outgoing.finishRemote(tx, paymentId!, answer.kind === 'credited', answer.kind === 'refused' ? answer.code : null),
      readAnswer: (stored) => stored as PeerTransferOutcome,
    });
  }

  async accountOf(peerId: string): Promise<string> {
    const peer = await this.db.reader().findOne(Peer, { id: peerId });
    if (!peer) throw new PaygridError(ErrorCode.RECEIVER_INVALID, 'quoteId', 'The receiver’s peer is no longer configured.');
    return peer.accountId;
  }

  async send(paymentId: string): Promise<void> {
    const details = await this.db.reader().findOneOrFail(OutgoingPaymentDetails, { paymentId });
    const peer = await this.db.reader().findOneOrFail(Peer, { id: details.peerId! });
    const body = {
      id: paymentId,
      incomingPayment: details.receiverUrl,
      amount: toOpAmount(details.receiveAmount, peer),
      outgoingPayment: this.urls.outgoingPayment(paymentId),
    };
    // Unanswered (the peer unreachable, a 5xx): the payment stays SENDING and the scheduler resends.
    await this.providerCalls.run(this.transfer, { key: paymentId, paymentId, request: { peerId: peer.id, body } });
  }
}
