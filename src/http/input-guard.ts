import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_INPUT_TEXT } from '../graphql/input-guard';
import { ErrorCode } from '../shared/errors';
import { hasForbiddenCharacters } from '../shared/text';

interface Refusal {
  code: ErrorCode.TEXT_INVALID_CHARACTERS | ErrorCode.FIELD_TOO_LONG;
  /** Where the value came: `params`, `query` or `body`, then its key path. */
  field: string[];
  message: string;
}

function refusalIn(value: unknown, path: string[]): Refusal | null {
  if (typeof value === 'string') {
    if (hasForbiddenCharacters(value)) {
      return { code: ErrorCode.TEXT_INVALID_CHARACTERS, field: path, message: 'The value contains control characters or unpaired surrogates.' };
    }
    if (value.length > MAX_INPUT_TEXT) return { code: ErrorCode.FIELD_TOO_LONG, field: path, message: `The value is longer than ${MAX_INPUT_TEXT} characters.` };
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const refusal = refusalIn(key, [...path, '(name)']) ?? refusalIn(item, [...path, key]);
      if (refusal) return refusal;
    }
  }
  return null;
}

/** Answers in the format of the protocol the route speaks: OAuth's, iumiCash's, or a plain one for pages. */
function refuse(request: FastifyRequest, reply: FastifyReply, refusal: Refusal): FastifyReply {
  const field = refusal.field.join('.');
  const path = request.url.split('?')[0];
  if (path.startsWith('/oauth/token') || path.startsWith('/oauth/revoke') || path.startsWith('/oauth/introspect')) {
    return reply.status(400).send({ error: 'invalid_request', error_description: `${field}: ${refusal.message}` });
  }
  if (path.startsWith('/orders/')) {
    return reply.status(400).send({ error: 'INVALID_REQUEST', description: refusal.message, field_errors: [{ field, message: refusal.message }] });
  }
  return reply.status(400).send({ error: refusal.code, message: refusal.message, field: refusal.field });
}

/**
 * The REST routes' and pages' half of the edge check on text (GraphQL checks its arguments itself,
 * against their types): params, query and body values, and their names, holding NUL or other
 * control characters but tab and newlines, unpaired surrogates, or more than any column holds, are
 * refused with 400 before any route or service sees them.
 */
export function registerInputGuard(http: FastifyInstance): void {
  http.addHook('preValidation', async (request, reply) => {
    if (request.url.split('?')[0] === '/graphql') return;
    const refusal =
      refusalIn(request.params, ['params']) ?? refusalIn(request.query, ['query']) ?? refusalIn(request.body, ['body']);
    if (refusal) return refuse(request, reply, refusal);
  });
}
