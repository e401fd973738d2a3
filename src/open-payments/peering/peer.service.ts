import type { LedgerService } from '../../ledger/ledger.service';
import { Account } from '../../accounts/account.entity';
import { currencyAsset, normalizeAmount, parseAmount } from '../../money/money';
import { TRANSFER_REFERENCE_MAX } from '../../ledger/transfer.entity';
import { once, validateIdempotencyKey } from '../../shared/idempotency/idempotency';
import type { Database } from '../../persistence/database';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { IncomingPaymentService } from '../incoming-payments/incoming-payment.service';
import type { RemoteReceiver, RemoteReceivers } from '../quotes/quote.service';
import type { PeerClient } from './peer-client';
import { IncomingPaymentState } from '../incoming-payments/incoming-payment.states';
import { parseOpAmount, toOpAmount, type OpAmount } from '../resources/op-amount';
import { validateJwk } from '../wallet-addresses/jwk';
import type { Ed25519Jwk } from '../wallet-addresses/wallet-address.entity';
import { Peer, PeerTransfer } from './peer.entity';

/** Who paid whom outside Paygrid: the peer paid this instance, or this instance paid the peer. */
export enum SettlementDirection {
  RECEIVED = 'received',
  PAID = 'paid',
}

export interface RecordSettlement {
  peerId: string;
  /** Decimal, in the asset's major units. */
  amount: string;
  direction: SettlementDirection;
  reference?: string | null;
  idempotencyKey: string;
}

export interface CreatePeer {
  name: string;
  opOrigin: string;
  assetCode: string;
  /** Decimal, in the asset's major units ("500.00"). */
  creditLimit: string;
  walletAddress: string;
  keys: unknown[];
}

/** What a peer sends: `POST /peer/v1/transfers`. */
export interface PeerTransferRequest {
  id?: unknown;
  incomingPayment?: unknown;
  amount?: unknown;
  outgoingPayment?: unknown;
}

/** The answer to a transfer, the same for every delivery of its id. */
export interface PeerTransferAnswer {
  id: string;
  amount: OpAmount;
  incomingPayment: string;
  receivedAmount: OpAmount;
  completed: boolean;
}

const TRANSFER_ID = /^[\x21-\x7e]{1,100}$/;
const NAME_MAX = 200;

/** Scheme, host and port of an http(s) URL, or INVALID_INPUT on `field`. */
function originOf(value: unknown, field: string): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new PaygridError(ErrorCode.INVALID_INPUT, field, 'Give an http or https URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PaygridError(ErrorCode.INVALID_INPUT, field, 'Give an http or https URL.');
  return url.origin;
}

/**
 * Peering between Paygrid instances, the receiving side: the operator configures each peer, and a
 * peer's signed transfer credits one of our incoming payments from that peer's account, once per
 * transfer id, within the peer's credit line, in one transaction.
 */
