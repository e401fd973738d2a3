import { randomBytes } from 'node:crypto';
import { can, type TokenPrincipal } from '../access';
import type { Database } from '../persistence/database';
import type { Clock } from '../shared/clock';
import { ErrorCode, PaygridError } from '../shared/errors';
import { newSecret, sha256 } from '../shared/ids';
import { paginate, type Page, type PageRequest } from '../shared/pagination';
import { parseHttpUrl, requiredText } from '../shared/text';
import type { WebhookService } from '../webhooks/webhook.service';
import { AccessToken } from './access-token.entity';
import { Client } from './client.entity';
import { RefreshToken } from './refresh-token.entity';
import { ALL_SCOPES, PAYMENT_BOUND_SCOPES } from './scopes';
import type { TokenService } from './token.service';

export interface ClientSettings {
  name?: string | null;
  scopes?: readonly string[] | null;
  redirectUris?: readonly string[] | null;
  verified?: boolean | null;
  /** An empty string removes it. */
  webhookUrl?: string | null;
}

export interface NewManagedClient extends ClientSettings {
  name: string;
  scopes: readonly string[];
  isPublic?: boolean | null;
}

/** Longest overlap of a rotation: long enough for a deployment, short enough that a leaked secret dies. */
export const MAX_OVERLAP_SECONDS = 30 * 24 * 3600;
const MAX_REDIRECT_URIS = 20;

const NAME = { max: 200, name: 'name' } as const;

/**
 * Client management by operators (clients:manage): registering merchants and other operators,
 * changing them, disabling one (its tokens are revoked on every instance at once) and rotating its
 * secret or webhook key with an overlap during which the previous one still works.
 */
export class ClientService {
  constructor(
    private readonly db: Database,
    private readonly tokens: TokenService,
    private readonly webhooks: Pick<WebhookService, 'assertEndpoint'>,
    private readonly clock: Clock,
  ) {}

  private authorize(principal: TokenPrincipal | null, id = ''): void {
    // null: Paygrid itself (the bootstrap command).
    if (principal && !can(principal, 'manage', { kind: 'client', client: { id } })) throw new PaygridError(ErrorCode.NOT_FOUND, 'id');
  }

  async create(principal: TokenPrincipal | null, input: NewManagedClient): Promise<{ client: Client; secret: string }> {
    this.authorize(principal);
    const name = requiredText(input.name, 'name', NAME);
    const scopes = this.checkScopes(input.scopes);
    const redirectUris = this.checkRedirectUris(input.redirectUris ?? []);
    const webhookUrl = this.checkWebhookUrl(input.webhookUrl);
    const { client, secret } = await this.tokens.createClient({ name, scopes, redirectUris, verified: input.verified ?? false, isPublic: input.isPublic ?? false });
    if (webhookUrl) {
      await this.db.transaction(async (tx) => {
        (await tx.em.findOneOrFail(Client, { id: client.id })).webhookUrl = webhookUrl;
      });
      client.webhookUrl = webhookUrl;
    }
    return { client, secret };
  }

  async get(principal: TokenPrincipal, id: string): Promise<Client | null> {
    if (!can(principal, 'manage', { kind: 'client', client: { id } })) return null;
    return this.tokens.findClient(id);
  }

  async list(principal: TokenPrincipal, page: PageRequest): Promise<Page<Client>> {
    if (!can(principal, 'manage', { kind: 'client', client: { id: '' } })) return { nodes: [], hasNextPage: false, endCursor: null };
    // Client ids are chosen (demo ones) as well as generated, so pages go by id, not by time.
    return paginate(page, (beforeId, limit) =>
      this.db.reader().find(Client, beforeId ? { id: { $lt: beforeId } } : {}, { orderBy: { id: 'desc' }, limit }),
    );
  }

  async update(principal: TokenPrincipal, id: string, input: ClientSettings): Promise<Client> {
    this.authorize(principal, id);
    const name = input.name == null ? null : requiredText(input.name, 'name', NAME);
    const scopes = input.scopes == null ? null : this.checkScopes(input.scopes);
    const redirectUris = input.redirectUris == null ? null : this.checkRedirectUris(input.redirectUris);
    const webhookUrl = input.webhookUrl === undefined || input.webhookUrl === null ? undefined : this.checkWebhookUrl(input.webhookUrl);
    return this.db.transaction(async (tx) => {
      const client = await this.find(tx.em, id);
      if (name !== null) client.name = name;
      if (scopes !== null) client.scopes = scopes;
      if (redirectUris !== null) client.redirectUris = redirectUris;
      if (input.verified != null) client.verified = input.verified;
      if (webhookUrl !== undefined) client.webhookUrl = webhookUrl;
      return client;
    });
  }

