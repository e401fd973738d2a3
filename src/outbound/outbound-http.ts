import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { ErrorCode, PaygridError } from '../shared/errors';
import { isAllowedAddress, isAllowedUrl, type DestinationPolicy } from './destination';

export interface OutboundOptions extends DestinationPolicy {
  /** From the start of a request until its TCP connection is open, the name's lookup included. */
  connectTimeoutMs: number;
  /** From the start of a request until the last byte of its answer. */
  timeoutMs: number;
  /** Answers longer than this are cut off and count as failed. */
  maxResponseBytes: number;
  /** Resolves a host name to all its addresses; the system resolver unless a test replaces it. */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

/** Why a request got no usable answer; the messages say nothing of the destination's network. */
export enum OutboundFailure {
  NOT_ALLOWED = 'NOT_ALLOWED',
  CONNECT_TIMEOUT = 'CONNECT_TIMEOUT',
  TIMEOUT = 'TIMEOUT',
  TOO_LARGE = 'TOO_LARGE',
  NETWORK = 'NETWORK',
}

export class OutboundError extends Error {
  constructor(
    readonly failure: OutboundFailure,
    message: string,
    /** The status, when the answer's head arrived before it failed. */
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

export interface OutboundRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const systemResolve = (hostname: string) =>
  new Promise<LookupAddress[]>((resolve, reject) => dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

/**
 * The one way Paygrid sends HTTP requests to addresses others give it. Each request resolves the
 * host once, refuses it unless every address it resolves to is allowed (DestinationPolicy), and
 * connects to those same checked addresses, so a name that changes its answer between check and
 * connection (DNS rebinding) cannot slip through. Redirects are never followed: a 3xx is returned
 * as the answer, its Location unread. Time and answer size are bounded.
 */
export class OutboundHttp {
  private readonly resolve: (hostname: string) => Promise<LookupAddress[]>;

  constructor(readonly options: OutboundOptions) {
    this.resolve = options.resolve ?? systemResolve;
  }

  /** Refuses, when it is set, a URL that could never be sent to: its host is an address Paygrid may not reach. */
  assertAllowedUrl(url: URL, field: string): void {
    if (!isAllowedUrl(url, this.options)) throw new PaygridError(ErrorCode.URL_NOT_ALLOWED, field);
  }

  /** Sends one request; resolves with the answer (whatever its status), rejects with an OutboundError. */
  send(request: OutboundRequest): Promise<OutboundResponse> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return Promise.reject(notAllowed());
    }
    // net.connect does not look up an IP literal: isAllowedUrl checks it here instead.
    if (!isAllowedUrl(url, this.options)) return Promise.reject(notAllowed());
    const { connectTimeoutMs, timeoutMs, maxResponseBytes } = this.options;
    const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');

    return new Promise<OutboundResponse>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(totalTimer);
        outcome();
      };
      const fail = (error: OutboundError) => {
        settle(() => reject(error));
        req.destroy();
      };

      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: request.method,
        headers: { ...request.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        lookup: this.lookup,
        // A fresh connection per request: a pooled socket would skip the lookup, and with it the check.
        agent: false,
      });
      const connectTimer = setTimeout(() => fail(new OutboundError(OutboundFailure.CONNECT_TIMEOUT, `No connection within ${connectTimeoutMs} ms.`)), connectTimeoutMs);
      const totalTimer = setTimeout(() => fail(new OutboundError(OutboundFailure.TIMEOUT, `No complete answer within ${timeoutMs} ms.`)), timeoutMs);
      req.once('socket', (socket) => socket.once('connect', () => clearTimeout(connectTimer)));
      req.on('error', (error) => settle(() => reject(error instanceof OutboundError ? error : networkFailure(error))));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const tooLarge = () => new OutboundError(OutboundFailure.TOO_LARGE, `The answer was larger than ${describeBytes(maxResponseBytes)}.`, status);
        if (Number(res.headers['content-length']) > maxResponseBytes) return fail(tooLarge());
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) return fail(tooLarge());
          chunks.push(chunk);
        });
        res.on('error', (error) => settle(() => reject(networkFailure(error, status))));
        res.on('end', () => settle(() => resolve({ status, headers: res.headers, body: Buffer.concat(chunks) })));
      });
      req.end(body);
    });
  }

  /** What net.connect calls instead of dns.lookup: the addresses it gets are the ones checked. */
  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (found) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const addresses = family ? found.filter((a) => a.family === family) : found;
        if (addresses.length === 0 || !found.every((a) => isAllowedAddress(a.address, this.options))) return callback(notAllowed(), '', 0);
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

function notAllowed(): OutboundError {
  return new OutboundError(OutboundFailure.NOT_ALLOWED, 'Destination not allowed.');
}

/** The error's code (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED...), never its message, which names the address. */
function networkFailure(error: unknown, status: number | null = null): OutboundError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return new OutboundError(OutboundFailure.NETWORK, code ? `Connection failed (${code}).` : 'Connection failed.', status);
}

function describeBytes(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}
