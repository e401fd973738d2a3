import type { Scheduler } from '../../jobs/scheduler';
import type { Database, Tx } from '../../persistence/database';
import type { Clock } from '../../shared/clock';
import type { ProviderCalls, ProviderOperation } from '../../providers/provider-call';
import { ProviderCall } from '../../providers/provider-call.entity';
import { ErrorCode, PaygridError } from '../../shared/errors';
import type { OutgoingPaymentService, RemoteSending } from '../outgoing-payments/outgoing-payment.service';
import { OutgoingPaymentDetails } from '../outgoing-payments/outgoing-payment.entity';
import type { ResourceUrls } from '../resources/resource-urls';
import { toOpAmount } from '../resources/op-amount';
import type { PeerClient, PeerTransferOutcome } from './peer-client';
import { Peer } from './peer.entity';

const SEND_JOB = 'peer.transfer-send';

/**
 * The sending side of a peer transfer, as a provider call: recorded in its own transaction once the
 * payment is funded (SENDING, reservation held), sent signed with the payment id as the transfer id,
 * retried by the scheduler with the same id until the peer gives a definite answer, which then
 * posts the reservation against the peer's account (credited) or voids it (refused). The funding
 * transaction also schedules a send one lease later, for a process that dies before its first try
 * is recorded; when that job finds the call recorded, it leaves it to the provider calls.
 */
export class PeerSending implements RemoteSending {
  private readonly transfer: ProviderOperation<PeerTransferOutcome>;

  constructor(
    private readonly db: Database,
    private readonly providerCalls: ProviderCalls,
    private readonly client: PeerClient,
    private readonly outgoing: OutgoingPaymentService,
    private readonly urls: ResourceUrls,
    private readonly scheduler: Scheduler,
    private readonly clock: Clock,
    private readonly leaseMs: number,
  ) {
    scheduler.register<{ paymentId: string }>(SEND_JOB, async ({ paymentId }) => {
      // A call once recorded is the provider calls' to drive to an answer.
      if (await this.db.reader().findOne(ProviderCall, { provider: 'peer', key: paymentId }, { fields: ['id'] })) return;
      await this.send(paymentId);
    });
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

  async sendLater(tx: Tx, paymentId: string): Promise<void> {
    await this.scheduler.schedule(tx, { kind: SEND_JOB, runAt: new Date(this.clock.now().getTime() + this.leaseMs), payload: { paymentId }, key: paymentId });
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
