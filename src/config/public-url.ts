/**
 * The address clients and browsers reach Paygrid at (PUBLIC_URL, or the address it listens on),
 * for links in resources and callbacks. Known only once the server listens when the port is chosen
 * by the system, hence settable once.
 */
export class PublicUrl {
  private configured: string | null;

  constructor(configured?: string) {
    this.configured = configured ? configured.replace(/\/+$/, '') : null;
  }

  /** Sets the address when none was configured. */
  listeningAt(url: string): void {
    this.configured ??= url.replace(/\/+$/, '');
  }

  to(path: string): string {
    return `${this.base()}${path}`;
  }

  /** The base itself, e.g. the OAuth issuer identifier. */
  base(): string {
    if (!this.configured) throw new Error('the public URL is not known before the server listens');
    return this.configured;
  }
}