export class PeerService implements RemoteReceivers {
  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly incoming: IncomingPaymentService,
    private readonly clock: Clock,
    private readonly client: PeerClient,
  ) {}

  /** A receiver on a configured peer, read from its resource server; null when its origin is no peer's. */
  async resolve(url: string, field: string): Promise<RemoteReceiver | null> {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return null;
    }
    const peer = (await this.list()).find((p) => p.opOrigin === origin);
    if (!peer) return null;
    const ip = await this.client.readIncomingPayment(peer, url);
    const paymentId = url.slice(url.lastIndexOf('/') + 1);
    const expiresAt = ip.expiresAt ? new Date(ip.expiresAt) : null;
    if (ip.id !== url || !/^pay_[A-Z0-9]{26}$/.test(paymentId)) throw new PaygridError(ErrorCode.RECEIVER_INVALID, field, 'The peer did not answer with this incoming payment.');
    if (ip.completed || (expiresAt && expiresAt.getTime() <= this.clock.now().getTime())) throw new PaygridError(ErrorCode.RECEIVER_INVALID, field, `The incoming payment is ${ip.completed ? 'completed' : 'expired'}.`);
    if (ip.receivedAmount.assetCode !== peer.assetCode || ip.receivedAmount.assetScale !== peer.assetScale) {
      throw new PaygridError(ErrorCode.ASSET_MISMATCH, field, `The receiver expects ${ip.receivedAmount.assetCode}; this peer settles in ${peer.assetCode}.`);
    }
    const remaining = ip.incomingAmount ? BigInt(ip.incomingAmount.value) - BigInt(ip.receivedAmount.value) : null;
    return { url, paymentId, peerId: peer.id, assetCode: peer.assetCode, assetScale: peer.assetScale, remaining, expiresAt };
  }

  async create(input: CreatePeer): Promise<Peer> {
    const name = String(input.name ?? '').trim();
    if (!name || name.length > NAME_MAX) throw new PaygridError(ErrorCode.INVALID_INPUT, 'name', `A name of 1 to ${NAME_MAX} characters.`);
    const opOrigin = originOf(input.opOrigin, 'opOrigin');
    const walletAddress = new URL(originOf(input.walletAddress, 'walletAddress') + new URL(String(input.walletAddress)).pathname).toString();
    const asset = currencyAsset(input.assetCode, 'assetCode');
    const creditLimit = parseAmount(input.creditLimit, asset.assetScale, 'creditLimit');
    if (!Array.isArray(input.keys) || input.keys.length === 0) throw new PaygridError(ErrorCode.FIELD_REQUIRED, 'keys', 'At least one public key of the peer.');
    const keys: Ed25519Jwk[] = input.keys.map((k, i) => validateJwk(k, `keys.${i}`));
    if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new PaygridError(ErrorCode.INVALID_INPUT, 'keys', 'Each key needs its own kid.');
    const known = await this.list();
    if (known.some((p) => p.opOrigin === opOrigin)) throw new PaygridError(ErrorCode.INVALID_INPUT, 'opOrigin', 'A peer with this origin is already configured.');
    if (known.some((p) => p.keys.some((k) => keys.some((n) => n.kid === k.kid)))) throw new PaygridError(ErrorCode.INVALID_INPUT, 'keys', 'A key id of another peer: key ids must tell peers apart.');
    return this.db.transaction(async (tx) => {
      const id = newId('peer');
      const accountId = await this.ledger.peerAccount(tx, id, name, asset.assetCode, asset.assetScale);
      return tx.em.create(Peer, { id, name, opOrigin, assetCode: asset.assetCode, assetScale: asset.assetScale, creditLimit, walletAddressUrl: walletAddress, keys, accountId, createdAt: this.clock.now() });
    });
  }

  list(): Promise<Peer[]> {
    return this.db.reader().find(Peer, {}, { orderBy: { id: 'asc' } });
  }

  /** The peer whose key signed a request, by the key id (key ids are unique across peers). */
  async byKeyId(keyId: string): Promise<Peer | null> {
    return (await this.list()).find((p) => p.keys.some((k) => k.kid === keyId)) ?? null;
  }

  /** What the peer owes us (positive) or we owe it (negative), in minor units. */
  async position(peer: Peer): Promise<bigint> {
    const account = await this.db.reader().findOneOrFail(Account, { id: peer.accountId });
    return -account.posted;
  }

  /**
   * Records money that moved between the two instances out of band: posted between the peer's
   * account and the settlement account (which stands for the world outside), so the position
   * shrinks by it. Each side records its own half; a repeat of the key changes nothing.
   */
  async recordSettlement(operatorId: string, input: RecordSettlement): Promise<Peer> {
    validateIdempotencyKey(input.idempotencyKey, 'idempotencyKey');
    const reference = input.reference?.trim() || null;
    if (reference && reference.length > TRANSFER_REFERENCE_MAX) throw new PaygridError(ErrorCode.REFERENCE_TOO_LONG, 'reference');
    const amountText = normalizeAmount(input.amount, 'amount');
    const peerId = await this.db.transaction(async (tx) => {
      const { result } = await once(
        tx,
        { scope: `${operatorId}:idempotency`, key: input.idempotencyKey, keyField: 'idempotencyKey', operation: 'recordPeerSettlement', request: { peerId: input.peerId, amount: amountText, direction: input.direction, reference } },
        async () => {
          const peer = await tx.em.findOne(Peer, { id: input.peerId });
          if (!peer) throw new PaygridError(ErrorCode.NOT_FOUND, 'peerId');
          const amount = parseAmount(amountText, peer.assetScale, 'amount');
          const settlement = await this.ledger.settlementAccount(tx, peer.assetCode, peer.assetScale);
          const received = input.direction === SettlementDirection.RECEIVED;
          await this.ledger.transfer(tx, {
            debitAccountId: received ? settlement : peer.accountId,
            creditAccountId: received ? peer.accountId : settlement,
            purpose: 'peer_settlement',
            legs: [{ amount, reference }],
            field: 'amount',
          });
          return { peerId: peer.id };
        },
      );
      return String(result.peerId);
    });
    return this.db.reader().findOneOrFail(Peer, { id: peerId });
  }

  /**
   * Both sides' view of the position with each peer: ours, theirs (fetched, signed; null when the
   * peer cannot be reached) and the difference, which is zero when the books mirror.
   */
  async reconcile(): Promise<Array<{ peer: Peer; position: bigint; peerPosition: bigint | null; difference: bigint | null }>> {
    const peers = await this.list();
    return Promise.all(
      peers.map(async (peer) => {
        const position = await this.position(peer);
        const peerPosition = await this.client.fetchPosition(peer).catch(() => null);
        return { peer, position, peerPosition, difference: peerPosition === null ? null : position + peerPosition };
      }),
    );
  }

  /**
   * Credits the incoming payment a peer's transfer names, from the peer's account. A repeat of a
   * transfer id answers as the first did (a different request under it is refused); an incoming
   * payment that cannot take the amount, another asset, or a peer past its credit line is refused
   * with nothing moved.
   */
  async receiveTransfer(peer: Peer, request: PeerTransferRequest): Promise<{ answer: PeerTransferAnswer; replay: boolean }> {
    if (typeof request.id !== 'string' || !TRANSFER_ID.test(request.id)) throw new PaygridError(ErrorCode.INVALID_INPUT, 'id', 'A transfer id of 1 to 100 visible ASCII characters.');
    if (typeof request.outgoingPayment !== 'string' || !request.outgoingPayment) throw new PaygridError(ErrorCode.FIELD_REQUIRED, 'outgoingPayment');
    const amount = parseOpAmount(request.amount, 'amount', peer);
    if (amount <= 0n) throw new PaygridError(ErrorCode.AMOUNT_INVALID, 'amount', 'A transfer moves more than nothing.');
    const prior = await this.prior(peer, request.id, request, amount);
    if (prior) return { answer: prior, replay: true };
    try {
      const receiver = await this.incoming.payableByUrl(request.incomingPayment, 'incomingPayment');
      if (receiver.payment.assetCode !== peer.assetCode || receiver.payment.assetScale !== peer.assetScale) {
        throw new PaygridError(ErrorCode.ASSET_MISMATCH, 'amount', `The receiver expects ${receiver.payment.assetCode}; this peer settles in ${peer.assetCode}.`);
      }
      await this.db.transaction(async (tx) => {
        const target = await this.incoming.lockPayable(tx, receiver, 'incomingPayment');
        const remaining = this.incoming.remaining(target.details);
        if (remaining !== null && amount > remaining) throw new PaygridError(ErrorCode.RECEIVER_INVALID, 'amount', `The incoming payment expects only ${remaining} more minor units.`);
        const [credit] = await this.ledger.transfer(tx, {
          debitAccountId: peer.accountId,
          creditAccountId: receiver.payment.beneficiaryAccountId!,
          purpose: 'peer_transfer',
          legs: [{ amount, reference: request.id as string }],
        });
        // Checked after the debit, on the row the debit locked: two concurrent transfers cannot both pass.
        const owed = -(await tx.em.findOneOrFail(Account, { id: peer.accountId }, { disableIdentityMap: true, fields: ['posted'] })).posted;
        if (owed > peer.creditLimit) throw new PaygridError(ErrorCode.PEER_CREDIT_EXCEEDED, 'amount', `The peer would owe ${owed} minor units, beyond its credit limit of ${peer.creditLimit}.`);
        await this.incoming.receive(tx, target, amount, request.outgoingPayment as string);
        tx.em.create(PeerTransfer, {
          id: newId('ptr'),
          peerId: peer.id,
          transferId: request.id as string,
          incomingPaymentId: receiver.payment.id,
          amount,
          outgoingPayment: request.outgoingPayment as string,
          ledgerTransferId: credit.id,
          createdAt: this.clock.now(),
        });
      });
    } catch (error) {
      // The same id delivered twice at once: the other delivery credited it, and may have completed
      // the incoming payment or used the credit line meanwhile. A refusal now would be taken as
      // definite by the sender, which would void what was credited here: answer as the other did.
      const done = await this.prior(peer, request.id, request, amount);
      if (done) return { answer: done, replay: true };
      throw error;
    }
    const done = await this.prior(peer, request.id, request, amount);
    return { answer: done!, replay: false };
  }

  private async prior(peer: Peer, transferId: string, request: PeerTransferRequest, amount: bigint): Promise<PeerTransferAnswer | null> {
    const found = await this.db.reader().findOne(PeerTransfer, { peerId: peer.id, transferId });
    if (!found) return null;
    const record = await this.incoming.get(found.incomingPaymentId);
    const url = this.incoming.json(record!, false).id;
    if (found.amount !== amount || request.incomingPayment !== url || request.outgoingPayment !== found.outgoingPayment) {
      throw new PaygridError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'id', 'This transfer id was used for another transfer.');
    }
    return {
      id: transferId,
      amount: toOpAmount(found.amount, peer),
      incomingPayment: url,
      receivedAmount: toOpAmount(record!.details.receivedAmount, peer),
      completed: record!.payment.flowState === IncomingPaymentState.COMPLETED,
    };
  }
}
