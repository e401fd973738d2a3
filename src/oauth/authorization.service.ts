import type { TokenRevocation } from '../events/pubsub';
import type { Database, Tx } from '../persistence/database';
import { systemClock, type Clock } from '../shared/clock';
import { newId, newSecret } from '../shared/ids';
import type { UserService } from '../users/user.service';
import { AccessToken } from './access-token.entity';
import { AuthorizationCode } from './authorization-code.entity';
import type { Client } from './client.entity';
import { CODE_VERIFIER, S256_CHALLENGE, verifyS256 } from './pkce';
import { RefreshToken } from './refresh-token.entity';
import { PAYER_CONSENT_SCOPES, parseScope } from './scopes';
import { sha256 } from '../shared/ids';
import { OAuthError, type OAuthErrorCode, type TokenService } from './token.service';

/** RFC 6749 §4.1.2 recommends at most 10 minutes; a browser redirect needs seconds. */
export const AUTHORIZATION_CODE_TTL_SECONDS = 5 * 60;
/** Access tokens that act for a payer live 8 hours, as iumiCash's do. */
export const PAYER_ACCESS_TOKEN_TTL_SECONDS = 8 * 60 * 60;
/** A refresh token not used for 30 days expires; each use gives a new one with a new 30 days… */
export const REFRESH_TOKEN_IDLE_SECONDS = 30 * 24 * 60 * 60;
/** …but never beyond 180 days after the payer's consent: then the payer is asked again. */
export const CONSENT_MAX_AGE_SECONDS = 180 * 24 * 60 * 60;

const MAX_TOKEN_LENGTH = 512;

/** An authorization request that passed every check; the consent page shows it, approval issues its code. */
export interface AuthorizationRequest {
  client: Client;
  redirectUri: string;
  scopes: string[];
  state: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
}

/**
 * What to do with an authorization request (RFC 6749 §4.1.2.1):
 * - `invalid`: the client or the redirect URI cannot be trusted, so the browser must NOT be sent
 *   there; the payer sees an error page instead;
 * - `redirect-error`: the client is known and the redirect URI registered: the error goes back to it;
 * - `ok`: ask the payer.
 */
export type AuthorizeCheck =
  | { kind: 'invalid'; message: string }
  | { kind: 'redirect-error'; redirectUri: string; state: string | null; error: OAuthErrorCode; description: string }
  | { kind: 'ok'; request: AuthorizationRequest };

export interface IssuedGrant {
  /** The consent the grant descends from (its authorization code's id): flows that link a grant to a code find it by this. */
  familyId: string;
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresIn: number;
  scope: string;
}

/** RFC 7662 §2.2: `{active: false}` alone, or the token's description. */
export type Introspection = { active: false } | ({ active: true } & Record<string, string | number | boolean>);

const INACTIVE: Introspection = { active: false };

/** Only the parameters a caller cannot mistake: absent, or one string (RFC 6749 §3.1: never repeated). */
function single(params: Record<string, unknown>, name: string): { value: string | undefined; repeated: boolean } {
  const value = params[name];
  if (value === undefined) return { value: undefined, repeated: false };
  if (typeof value === 'string') return { value, repeated: false };
  return { value: undefined, repeated: true };
}

const AUTHORIZE_PARAMETERS = ['response_type', 'scope', 'state', 'code_challenge', 'code_challenge_method'] as const;

/** Outcome of work done in a transaction that must commit even when the answer is an error (a consumed code, a revoked family). */
type Outcome<T> = { ok: T } | { error: OAuthError; revokedFamily?: string };

/**
 * The authorization code grant with PKCE, refresh-token rotation, introspection and revocation
 * (RFC 6749, 7636, 7009, 7662, 9700). Transport-free: routes parse, this decides.
 */
