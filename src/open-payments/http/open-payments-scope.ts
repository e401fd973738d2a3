import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, PaygridError, RetryLaterError, isPaygridError } from '../../shared/errors';
import { reportUnexpected } from '../../http/error-boundary';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received (Open Payments routes): what Content-Digest was computed over. */
    rawBody?: string;
  }
  interface FastifyInstance {
    /** The public base URL Open Payments URLs and signed target URIs are built from. */
    openPaymentsBase?: () => string;
  }
}

/** How one error code reads on the Open Payments wire. */
export interface OpenPaymentsErrorMapping {
  status: number;
  code: string;
}

/**
 * GNAP and resource-server codes for Paygrid's errors. Any other PaygridError is the client's bad
 * input: 400 invalid_request. The 401s carry WWW-Authenticate.
 */
export const OPEN_PAYMENTS_ERRORS: Partial<Record<ErrorCode, OpenPaymentsErrorMapping>> = {
  [ErrorCode.NOT_FOUND]: { status: 404, code: 'not_found' },
  [ErrorCode.SIGNATURE_INVALID]: { status: 401, code: 'invalid_client' },
  [ErrorCode.GNAP_TOKEN_INVALID]: { status: 401, code: 'invalid_token' },
  [ErrorCode.GNAP_INSUFFICIENT_ACCESS]: { status: 403, code: 'insufficient_grant' },
  [ErrorCode.GNAP_INVALID_REQUEST]: { status: 400, code: 'invalid_request' },
  [ErrorCode.GNAP_INVALID_CLIENT]: { status: 400, code: 'invalid_client' },
  [ErrorCode.GNAP_CLIENT_UNAUTHORIZED]: { status: 401, code: 'invalid_client' },
  [ErrorCode.GNAP_INTERACTION_INVALID]: { status: 404, code: 'invalid_interaction' },
  [ErrorCode.GNAP_TOO_FAST]: { status: 400, code: 'too_fast' },
  [ErrorCode.GNAP_INVALID_CONTINUATION]: { status: 401, code: 'invalid_continuation' },
  [ErrorCode.GNAP_UNKNOWN_CONTINUATION]: { status: 404, code: 'invalid_continuation' },
  [ErrorCode.GNAP_REQUEST_DENIED]: { status: 401, code: 'request_denied' },
  [ErrorCode.GNAP_INVALID_ROTATION]: { status: 404, code: 'invalid_rotation' },
  [ErrorCode.GRANT_NOT_OWNED]: { status: 403, code: 'request_denied' },
};

const BAD_INPUT: OpenPaymentsErrorMapping = { status: 400, code: 'invalid_request' };

/** Sets where public URLs are built from; app.ts does it once, before any Open Payments scope. */
export function useOpenPaymentsBase(app: FastifyInstance, base: () => string): void {
  app.decorate('openPaymentsBase', base);
}

/**
 * The URI the client signed: the public base + the raw request URL, byte for byte (the query as the
 * client encoded it), never a decoded or normalized path.
 */
export function targetUri(request: FastifyRequest): string {
  const base = request.server.openPaymentsBase;
  if (!base) throw new Error('useOpenPaymentsBase was not called');
  return `${base()}${request.raw.url ?? request.url}`;
}

/** `GNAP as_uri=…`: where a client without a valid token asks for one. */
export function wwwAuthenticate(request: FastifyRequest): string {
  return `GNAP as_uri=${request.server.openPaymentsBase!()}/gnap`;
}

export function sendOpenPaymentsError(request: FastifyRequest, reply: FastifyReply, status: number, code: string, description: string, field?: string[] | null): FastifyReply {
  if (status === 401) reply.header('WWW-Authenticate', wwwAuthenticate(request));
  const details = field?.length ? { details: { field: field.join('.') } } : {};
  return reply.status(status).header('Cache-Control', 'no-store').send({ error: { code, description, ...details } });
}

/**
 * A Fastify scope for Open Payments routes: a JSON parser that accepts an empty body (the official
 * client sends `Content-Type: application/json` on body-less POSTs and DELETEs) and keeps the raw
 * string for Content-Digest, and errors as `{error:{code,description}}`. `errors` adds mappings for
 * the codes of the routes registered inside.
 */
export async function registerOpenPaymentsScope(
  app: FastifyInstance,
  routes: (scope: FastifyInstance) => void | Promise<void>,
  errors: Partial<Record<ErrorCode, OpenPaymentsErrorMapping>> = {},
): Promise<void> {
  if (!app.openPaymentsBase) throw new Error('useOpenPaymentsBase must be called before registerOpenPaymentsScope');
  const mappings = { ...OPEN_PAYMENTS_ERRORS, ...errors };
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = body as string;
      request.rawBody = text;
      if (text === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(Object.assign(new Error('The body is not valid JSON.'), { statusCode: 400, code: 'invalid_request' }), undefined);
      }
    });
    scope.setErrorHandler((error: FastifyError | PaygridError, request, reply) => {
      if (isPaygridError(error)) {
        const mapped = mappings[error.code] ?? BAD_INPUT;
        if (error instanceof RetryLaterError) {
          reply.header('Retry-After', String(error.retryAfterSeconds));
          return sendOpenPaymentsError(request, reply, 503, 'temporarily_unavailable', error.message);
        }
        return sendOpenPaymentsError(request, reply, mapped.status, mapped.code, error.message, error.field);
      }
      const status = (error as FastifyError).statusCode ?? 500;
      if (status < 500) return sendOpenPaymentsError(request, reply, status, 'invalid_request', error.message);
      reportUnexpected(request.log, error, 'Open Payments request');
      return sendOpenPaymentsError(request, reply, 500, 'internal_server_error', 'Something went wrong on our side.');
    });
    await routes(scope);
  });
}
