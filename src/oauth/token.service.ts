import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../persistence/database';
import { newId, newSecret } from '../shared/ids';
import { AccessToken } from './access-token.entity';
import { Client } from './client.entity';
import { ALL_SCOPES } from './scopes';

export const ACCESS_TOKEN_TTL_SECONDS = 3600;

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** OAuth2 token errors as RFC 6749 §5.2 names them; routes map them to their HTTP status. */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'invalid_scope' | 'unsupported_grant_type' | 'unauthorized_client',
    readonly description: string,
  ) {
    super(description);
  }
}

/** The caller of an API request, as its bearer token says. */
export interface Caller {
  clientId: string;
  /** The payer the client acts for, when the token came from a payer's consent. */
  userId: string | null;
  scopes: ReadonlySet<string>;
  tokenId: string;
  expiresAt: Date;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

export interface NewClient {
  id?: string;
  name: string;
  scopes: readonly string[];
  secret?: string;
  verified?: boolean;
  redirectUris?: readonly string[];
  isPublic?: boolean;
}

export class TokenService {
  constructor(private readonly db: Database) {}

  /**
   * Registers a client; returns the secret in clear once, as only its hash is kept, and the key that
   * signs its webhooks.
   */
  async createClient(input: NewClient): Promise<{ client: Client; secret: string; webhookSecret: string }> {
    const secret = input.secret ?? newSecret('pgs');
    const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const unknown = input.scopes.filter((s) => !ALL_SCOPES.includes(s));
    if (unknown.length) throw new Error(`unknown scopes: ${unknown.join(', ')}`);
    const client = await this.db.transaction(async (tx) =>
      tx.em.create(Client, {
        id: input.id ?? newId('cli'),
        name: input.name,
        secretHash: sha256(secret),
        scopes: [...input.scopes],
        verified: input.verified ?? false,
        redirectUris: [...(input.redirectUris ?? [])],
        isPublic: input.isPublic ?? false,
        webhookSecret,
        createdAt: new Date(),
      }),
    );
    return { client, secret, webhookSecret };
  }

  async findClient(id: string): Promise<Client | null> {
    return this.db.reader().findOne(Client, { id });
  }

  /** Checks a client's credentials in constant time; an unknown client costs the same as a wrong secret. */
  async authenticateClient(clientId: string, secret: string): Promise<Client> {
    // Only ids that could be ours reach the database (a NUL byte would make the driver fail).
    const client = /^[\x21-\x7e]{1,64}$/.test(clientId) ? await this.findClient(clientId) : null;
    const expected = Buffer.from(client?.secretHash ?? sha256(`absent:${clientId}`), 'hex');
    const given = Buffer.from(sha256(secret), 'hex');
    if (!timingSafeEqual(expected, given) || !client) throw new OAuthError('invalid_client', 'Client authentication failed.');
    return client;
  }

  /** RFC 6749 §4.4: a client acting for itself. No refresh token is issued. */
  async clientCredentials(client: Client, requestedScope: string | undefined): Promise<IssuedToken> {
    const scopes = requestedScope?.trim() ? [...new Set(requestedScope.trim().split(/\s+/))] : client.scopes;
    const refused = scopes.filter((s) => !client.scopes.includes(s));
    if (refused.length) throw new OAuthError('invalid_scope', `The client may not ask for: ${refused.join(' ')}.`);
    const accessToken = newSecret('pgat');
    await this.db.transaction(async (tx) => {
      tx.em.create(AccessToken, {
        id: newId('tok'),
        tokenHash: sha256(accessToken),
        clientId: client.id,
        userId: null,
        scopes,
        expiresAt: new Date(Date.now() + ACCESS_TOKEN_TTL_SECONDS * 1000),
        revokedAt: null,
        createdAt: new Date(),
      });
    });
    return { accessToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS, scope: scopes.join(' ') };
  }

  /** Resolves a bearer token to its caller, or null when it is unknown, expired or revoked. */
  async authenticate(bearer: string): Promise<Caller | null> {
    if (!bearer || bearer.length > 200) return null;
    const token = await this.db.reader().findOne(AccessToken, { tokenHash: sha256(bearer) });
    if (!token || token.revokedAt || token.expiresAt.getTime() <= Date.now()) return null;
    return { clientId: token.clientId, userId: token.userId, scopes: new Set(token.scopes), tokenId: token.id, expiresAt: token.expiresAt };
  }

  /** Whether a caller's token is still good, for long-lived subscriptions. */
  async stillValid(caller: Caller): Promise<boolean> {
    if (caller.expiresAt.getTime() <= Date.now()) return false;
    const token = await this.db.reader().findOne(AccessToken, { id: caller.tokenId }, { fields: ['revokedAt'] });
    return !!token && !token.revokedAt;
  }
}
