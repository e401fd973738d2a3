import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The raw body, as received. */
  body: string;
  /** The status it was answered with. */
  status: number;
}

/** An answer with a body of its own (JSON is sent as such); a bare status answers `OK` or `nope`. */
export interface Answer {
  status: number;
  json: unknown;
}

/** Decides the answer to the `index`-th request (from 0); may wait before answering. */
export type Responder = (request: Omit<ReceivedRequest, 'status'>, index: number) => number | Answer | Promise<number | Answer>;

function flatten(message: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

/** A merchant endpoint on 127.0.0.1 that records every request and answers as told. */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  respond: Responder = () => 200;
  private received = 0;

  private constructor(
    private readonly server: Server,
    readonly base: string,
  ) {}

  static async start(respond?: Responder): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = createServer((message, response) => {
      const chunks: Buffer[] = [];
      message.on('data', (chunk: Buffer) => chunks.push(chunk));
      message.on('end', async () => {
        const request = { method: message.method!, path: message.url!, headers: flatten(message), body: Buffer.concat(chunks).toString('utf8') };
        const answer = await receiver!.respond(request, receiver!.received++);
        const status = typeof answer === 'number' ? answer : answer.status;
        receiver!.requests.push({ ...request, status });
        if (typeof answer === 'number') response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'OK' : 'nope');
        else response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.json));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    if (respond) receiver.respond = respond;
    return receiver;
  }

  url(path = '/hooks'): string {
    return `${this.base}${path}`;
  }

  /** Requests carrying one `webhook-id`. */
  of(deliveryId: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.headers['webhook-id'] === deliveryId);
  }

  async waitFor(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      if (Date.now() > deadline) throw new Error(`received ${this.requests.length} of ${count} requests within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
