import type { FastifyRequest } from 'fastify';
import type { Caller, TokenService } from '../oauth/token.service';

/** The token of an `Authorization: Bearer …` value; the scheme name is case-insensitive (RFC 7235). */
export function bearer(value: unknown): string | null {
  const match = typeof value === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  return match ? match[1] : null;
}

/**
 * The caller of an HTTP request: null when no Authorization header was sent; `false` when one was
 * sent and is not a valid bearer token (the caller answers 401).
 */
export async function authenticateRequest(request: FastifyRequest, tokens: TokenService): Promise<Caller | null | false> {
  const header = request.headers.authorization;
  if (!header) return null;
  const token = bearer(header);
  return (token && (await tokens.authenticate(token))) || false;
}

/** Whether the request carried more than one Authorization header (Node's `headers` shows only the first). */
export function repeatedAuthorization(request: FastifyRequest): boolean {
  const raw = request.raw.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'authorization' && ++seen > 1) return true;
  return false;
}
