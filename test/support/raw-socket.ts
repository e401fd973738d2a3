import WebSocket from 'ws';

/** A bare graphql-transport-ws socket, to see what the server sends and the code it closes with. */
export class RawSocket {
  readonly messages: any[] = [];
  closed: { code: number; reason: string } | null = null;
  private readonly socket: WebSocket;
  private waiters: Array<() => void> = [];

  constructor(url: string) {
    this.socket = new WebSocket(url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    this.socket.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)));
      this.wake();
    });
    this.socket.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
    this.socket.on('error', () => this.wake());
  }

  static async open(url: string, token: string): Promise<RawSocket> {
    const raw = new RawSocket(url);
    await new Promise((resolve, reject) => {
      raw.socket.once('open', resolve);
      raw.socket.once('error', reject);
    });
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    await raw.until(() => raw.messages.some((m) => m.type === 'connection_ack'));
    return raw;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Runs one operation and resolves with its first `next` or `error` message. */
  async run(id: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
    this.send({ id, type: 'subscribe', payload: { query, variables } });
    await this.until(() => this.closed !== null || this.messages.some((m) => m.id === id && (m.type === 'next' || m.type === 'error')));
    return this.messages.find((m) => m.id === id && (m.type === 'next' || m.type === 'error')) ?? null;
  }

  async until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; messages ${JSON.stringify(this.messages)}, closed ${JSON.stringify(this.closed)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
