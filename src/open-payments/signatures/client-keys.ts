import type { OutboundHttp } from '../../outbound/outbound-http';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { validateJwk } from '../wallet-addresses/jwk';
import type { Ed25519Jwk } from '../wallet-addresses/wallet-address.entity';
import type { WalletAddressService } from '../wallet-addresses/wallet-address.service';

/** What a client's wallet address tells the AS: its name for the consent page. */
export interface ClientWalletAddress {
  id: string;
  publicName: string | null;
}

export interface ClientKeysOptions {
  /** How long a fetched document is believed (OP_CLIENT_KEY_CACHE_SECONDS). */
  cacheSeconds: number;
}

interface Cached<T> {
  value: T;
  until: number;
}

const invalidClient = (why: string) => new PaygridError(ErrorCode.GNAP_INVALID_CLIENT, 'client', `The client wallet address could not be used: ${why}.`);

/**
 * A client's wallet address and keys (`{client}/jwks.json`), fetched through OutboundHttp (its
 * destination rules, timeout and size cap) and believed for a short while. A wallet address of our
 * own is read from the database. Never call this inside a database transaction.
 */
export class ClientKeys {
  private readonly documents = new Map<string, Cached<unknown>>();

  constructor(
    private readonly outbound: OutboundHttp,
    private readonly walletAddresses: WalletAddressService,
    private readonly clock: Clock,
    private readonly options: ClientKeysOptions,
  ) {}

  async walletAddress(url: string): Promise<ClientWalletAddress> {
    const own = await this.walletAddresses.resolve(url);
    if (own) return { id: own.url, publicName: own.publicName };
    const document = await this.fetchJson(url);
    if (!document || typeof document !== 'object' || Array.isArray(document)) throw invalidClient('its wallet address document is not a JSON object');
    const d = document as Record<string, unknown>;
    if (typeof d.id !== 'string' || typeof d.authServer !== 'string' || typeof d.assetCode !== 'string') throw invalidClient('its wallet address document lacks id, assetCode or authServer');
    return { id: d.id, publicName: typeof d.publicName === 'string' && d.publicName.trim() ? d.publicName.trim().slice(0, 200) : null };
  }

  /** The client's published keys: `{keys:[…]}` with nothing else at the top level, each an Ed25519 JWK. */
  async keys(walletAddressUrl: string): Promise<Ed25519Jwk[]> {
    const own = await this.walletAddresses.resolve(walletAddressUrl);
    if (own) return this.walletAddresses.activeKeys(own.id);
    const document = await this.fetchJson(`${walletAddressUrl}/jwks.json`);
    if (!document || typeof document !== 'object' || Array.isArray(document)) throw invalidClient('its jwks.json is not a JSON object');
    const d = document as Record<string, unknown>;
    if (!Array.isArray(d.keys) || Object.keys(d).some((k) => k !== 'keys')) throw invalidClient('its jwks.json must be {"keys":[…]} and nothing else');
    return d.keys.flatMap((k) => {
      try {
        return [validateJwk(k, 'keys')];
      } catch {
        return [];
      }
    });
  }

  /**
   * The client's keys, fetched again once when the cached set lacks `kid`: a key the client just
   * published is seen at once (each unknown kid costs one fetch, as without a cache).
   */
  async keysWith(walletAddressUrl: string, kid: string | null): Promise<Ed25519Jwk[]> {
    const keys = await this.keys(walletAddressUrl);
    if (!kid || keys.some((k) => k.kid === kid)) return keys;
    this.forget(walletAddressUrl);
    return this.keys(walletAddressUrl);
  }

  /** Forgets what was fetched from a URL (a key the client just published must be seen at once). */
  forget(walletAddressUrl: string): void {
    this.documents.delete(walletAddressUrl);
    this.documents.delete(`${walletAddressUrl}/jwks.json`);
  }

  private async fetchJson(url: string): Promise<unknown> {
    const now = this.clock.now().getTime();
    const cached = this.documents.get(url);
    if (cached && cached.until > now) return cached.value;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalidClient('it is not a URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalidClient('it is not an http(s) URL');
    let response;
    try {
      response = await this.outbound.send({ url, method: 'GET', headers: { accept: 'application/json' } });
    } catch (error) {
      throw invalidClient(`fetching ${url} failed (${(error as Error).message})`);
    }
    if (response.status !== 200) throw invalidClient(`${url} answered ${response.status}`);
    let value: unknown;
    try {
      value = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw invalidClient(`${url} did not answer JSON`);
    }
    if (this.documents.size > 1000) this.documents.clear();
    this.documents.set(url, { value, until: now + this.options.cacheSeconds * 1000 });
    return value;
  }
}