  /**
   * Disables a client: it can get no new token, and every token it holds is revoked in the same
   * transaction, then announced, so that every instance refuses them (and closes their sockets) at once.
   */
  async disable(principal: TokenPrincipal, id: string): Promise<Client> {
    this.authorize(principal, id);
    const now = this.clock.now();
    const { client, tokenIds, familyIds } = await this.db.transaction(async (tx) => {
      const client = await this.find(tx.em, id);
      client.disabledAt ??= now;
      const live = await tx.em.find(AccessToken, { clientId: id, revokedAt: null, expiresAt: { $gt: now } }, { fields: ['id', 'familyId'] });
      await tx.em.nativeUpdate(AccessToken, { clientId: id, revokedAt: null }, { revokedAt: now });
      const families = await tx.em.find(RefreshToken, { clientId: id, revokedAt: null }, { fields: ['familyId'] });
      await tx.em.nativeUpdate(RefreshToken, { clientId: id, revokedAt: null }, { revokedAt: now });
      const familyIds = [...new Set([...families.map((r) => r.familyId), ...live.map((t) => t.familyId).filter((f): f is string => !!f)])];
      return { client, tokenIds: live.map((t) => t.id), familyIds };
    });
    await this.tokens.announceRevocation({ tokenIds, familyIds });
    return client;
  }

  /** A new secret, returned once; the previous one keeps working for `overlapSeconds` (0: stops now). */
  async rotateSecret(principal: TokenPrincipal, id: string, overlapSeconds: number): Promise<{ client: Client; secret: string }> {
    this.authorize(principal, id);
    const until = this.overlapEnd(overlapSeconds);
    const secret = newSecret('pgs');
    const client = await this.db.transaction(async (tx) => {
      const client = await this.find(tx.em, id);
      if (client.isPublic) throw new PaygridError(ErrorCode.INVALID_INPUT, 'id', 'A public client has no secret to rotate.');
      client.previousSecretHash = overlapSeconds > 0 ? client.secretHash : null;
      client.previousSecretUntil = overlapSeconds > 0 ? until : null;
      client.secretHash = sha256(secret);
      return client;
    });
    return { client, secret };
  }

  /** A new webhook key; deliveries sent during the overlap carry a signature with each key. */
  async rotateWebhookSecret(principal: TokenPrincipal, id: string, overlapSeconds: number): Promise<Client> {
    this.authorize(principal, id);
    const until = this.overlapEnd(overlapSeconds);
    return this.db.transaction(async (tx) => {
      const client = await this.find(tx.em, id);
      client.previousWebhookSecret = overlapSeconds > 0 ? client.webhookSecret : null;
      client.previousWebhookSecretUntil = overlapSeconds > 0 ? until : null;
      client.webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
      return client;
    });
  }

  private async find(em: import('@mikro-orm/core').EntityManager, id: string): Promise<Client> {
    const client = /^[\x21-\x7e]{1,64}$/.test(id) ? await em.findOne(Client, { id }) : null;
    if (!client) throw new PaygridError(ErrorCode.NOT_FOUND, 'id');
    return client;
  }

  private overlapEnd(overlapSeconds: number): Date {
    if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_OVERLAP_SECONDS) {
      throw new PaygridError(ErrorCode.INVALID_INPUT, 'overlapSeconds', `The overlap must be 0 to ${MAX_OVERLAP_SECONDS} seconds.`);
    }
    return new Date(this.clock.now().getTime() + overlapSeconds * 1000);
  }

  private checkScopes(scopes: readonly string[]): string[] {
    const unique = [...new Set(scopes)];
    const unknown = unique.filter((s) => !ALL_SCOPES.includes(s) || (PAYMENT_BOUND_SCOPES as readonly string[]).includes(s));
    if (unknown.length) throw new PaygridError(ErrorCode.INVALID_INPUT, 'scopes', `Unknown or not grantable scopes: ${unknown.join(', ').slice(0, 200)}.`);
    return unique;
  }

  private checkRedirectUris(uris: readonly string[]): string[] {
    if (uris.length > MAX_REDIRECT_URIS) throw new PaygridError(ErrorCode.INVALID_INPUT, 'redirectUris', `At most ${MAX_REDIRECT_URIS} redirect URIs.`);
    return uris.map((uri, i) => {
      const url = parseHttpUrl(uri);
      if (!url || uri.includes('#') || url.username || url.password || uri.length > 2048) throw new PaygridError(ErrorCode.REDIRECT_URI_INVALID, `redirectUris.${i}`);
      return uri;
    });
  }

  /** Null for none (an empty string removes it); else a URL deliveries may go to. */
  private checkWebhookUrl(raw: string | null | undefined): string | null {
    if (raw == null || raw.trim() === '') return null;
    const parsed = parseHttpUrl(raw.trim());
    if (!parsed || parsed.toString().length > 2048 || parsed.username || parsed.password) throw new PaygridError(ErrorCode.URL_INVALID, 'webhookUrl');
    this.webhooks.assertEndpoint(parsed, 'webhookUrl');
    return parsed.toString();
  }
}