export class AuthorizationService {
  constructor(
    private readonly db: Database,
    private readonly tokens: TokenService,
    private readonly users: UserService,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Checks `GET /oauth/authorize`'s parameters: first the client and redirect URI, then the rest. */
  async checkAuthorizeRequest(params: Record<string, unknown>): Promise<AuthorizeCheck> {
    return this.check(params, (scope, client, fail) => {
      if (!scope?.trim()) return fail('invalid_scope', 'scope is required.');
      const scopes = parseScope(scope);
      const refused = scopes.filter((s) => !(PAYER_CONSENT_SCOPES as readonly string[]).includes(s) || !client.scopes.includes(s));
      if (refused.length) return fail('invalid_scope', `These scopes cannot be asked of a payer by this client: ${refused.join(' ')}.`);
      return scopes;
    });
  }

  /**
   * The same checks for a 1-Click request (`identity_provider` given): the identity provider
   * identifies the player instead of a login, and the one scope is the 1-Click API's `default`
   * (optional, as in its examples).
   */
  async checkOneClickRequest(params: Record<string, unknown>, scopes: readonly string[]): Promise<AuthorizeCheck> {
    return this.check(params, (scope, _client, fail) => {
      if (scope !== undefined && !scopes.includes(scope.trim())) return fail('invalid_scope', `The only scope of a 1-Click request is ${scopes.join(' ')}.`);
      return [...scopes];
    });
  }

  private async check(
    params: Record<string, unknown>,
    scopesOf: (scope: string | undefined, client: Client, fail: (error: OAuthErrorCode, description: string) => AuthorizeCheck) => string[] | AuthorizeCheck,
  ): Promise<AuthorizeCheck> {
    const clientId = single(params, 'client_id');
    if (clientId.repeated || !clientId.value) return { kind: 'invalid', message: 'The request does not name the application (client_id).' };
    const client = await this.tokens.findClient(clientId.value);
    if (!client || client.disabledAt) return { kind: 'invalid', message: 'The application that sent you here is not known to Paygrid.' };

    const redirect = single(params, 'redirect_uri');
    if (redirect.repeated || !redirect.value) return { kind: 'invalid', message: 'The request does not say where to send you back (redirect_uri).' };
    const redirectUri = redirect.value;
    // RFC 9700 §2.1: exact string comparison with a registered URI, nothing looser.
    if (!client.redirectUris.includes(redirectUri)) {
      return { kind: 'invalid', message: 'The address the application asked to send you back to is not registered for it.' };
    }

    const state = single(params, 'state');
    const fail = (error: OAuthErrorCode, description: string): AuthorizeCheck => ({
      kind: 'redirect-error',
      redirectUri,
      state: state.value ?? null,
      error,
      description,
    });
    const repeated = AUTHORIZE_PARAMETERS.find((name) => single(params, name).repeated);
    if (repeated) return fail('invalid_request', `The parameter ${repeated} is repeated.`);

    const responseType = params.response_type as string | undefined;
    if (!responseType) return fail('invalid_request', 'response_type is required.');
    if (responseType !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported.');

    const scopes = scopesOf(params.scope as string | undefined, client, fail);
    if (!Array.isArray(scopes)) return scopes;

    const challenge = params.code_challenge as string | undefined;
    const method = params.code_challenge_method as string | undefined;
    if (challenge === undefined) {
      if (method !== undefined) return fail('invalid_request', 'code_challenge_method was sent without code_challenge.');
      if (client.isPublic) return fail('invalid_request', 'A public client must use PKCE: code_challenge and code_challenge_method=S256 are required.');
    } else {
      // RFC 7636 makes `plain` the default method; this server accepts S256 only.
      if (method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256 (plain is not supported).');
      if (!S256_CHALLENGE.test(challenge)) return fail('invalid_request', 'code_challenge is not a BASE64URL-encoded SHA-256 (43 characters).');
    }

    return {
      kind: 'ok',
      request: {
        client,
        redirectUri,
        scopes,
        state: state.value ?? null,
        codeChallenge: challenge ?? null,
        codeChallengeMethod: challenge === undefined ? null : 'S256',
      },
    };
  }

  /** The payer approved: a single-use code for the client, returned in clear once (only its hash is kept). */
  async issueCode(request: AuthorizationRequest, userId: string): Promise<string> {
    return this.db.transaction(async (tx) => this.issueCodeIn(tx, request, userId, newId('azc')));
  }

  /** Writes a code in the caller's transaction, under an id the caller chose (a flow that links its grant to it). */
  issueCodeIn(tx: Tx, request: AuthorizationRequest, userId: string, id: string): string {
    const code = newSecret('pgac');
    const now = this.clock.now();
    tx.em.create(AuthorizationCode, {
      id,
      codeHash: sha256(code),
      clientId: request.client.id,
      userId,
      redirectUri: request.redirectUri,
      scopes: request.scopes,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: request.codeChallengeMethod,
      expiresAt: new Date(now.getTime() + AUTHORIZATION_CODE_TTL_SECONDS * 1000),
      usedAt: null,
      createdAt: now,
    });
    return code;
  }

  /**
   * RFC 6749 §4.1.3 with PKCE. A code is good for one presentation by its client: whatever the
   * outcome, it is spent; a second presentation revokes every token issued from it (§4.1.2).
   * A code of another client is answered as an unknown one and left alone.
   */
  async exchangeCode(client: Client, input: { code?: string; redirectUri?: string; codeVerifier?: string }): Promise<IssuedGrant> {
    if (!input.code) throw new OAuthError('invalid_request', 'code is required.');
    if (!input.redirectUri) throw new OAuthError('invalid_request', 'redirect_uri is required: the one of the authorization request.');
    if (input.codeVerifier !== undefined && !CODE_VERIFIER.test(input.codeVerifier)) {
      throw new OAuthError('invalid_request', 'code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.');
    }
    if (input.code.length > MAX_TOKEN_LENGTH) throw new OAuthError('invalid_grant', 'The code is invalid.');
    const invalid = new OAuthError('invalid_grant', 'The code is invalid, expired or used, or was issued to another client.');
    const now = this.clock.now();
    const outcome = await this.db.transaction(async (tx): Promise<Outcome<IssuedGrant>> => {
      const row = await tx.em.findOne(AuthorizationCode, { codeHash: sha256(input.code!) });
      if (!row || row.clientId !== client.id) return { error: invalid };
      const claimed = await tx.em.nativeUpdate(AuthorizationCode, { id: row.id, usedAt: null }, { usedAt: now });
      if (claimed !== 1) {
        await this.revokeFamily(tx, row.id, now);
        return { error: new OAuthError('invalid_grant', 'The code was already used; the tokens issued from it are revoked.'), revokedFamily: row.id };
      }
      if (row.expiresAt.getTime() <= now.getTime()) return { error: invalid };
      if (row.redirectUri !== input.redirectUri) return { error: new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request.') };
      if (row.codeChallenge) {
        if (input.codeVerifier === undefined) return { error: new OAuthError('invalid_grant', 'code_verifier is required: the authorization request had a code_challenge.') };
        if (!verifyS256(input.codeVerifier, row.codeChallenge)) return { error: new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge.') };
      } else if (input.codeVerifier !== undefined) {
        // RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a downgrade attempt.
        return { error: new OAuthError('invalid_grant', 'code_verifier was sent, but the authorization request had no code_challenge.') };
      }
      return { ok: this.issueGrant(tx, { client, userId: row.userId, familyId: row.id, consentedAt: row.createdAt, grantedScopes: row.scopes, scopes: row.scopes }) };
    });
    return this.settle(outcome);
  }

  /**
   * RFC 6749 §6 with rotation (RFC 9700 §4.14.2): the refresh token is spent and a successor with
   * the same scopes issued; the access token may be narrowed, never widened. Presenting a spent or
   * revoked refresh token revokes its whole family, whoever presents it.
   */
  async refresh(client: Client, input: { refreshToken?: string; scope?: string }): Promise<IssuedGrant> {
    if (!input.refreshToken) throw new OAuthError('invalid_request', 'refresh_token is required.');
    const invalid = new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked, or was issued to another client.');
    if (input.refreshToken.length > MAX_TOKEN_LENGTH) throw invalid;
    const now = this.clock.now();
    const outcome = await this.db.transaction(async (tx): Promise<Outcome<IssuedGrant>> => {
      const row = await tx.em.findOne(RefreshToken, { tokenHash: sha256(input.refreshToken!) });
      if (!row || row.clientId !== client.id) return { error: invalid };
      const replay = new OAuthError('invalid_grant', 'The refresh token was already used; every token of this grant is revoked.');
      if (row.usedAt || row.revokedAt) {
        await this.revokeFamily(tx, row.familyId, now);
        return { error: replay, revokedFamily: row.familyId };
      }
      let scopes = row.scopes;
      if (input.scope !== undefined && input.scope.trim()) {
        scopes = parseScope(input.scope);
        const wider = scopes.filter((s) => !row.scopes.includes(s));
        if (wider.length) return { error: new OAuthError('invalid_scope', `The payer did not consent to: ${wider.join(' ')}.`) };
      }
      const claimed = await tx.em.nativeUpdate(RefreshToken, { id: row.id, usedAt: null, revokedAt: null }, { usedAt: now });
      if (claimed !== 1) {
        await this.revokeFamily(tx, row.familyId, now);
        return { error: replay, revokedFamily: row.familyId };
      }
      if (row.expiresAt.getTime() <= now.getTime()) return { error: invalid };
      return {
        ok: this.issueGrant(tx, { client, userId: row.userId, familyId: row.familyId, consentedAt: row.consentedAt, grantedScopes: row.scopes, scopes }),
      };
    });
    return this.settle(outcome);
  }

  /** Announces the family a transaction revoked (once committed), then answers. */
  private async settle<T>(outcome: Outcome<T>): Promise<T> {
    if ('ok' in outcome) return outcome.ok;
    if (outcome.revokedFamily) await this.tokens.announceRevocation({ tokenIds: [], familyIds: [outcome.revokedFamily] });
    throw outcome.error;
  }

  /**
   * RFC 7662: what a token is, for the client it was issued to. Anything else (unknown, expired,
   * revoked, spent, another client's) is `{active: false}` and nothing more.
   */
  async introspect(client: Client, token: unknown, hint?: unknown): Promise<Introspection> {
    if (typeof token !== 'string' || !token || token.length > MAX_TOKEN_LENGTH) return INACTIVE;
    const now = this.clock.now().getTime();
    const tokenHash = sha256(token);
    const em = this.db.reader();
    const lookups = [
      async (): Promise<Introspection | null> => {
        const row = await em.findOne(AccessToken, { tokenHash });
        if (!row) return null;
        if (row.clientId !== client.id || row.revokedAt || row.expiresAt.getTime() <= now) return INACTIVE;
        return this.describe(row, 'Bearer');
      },
      async (): Promise<Introspection | null> => {
        const row = await em.findOne(RefreshToken, { tokenHash });
        if (!row) return null;
        if (row.clientId !== client.id || row.usedAt || row.revokedAt || row.expiresAt.getTime() <= now) return INACTIVE;
        return this.describe(row, 'refresh_token');
      },
    ];
    if (hint === 'refresh_token') lookups.reverse();
    for (const lookup of lookups) {
      const found = await lookup();
      if (found) return found;
    }
    return INACTIVE;
  }

  /**
   * RFC 7009: revokes a token of this client. A refresh token takes its whole family with it (every
   * refresh and access token of the consent); an access token goes alone. Unknown tokens and other
   * clients' tokens are ignored, with the same answer, so the endpoint tells nothing about them.
   */
  async revoke(client: Client, token: unknown): Promise<void> {
    if (typeof token !== 'string' || !token || token.length > MAX_TOKEN_LENGTH) return;
    const tokenHash = sha256(token);
    const now = this.clock.now();
    const revoked = await this.db.transaction(async (tx): Promise<TokenRevocation> => {
      const refresh = await tx.em.findOne(RefreshToken, { tokenHash, clientId: client.id });
      if (refresh) {
        await this.revokeFamily(tx, refresh.familyId, now);
        return { tokenIds: [], familyIds: [refresh.familyId] };
      }
      const access = await tx.em.findOne(AccessToken, { tokenHash, clientId: client.id, revokedAt: null }, { fields: ['id'] });
      if (!access) return { tokenIds: [], familyIds: [] };
      await tx.em.nativeUpdate(AccessToken, { id: access.id, revokedAt: null }, { revokedAt: now });
      return { tokenIds: [access.id], familyIds: [] };
    });
    await this.tokens.announceRevocation(revoked);
  }

  private async describe(row: AccessToken | RefreshToken, tokenType: string): Promise<Introspection> {
    const user = row.userId ? await this.users.get(row.userId) : null;
    return {
      active: true,
      scope: row.scopes.join(' '),
      client_id: row.clientId,
      token_type: tokenType,
      exp: Math.floor(row.expiresAt.getTime() / 1000),
      iat: Math.floor(row.createdAt.getTime() / 1000),
      sub: row.userId ?? row.clientId,
      ...(user ? { username: user.username } : {}),
    };
  }

  private issueGrant(
    tx: Tx,
    grant: { client: Client; userId: string; familyId: string; consentedAt: Date; grantedScopes: string[]; scopes: string[] },
  ): IssuedGrant {
    const now = this.clock.now();
    const accessToken = this.tokens.issueAccessToken(tx, {
      clientId: grant.client.id,
      userId: grant.userId,
      scopes: grant.scopes,
      ttlSeconds: PAYER_ACCESS_TOKEN_TTL_SECONDS,
      familyId: grant.familyId,
    });
    const refreshToken = newSecret('pgrt');
    const expiresAt = Math.min(now.getTime() + REFRESH_TOKEN_IDLE_SECONDS * 1000, grant.consentedAt.getTime() + CONSENT_MAX_AGE_SECONDS * 1000);
    tx.em.create(RefreshToken, {
      id: newId('rtk'),
      tokenHash: sha256(refreshToken),
      clientId: grant.client.id,
      userId: grant.userId,
      familyId: grant.familyId,
      scopes: grant.grantedScopes,
      consentedAt: grant.consentedAt,
      expiresAt: new Date(expiresAt),
      usedAt: null,
      revokedAt: null,
      createdAt: now,
    });
    return {
      familyId: grant.familyId,
      accessToken,
      expiresIn: PAYER_ACCESS_TOKEN_TTL_SECONDS,
      refreshToken,
      refreshTokenExpiresIn: Math.max(0, Math.floor((expiresAt - now.getTime()) / 1000)),
      scope: grant.scopes.join(' '),
    };
  }

  /** Every token descending from one consent stops working. */
  private async revokeFamily(tx: Tx, familyId: string, now: Date): Promise<void> {
    await tx.em.nativeUpdate(AccessToken, { familyId, revokedAt: null }, { revokedAt: now });
    await tx.em.nativeUpdate(RefreshToken, { familyId, revokedAt: null }, { revokedAt: now });
  }
}
