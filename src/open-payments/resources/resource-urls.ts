import type { PublicUrl } from '../../config/public-url';

/** The resource server's base, `{base}/op` (never a trailing slash: the client appends paths). */
export const RESOURCE_SERVER_PATH = '/op';

/** URLs of the resource server's resources, all built from the public base URL. */
export class ResourceUrls {
  constructor(private readonly publicUrl: PublicUrl) {}

  resourceServer(): string {
    return this.publicUrl.to(RESOURCE_SERVER_PATH);
  }

  authServer(): string {
    return this.publicUrl.to('/gnap');
  }

  incomingPayment(id: string): string {
    return `${this.resourceServer()}/incoming-payments/${id}`;
  }

  quote(id: string): string {
    return `${this.resourceServer()}/quotes/${id}`;
  }

  outgoingPayment(id: string): string {
    return `${this.resourceServer()}/outgoing-payments/${id}`;
  }

  /** The id in one of our incoming-payment URLs; null for anything else (another server, another path). */
  incomingPaymentId(url: unknown): string | null {
    return this.idIn(url, 'incoming-payments');
  }

  quoteId(url: unknown): string | null {
    return this.idIn(url, 'quotes');
  }

  private idIn(url: unknown, collection: string): string | null {
    if (typeof url !== 'string') return null;
    const prefix = `${this.resourceServer()}/${collection}/`;
    if (!url.startsWith(prefix)) return null;
    const id = url.slice(prefix.length);
    return /^[A-Za-z0-9_-]{1,40}$/.test(id) ? id : null;
  }
}
