import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createLogger, type Logger } from '../shared/logger';

/**
 * Query parameters whose values are credentials or bind one (OAuth codes and states, tokens, client
 * secrets, passwords): the payment-scoped token travels as `code` in the validation URL. Personal
 * data sent in a query (a 1-Click `ssn`) is never logged either.
 */
export const SECRET_QUERY_PARAMETERS = [
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'code',
  'code_verifier',
  'state',
  'client_secret',
  'password',
  'secret',
  // 1-Click: the browser's key to its deposit session, and personal data of the player.
  'key',
  'ssn',
  'enduser_id',
] as const;

const SECRET = new Set<string>(SECRET_QUERY_PARAMETERS);
export const REDACTED = '[redacted]';

/** The URL with the values of its secret query parameters replaced; the rest is kept for debugging. */
export function redactUrl(url: string): string {
  const question = url.indexOf('?');
  if (question < 0) return url;
  const query = url
    .slice(question + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const rawName = equals < 0 ? pair : pair.slice(0, equals);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // An undecodable name is logged as sent; it names nothing we know.
      }
      return SECRET.has(name.toLowerCase()) && equals >= 0 ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, question)}?${query}`;
}

/**
 * Pino's redaction for what a log line may carry: credentials in headers (requests and replies),
 * and secret fields of logged objects.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.client_secret',
  '*.password',
  '*.access_token',
  '*.refresh_token',
  '*.code',
  '*.token',
  '*.secret',
  '*.webhookSecret',
];

/** The process's logger, redacting what the hardening rules say may not be logged; `stream` is for tests. */
export function createPaygridLogger(level: string, stream?: Writable): Logger {
  return createLogger(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      serializers: {
        // Fastify's own request fields, with the URL's secrets taken out.
        req: (request: FastifyRequest) => ({
          method: request.method,
          url: redactUrl(request.url ?? ''),
          host: request.host,
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }),
      },
    },
    stream,
  );
}

/** The header a request id comes in on and goes back out on. */
export const REQUEST_ID_HEADER = 'x-request-id';
const USABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a request, on every log line of it: the caller's `X-Request-Id` when it is a plain token
 * (a proxy's or the client's, so that logs join up), else a fresh UUID; never a value that could
 * forge log content.
 */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && USABLE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Adds fields (the client id, the GraphQL operation) to the rest of a request's log lines, "request completed" included. */
export function bindRequestLog(request: FastifyRequest, reply: FastifyReply | undefined, bindings: Record<string, unknown>): void {
  request.log = request.log.child(bindings);
  if (reply) reply.log = request.log;
}
