import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../shared/errors';
import { hasForbiddenCharacters } from '../shared/text';
import { sendErrorPage } from './pages';

interface Refusal {
  code: ErrorCode.TEXT_INVALID_CHARACTERS;
  /** Where the value came: `params`, `query` or `body`, then its key path. */
  field: string[];
  message: string;
}

function refusalIn(value: unknown, path: string[]): Refusal | null {
  if (typeof value === 'string') {
    if (!hasForbiddenCharacters(value)) return null;
    return { code: ErrorCode.TEXT_INVALID_CHARACTERS, field: path, message: `${path.at(-1)} contains characters that are not allowed (control characters or unpaired surrogates).` };
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const refusal = refusalIn(key, [...path, '(name)']) ?? refusalIn(item, [...path, key]);
      if (refusal) return refusal;
    }
  }
  return null;
}

const OAUTH_BACK_CHANNEL = ['/oauth/token', '/oauth/revoke', '/oauth/introspect'];
const CLIENT_CREDENTIALS = ['client_id', 'client_secret'];

/** Answers in the format of the protocol the route speaks: OAuth's (RFC 6749 §5.2), iumiCash's, or an error page. */
function refuse(request: FastifyRequest, reply: FastifyReply, refusal: Refusal): FastifyReply {
  const field = refusal.field.join('.');
  const path = request.url.split('?')[0];
  if (OAUTH_BACK_CHANNEL.includes(path)) {
    // A client id no client can have fails client authentication, like any unknown one.
    if (CLIENT_CREDENTIALS.includes(refusal.field.at(-1)!)) return reply.status(401).send({ error: 'invalid_client', error_description: refusal.message });
    return reply.status(400).send({ error: 'invalid_request', error_description: refusal.message });
  }
  if (path.startsWith('/orders/')) {
    return reply.status(400).send({ error: 'INVALID_REQUEST', description: refusal.message, field_errors: [{ field, message: refusal.message }] });
  }
  return sendErrorPage(reply, 400, 'Request refused', refusal.message);
}

/**
 * The REST routes' and pages' half of the edge check on text (GraphQL checks its arguments itself,
 * against their types): params, query and body values, and their names, holding NUL or other
 * control characters but tab and newlines, or unpaired surrogates, are refused (400; 401 for
 * client credentials) before any route or service sees them. Lengths are each route's own.
 */
export function registerInputGuard(http: FastifyInstance): void {
  http.addHook('preValidation', async (request, reply) => {
    if (request.url.split('?')[0] === '/graphql') return;
    const refusal =
      refusalIn(request.params, ['params']) ?? refusalIn(request.query, ['query']) ?? refusalIn(request.body, ['body']);
    if (refusal) return refuse(request, reply, refusal);
  });
}
