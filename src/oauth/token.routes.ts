import { reportUnexpected } from '../http/error-boundary';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthorizationService } from './authorization.service';
import type { Client } from './client.entity';
import { ALL_SCOPES } from './scopes';
import { OAuthError, type TokenService } from './token.service';

interface ClientCredentials {
  clientId: string;
  /** Null when the client sent its id alone (a public client). */
  secret: string | null;
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

/** RFC 6749 §2.3.1: HTTP Basic or body parameters, never both; a public client sends client_id alone (§2.1). */
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
  if (typeof body.client_id !== 'string' || (body.client_secret !== undefined && typeof body.client_secret !== 'string')) {
    throw new OAuthError('invalid_client', 'Client authentication is required (HTTP Basic or client_id and client_secret).');
  }
  return { clientId: body.client_id, secret: (body.client_secret as string | undefined) ?? null, viaBasic: false };
}

/** A parameter that is absent or one string; a repeated or non-string one is malformed (RFC 6749 §3.2). */
function param(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be given once, as a string.`);
  return value;
}

function sendOAuthError(reply: FastifyReply, error: OAuthError, viaBasic: boolean): FastifyReply {
  const status = error.error === 'invalid_client' ? 401 : 400;
  if (status === 401 && viaBasic) reply.header('WWW-Authenticate', 'Basic realm="paygrid"');
  return reply.status(status).send({ error: error.error, error_description: error.description });
}

function bodyOf(request: FastifyRequest): Record<string, unknown> {
  return (request.body && typeof request.body === 'object' && !Array.isArray(request.body) ? request.body : {}) as Record<string, unknown>;
}

type ClientRoute = (client: Client, body: Record<string, unknown>, reply: FastifyReply, request: FastifyRequest) => Promise<FastifyReply>;

/**
 * A back-channel endpoint: no caching, client authentication first, and every OAuthError answered
 * in RFC 6749 §5.2 form. `confidentialOnly` refuses public clients, which prove nothing but an id.
 */
function clientEndpoint(tokens: TokenService, route: ClientRoute, confidentialOnly = false) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    const body = bodyOf(request);
    let viaBasic = request.headers.authorization?.startsWith('Basic ') ?? false;
    try {
      const credentials = clientCredentials(request, body);
      viaBasic = credentials.viaBasic;
      if (confidentialOnly && credentials.secret === null) throw new OAuthError('invalid_client', 'Client authentication is required.');
      const client = await tokens.authenticateClient(credentials.clientId, credentials.secret);
      return await route(client, body, reply, request);
    } catch (error) {
      if (error instanceof OAuthError) return sendOAuthError(reply, error, viaBasic);
      throw error;
    }
  };
}

export interface OAuthRoutesOptions {
  tokens: TokenService;
  authorization: AuthorizationService;
  /** The issuer identifier (RFC 8414): this server's public base URL, known once it listens. */
  issuer: () => string;
  /**
   * The 1-Click API's additions: the claims of a grant issued through it (null for any other
   * grant, whose token response stays RFC 6749's), and `check_token`.
   */
  oneClick?: {
    grantClaims(familyId: string): Promise<Record<string, unknown> | null>;
    checkToken(client: Client, token: unknown): Promise<Record<string, unknown> | null>;
  };
}

/** What the 1-Click API's example sends in the query of /oauth/token; credentials never come from a URL. */
const QUERY_TOKEN_PARAMETERS = ['grant_type', 'code', 'redirect_uri', 'code_verifier'] as const;

/**
 * The body, with the token parameters the query carries (the 1-Click API's example): a parameter
 * in both, even equal, is ambiguous and refused.
 */
function withQuery(request: FastifyRequest, body: Record<string, unknown>): Record<string, unknown> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const merged = { ...body };
  for (const name of QUERY_TOKEN_PARAMETERS) {
    if (query[name] === undefined) continue;
    if (body[name] !== undefined) throw new OAuthError('invalid_request', `${name} is given twice (query and body).`);
    merged[name] = query[name];
  }
  return merged;
}

/**
 * The OAuth2 back channel: token (form or JSON bodies), introspection (RFC 7662), revocation
 * (RFC 7009) and the authorization server metadata (RFC 8414).
 */
export function registerTokenRoutes(app: FastifyInstance, options: OAuthRoutesOptions): void {
  app.register(async (scope) => {
    // Whatever fails here (an unreadable body, a bug, the database) answers in RFC 6749 §5.2 form
    // and never with the error's own message, which for a driver error is the SQL statement.
    scope.setErrorHandler((error, request, reply) => {
      reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status >= 400 && status < 500) {
        return reply.status(400).send({ error: 'invalid_request', error_description: 'The request body could not be read.' });
      }
      const reference = reportUnexpected(request.log, error, 'OAuth endpoint');
      return reply.status(500).send({ error: 'server_error', error_description: 'The server could not handle the request.', reference });
    });
    registerRoutes(scope, options);
  });
}

function registerRoutes(app: FastifyInstance, { tokens, authorization, issuer, oneClick }: OAuthRoutesOptions): void {
  app.post(
    '/oauth/token',
    clientEndpoint(tokens, async (client, form, reply, request) => {
      const body = withQuery(request, form);
      const grantType = param(body, 'grant_type');
      if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required.');
      if (grantType === 'client_credentials') {
        const issued = await tokens.clientCredentials(client, param(body, 'scope'));
        return reply.send({ access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope });
      }
      let issued;
      if (grantType === 'authorization_code') {
        issued = await authorization.exchangeCode(client, {
          code: param(body, 'code'),
          redirectUri: param(body, 'redirect_uri'),
          codeVerifier: param(body, 'code_verifier'),
        });
      } else if (grantType === 'refresh_token') {
        issued = await authorization.refresh(client, { refreshToken: param(body, 'refresh_token'), scope: param(body, 'scope') });
      } else {
        throw new OAuthError('unsupported_grant_type', `grant_type "${grantType}" is not supported.`);
      }
      const claims = await oneClick?.grantClaims(issued.familyId);
      if (claims) {
        // The 1-Click API's shape: `bearer`, scope as a JSON array, the player's KYC claims and txRefId.
        return reply.send({
          access_token: issued.accessToken,
          token_type: 'bearer',
          expires_in: issued.expiresIn,
          refresh_token: issued.refreshToken,
          ...claims,
        });
      }
      return reply.send({
        access_token: issued.accessToken,
        token_type: 'Bearer',
        expires_in: issued.expiresIn,
        refresh_token: issued.refreshToken,
        refresh_token_expires_in: issued.refreshTokenExpiresIn,
        scope: issued.scope,
      });
    }),
  );

  if (oneClick) {
    // Spring Security OAuth's legacy CheckTokenEndpoint, as the 1-Click API has it: not RFC 7662 (no `active`).
    const checkToken = clientEndpoint(
      tokens,
      async (client, body, reply, request) => {
        const token = param({ ...((request.query ?? {}) as Record<string, unknown>), ...body }, 'token');
        if (!token) throw new OAuthError('invalid_request', 'token is required.');
        const claims = await oneClick.checkToken(client, token);
        if (!claims) return reply.status(400).send({ error: 'invalid_token', error_description: 'Token was not recognised' });
        return reply.send(claims);
      },
      true,
    );
    app.get('/oauth/check_token', checkToken);
    app.post('/oauth/check_token', checkToken);
  }

  app.post(
    '/oauth/introspect',
    clientEndpoint(
      tokens,
      async (client, body, reply) => {
        const token = param(body, 'token');
        if (!token) throw new OAuthError('invalid_request', 'token is required.');
        const answer = await authorization.introspect(client, token, param(body, 'token_type_hint'));
        return reply.send(answer.active ? { ...answer, iss: issuer() } : answer);
      },
      true,
    ),
  );

  app.post(
    '/oauth/revoke',
    clientEndpoint(tokens, async (client, body, reply) => {
      const token = param(body, 'token');
      if (!token) throw new OAuthError('invalid_request', 'token is required.');
      param(body, 'token_type_hint');
      await authorization.revoke(client, token);
      return reply.status(200).send();
    }),
  );

  app.get('/.well-known/oauth-authorization-server', async (_request, reply) => {
    const base = issuer();
    return reply.header('Cache-Control', 'public, max-age=300').send({
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      introspection_endpoint: `${base}/oauth/introspect`,
      revocation_endpoint: `${base}/oauth/revoke`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      scopes_supported: ALL_SCOPES,
      // RFC 9207: every authorization response carries `iss`, against mix-up attacks.
      authorization_response_iss_parameter_supported: true,
    });
  });
}
