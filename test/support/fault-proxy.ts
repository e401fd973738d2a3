import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { freePort } from './instance-process';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the proxy does with one request. */
export type Fault =
  | { kind: 'pass' }
  /**
   * Answers `status` itself (a failing load balancer or instance): without forwarding, or after
   * forwarding when `forwardFirst` (the instance acted, its answer is lost behind a 5xx).
   */
  | { kind: 'answer'; status: number; forwardFirst?: boolean }
  /** Forwards, and once the instance answered, delays that answer (the caller may time out first). */
  | { kind: 'delay'; ms: number }
  /** Forwards, and once the instance answered, cuts the connection: the caller never learns the answer. */
  | { kind: 'lose-answer' }
  /**
   * Forwards, and holds the instance's answer until `release` settles (the caller is killed
   * meanwhile); `onHeld` runs once the answer is in the proxy's hands.
   */
  | { kind: 'hold'; release: Promise<unknown>; onHeld?: () => void };

/**
 * A TCP-level stand-in for the network in front of a Paygrid instance: forwards every request
 * (Host header and body unchanged, so signatures still verify) and, by `rule`, fails, delays or
 * loses answers. An instance that is down makes the proxy cut the caller's connection, as the
 * network would. Records what it saw, so a test can replay a request byte for byte.
 */
export class FaultProxy {
  rule: (request: SeenRequest) => Fault = () => ({ kind: 'pass' });
  readonly seen: SeenRequest[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number, port?: number): Promise<FaultProxy> {
    const listenOn = port ?? (await freePort());
    let proxy: FaultProxy;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void proxy.handle({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) }, res));
    });
    proxy = new FaultProxy(server, listenOn, targetPort);
    server.on('connection', (socket) => {
      proxy.sockets.add(socket);
      socket.once('close', () => proxy.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(listenOn, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Sends a request to the instance behind the proxy as it was seen (the same bytes and headers). */
  replay(request: SeenRequest): Promise<{ status: number; body: string }> {
    return this.forward(request).then((r) => ({ status: r.status, body: r.body.toString('utf8') }));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: SeenRequest, res: import('node:http').ServerResponse): Promise<void> {
    this.seen.push(request);
    const fault = this.rule(request);
    if (fault.kind === 'answer' && fault.forwardFirst) await this.forward(request).catch(() => undefined);
    if (fault.kind === 'answer') {
      res.writeHead(fault.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'proxy_fault', description: 'injected by the test' } }));
      return;
    }
    let answer: { status: number; headers: IncomingHttpHeaders; body: Buffer };
    try {
      answer = await this.forward(request);
    } catch {
      res.socket?.destroy();
      return;
    }
    if (fault.kind === 'lose-answer') {
      res.socket?.destroy();
      return;
    }
    if (fault.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (fault.kind === 'hold') {
      fault.onHeld?.();
      await fault.release.catch(() => undefined);
    }
    if (res.socket?.destroyed) return;
    const { 'transfer-encoding': _chunked, connection: _connection, ...headers } = answer.headers;
    res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) }).end(answer.body);
  }

  private forward(request: SeenRequest): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const { connection: _connection, ...headers } = request.headers;
      const upstream = httpRequest({ host: '127.0.0.1', port: this.targetPort, method: request.method, path: request.path, headers, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', reject);
      });
      upstream.on('error', reject);
      upstream.end(request.body);
    });
  }
}
