import type { OutboundHttp, OutboundResponse } from '../../outbound/outbound-http';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { signRequest } from '../signatures/http-signatures';
import type { InstanceIdentity } from './instance-identity';
import type { Peer } from './peer.entity';
import { PEER_POSITION_PATH, PEER_TRANSFERS_PATH } from './peer.routes';

/** An incoming payment on a peer, as its resource server shows it to an authenticated reader. */
export interface RemoteIncomingPayment {
  id: string;
  walletAddress: string;
  completed: boolean;
  incomingAmount?: { value: string; assetCode: string; assetScale: number };
  receivedAmount: { value: string; assetCode: string; assetScale: number };
  expiresAt?: string;
}

/** The peer's answer to a transfer: credited, or refused for good (a 4xx: nothing moved there). */
export type PeerTransferOutcome = { kind: 'credited'; answer: Record<string, unknown> } | { kind: 'refused'; status: number; code: string };

const unreachable = (why: string) => new PaygridError(ErrorCode.RECEIVER_INVALID, 'receiver', `The receiver's instance could not be read: ${why}.`);

/**
 * This instance as an Open Payments client of its peers (as Rafiki's backend is): reads their
 * incoming payments (public GET for the authorization server, a non-interactive read-all grant,
 * the authenticated GET), and sends them signed peer transfers. Every request goes through
 * OutboundHttp and is signed with the instance key.
 */
export class PeerClient {
  /** Read grants per peer, reused until shortly before they lapse. */
  private readonly tokens = new Map<string, { value: string; until: number }>();
  /**
   * The grant request under way per peer, shared by concurrent reads: two identical signed grant
   * requests in the same second carry the same signature, and the peer refuses the second as a replay.
   */
  private readonly asking = new Map<string, Promise<string>>();

  constructor(
    private readonly outbound: OutboundHttp,
    private readonly identity: InstanceIdentity,
    private readonly clock: Clock,
  ) {}

  async readIncomingPayment(peer: Peer, url: string): Promise<RemoteIncomingPayment> {
    const token = await this.readToken(peer, url);
    const response = await this.signed({ method: 'GET', url, headers: { authorization: `GNAP ${token}` } });
    if (response.status === 404) throw new PaygridError(ErrorCode.RECEIVER_INVALID, 'receiver', 'No such incoming payment on the peer.');
    if (response.status !== 200) throw unreachable(`it answered ${response.status}`);
    return JSON.parse(response.body.toString('utf8')) as RemoteIncomingPayment;
  }

  /** Sends a transfer; throws when the answer is not definite (network, 5xx): the caller retries with the same id. */
  async sendTransfer(peer: Peer, body: Record<string, unknown>): Promise<PeerTransferOutcome> {
    const response = await this.signed({ method: 'POST', url: `${peer.opOrigin}${PEER_TRANSFERS_PATH}`, body: JSON.stringify(body) });
    const json = parse(response);
    if (response.status === 200 || response.status === 201) return { kind: 'credited', answer: json };
    if (response.status >= 400 && response.status < 500) return { kind: 'refused', status: response.status, code: String((json.error as { code?: unknown } | undefined)?.code ?? 'refused') };
    throw new Error(`The peer answered ${response.status}`);
  }

  /** The peer's position for this instance as its books show it (what we owe it, from its side), in minor units. */
  async fetchPosition(peer: Peer): Promise<bigint> {
    const response = await this.signed({ method: 'GET', url: `${peer.opOrigin}${PEER_POSITION_PATH}` });
    const position = parse(response).position;
    if (response.status !== 200 || typeof position !== 'string' || !/^-?\d+$/.test(position)) throw new Error(`The peer answered ${response.status} without a position`);
    return BigInt(position);
  }

  private async readToken(peer: Peer, url: string): Promise<string> {
    const cached = this.tokens.get(peer.id);
    if (cached && cached.until > this.clock.now().getTime()) return cached.value;
    let asking = this.asking.get(peer.id);
    if (!asking) {
      asking = this.requestToken(peer, url).finally(() => this.asking.delete(peer.id));
      this.asking.set(peer.id, asking);
    }
    return asking;
  }

  private async requestToken(peer: Peer, url: string): Promise<string> {
    const open = await this.outbound.send({ method: 'GET', url });
    if (open.status !== 200) throw open.status === 404 ? new PaygridError(ErrorCode.RECEIVER_INVALID, 'receiver', 'No such incoming payment on the peer.') : unreachable(`it answered ${open.status}`);
    const authServer = parse(open).authServer;
    if (typeof authServer !== 'string' || new URL(authServer).origin !== peer.opOrigin) throw unreachable('its authorization server is not on the peer');
    const grant = await this.signed({
      method: 'POST',
      url: authServer,
      body: JSON.stringify({ access_token: { access: [{ type: 'incoming-payment', actions: ['read-all'] }] }, client: this.identity.walletAddressUrl() }),
    });
    const token = (parse(grant).access_token as { value?: string; expires_in?: number } | undefined) ?? {};
    if (grant.status !== 200 || typeof token.value !== 'string') throw unreachable(`its authorization server answered ${grant.status}`);
    const lifetimeMs = Math.max(0, (token.expires_in ?? 60) - 30) * 1000;
    this.tokens.set(peer.id, { value: token.value, until: this.clock.now().getTime() + lifetimeMs });
    return token.value;
  }

  private async signed(request: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; body?: string }): Promise<OutboundResponse> {
    const key = await this.identity.key();
    const headers = await signRequest(request, key);
    return this.outbound.send({ ...request, headers: { ...request.headers, ...headers, accept: 'application/json' } });
  }
}

function parse(response: OutboundResponse): Record<string, unknown> {
  try {
    const json = JSON.parse(response.body.toString('utf8'));
    return json && typeof json === 'object' ? json : {};
  } catch {
    return {};
  }
}
