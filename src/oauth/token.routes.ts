import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError, type TokenService } from './token.service';

interface ClientCredentials {
  clientId: string;
  secret: string;
  viaBasic: boolean;
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded; a bad escape is bad credentials, not a crash. */
function decodeBasicPart(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'));
  } catch {
    throw new OAuthError('invalid_client', 'Malformed Basic credentials.');
  }
}

/** RFC 6749 §2.3.1: HTTP Basic or body parameters, never both. */
function clientCredentials(request: FastifyRequest, body: Record<string, unknown>): ClientCredentials {
  const header = request.headers.authorization;
  const inBody = typeof body.client_id === 'string' || typeof body.client_secret === 'string';
  if (header?.startsWith('Basic ')) {
    if (inBody && typeof body.client_secret === 'string') throw new OAuthError('invalid_request', 'Use one client authentication method, not two.');
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError('invalid_client', 'Malformed Basic credentials.');
    return {
      clientId: decodeBasicPart(decoded.slice(0, colon)),
      secret: decodeBasicPart(decoded.slice(colon + 1)),
      viaBasic: true,
    };
  }
  if (typeof body.client_id !== 'string' || typeof body.client_secret !== 'string') {
    throw new OAuthError('invalid_client', 'Client authentication is required (HTTP Basic or client_id and client_secret).');
  }
  return { clientId: body.client_id, secret: body.client_secret, viaBasic: false };
}

function sendOAuthError(reply: FastifyReply, error: OAuthError, viaBasic: boolean): FastifyReply {
  const status = error.error === 'invalid_client' ? 401 : 400;
  if (status === 401 && viaBasic) reply.header('WWW-Authenticate', 'Basic realm="paygrid"');
  return reply.status(status).send({ error: error.error, error_description: error.description });
}

/** The OAuth2 token endpoint; accepts form-encoded and JSON bodies. */
export function registerTokenRoutes(app: FastifyInstance, tokens: TokenService): void {
  app.register(async (scope) => {
    // Whatever fails here (an unreadable body, a bug, the database) answers in RFC 6749 §5.2 form
    // and never with the error's own message, which for a driver error is the SQL statement.
    scope.setErrorHandler((error, request, reply) => {
      reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status >= 400 && status < 500) {
        return reply.status(400).send({ error: 'invalid_request', error_description: 'The request body could not be read.' });
      }
      request.log.error({ err: error }, 'token endpoint failed');
      return reply.status(500).send({ error: 'server_error', error_description: 'The server could not handle the request.' });
    });
    registerTokenRoute(scope, tokens);
  });
}

function registerTokenRoute(app: FastifyInstance, tokens: TokenService): void {
  app.post('/oauth/token', async (request, reply) => {
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
    let viaBasic = request.headers.authorization?.startsWith('Basic ') ?? false;
    try {
      const credentials = clientCredentials(request, body);
      viaBasic = credentials.viaBasic;
      const client = await tokens.authenticateClient(credentials.clientId, credentials.secret);
      if (typeof body.grant_type !== 'string') throw new OAuthError('invalid_request', 'grant_type is required.');
      if (body.grant_type !== 'client_credentials') {
        throw new OAuthError('unsupported_grant_type', `grant_type "${body.grant_type}" is not supported.`);
      }
      if (body.scope !== undefined && typeof body.scope !== 'string') throw new OAuthError('invalid_request', 'scope must be a string.');
      const issued = await tokens.clientCredentials(client, body.scope as string | undefined);
      return reply.send({ access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope });
    } catch (error) {
      if (error instanceof OAuthError) return sendOAuthError(reply, error, viaBasic);
      throw error;
    }
  });
}
