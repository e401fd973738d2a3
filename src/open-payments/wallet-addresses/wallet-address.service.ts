import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Account } from '../../accounts/account.entity';
import { accessFilter, accountObject, can, type Principal } from '../../access';
import type { PublicUrl } from '../../config/public-url';
import type { Database } from '../../persistence/database';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { paginate, type Page, type PageRequest } from '../../shared/pagination';
import { optionalText, requiredText } from '../../shared/text';
import { validateJwk } from './jwk';
import { PUBLIC_NAME_MAX, SLUG_MAX, WalletAddress, WalletAddressKey, type Ed25519Jwk } from './wallet-address.entity';

/** A wallet address with what its account says of it: what the Open Payments routes and the RS need. */
export interface WalletAddressView {
  id: string;
  url: string;
  accountId: string;
  publicName: string;
  assetCode: string;
  assetScale: number;
  ownerUserId: string | null;
  ownerClientId: string | null;
}

export interface CreateWalletAddressInput {
  accountId: string;
  slug?: string | null;
  publicName: string;
}

const SLUG = new RegExp(`^[a-z0-9][a-z0-9._-]{0,${SLUG_MAX - 1}}$`);
export const WALLET_PATH = '/wallet/';

export class WalletAddressService {
  constructor(
    private readonly db: Database,
    private readonly publicUrl: PublicUrl,
    private readonly clock: Clock,
  ) {}

  urlOf(slug: string): string {
    return this.publicUrl.to(`${WALLET_PATH}${slug}`);
  }

  /** The slug of a wallet address URL on our base, or null for any other URL. */
  slugOf(url: string): string | null {
    const prefix = this.publicUrl.to(WALLET_PATH);
    if (!url.startsWith(prefix)) return null;
    const slug = url.slice(prefix.length);
    return SLUG.test(slug) ? slug : null;
  }

  /** A full URL on our base, as clients send it. */
  async resolve(url: string): Promise<WalletAddressView | null> {
    const slug = this.slugOf(url);
    return slug ? this.bySlug(slug) : null;
  }

  async bySlug(slug: string): Promise<WalletAddressView | null> {
    const em = this.db.reader();
    const found = await em.findOne(WalletAddress, { slug });
    return found && this.viewOf(found, await em.findOne(Account, { id: found.accountId }));
  }

  async byAccount(accountId: string, em: EntityManager = this.db.reader()): Promise<WalletAddressView | null> {
    const found = await em.findOne(WalletAddress, { accountId });
    return found && this.viewOf(found, await em.findOne(Account, { id: found.accountId }));
  }

  async byAccounts(accountIds: readonly string[]): Promise<WalletAddress[]> {
    return this.db.reader().find(WalletAddress, { accountId: { $in: [...accountIds] } });
  }

  /** The keys published at `{wa}/jwks.json`: those not revoked. */
  async activeKeys(walletAddressId: string): Promise<Ed25519Jwk[]> {
    const keys = await this.db.reader().find(WalletAddressKey, { walletAddressId, revokedAt: null }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return keys.map((k) => k.jwk);
  }

  async keysOf(walletAddressIds: readonly string[]): Promise<WalletAddressKey[]> {
    return this.db.reader().find(WalletAddressKey, { walletAddressId: { $in: [...walletAddressIds] } }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /** A wallet address whose account the principal may read, or null. */
  async get(principal: Principal, id: string): Promise<WalletAddress | null> {
    const em = this.db.reader();
    const found = await em.findOne(WalletAddress, { id });
    if (!found) return null;
    const allowed = accessFilter(principal, 'read', 'account');
    const account = allowed && (await em.findOne(Account, { $and: [{ id: found.accountId }, allowed] }));
    return account ? found : null;
  }

  /** The wallet addresses of the accounts the principal may read, newest first. */
  async list(principal: Principal, page: PageRequest): Promise<Page<WalletAddress>> {
    const em = this.db.reader();
    const allowed = accessFilter(principal, 'read', 'account');
    const accountIds = allowed ? (await em.find(Account, allowed, { fields: ['id'] })).map((a) => a.id) : [];
    return paginate(page, async (beforeId, limit) =>
      accountIds.length ? em.find(WalletAddress, { accountId: { $in: accountIds }, ...(beforeId ? { id: { $lt: beforeId } } : {}) }, { orderBy: { id: 'desc' }, limit }) : [],
    );
  }

  async create(principal: Principal, input: CreateWalletAddressInput): Promise<WalletAddress> {
    const publicName = requiredText(input.publicName, 'publicName', { max: PUBLIC_NAME_MAX, name: 'public name' });
    const slug = optionalText(input.slug, 'slug', { max: SLUG_MAX, name: 'wallet address name' });
    if (slug !== null && !SLUG.test(slug)) throw new PaygridError(ErrorCode.SLUG_INVALID, 'slug');
    try {
      return await this.db.transaction(async (tx) => {
        const account = await tx.em.findOne(Account, { id: input.accountId });
        if (!account || !can(principal, 'manageWalletAddress', accountObject(account))) throw new PaygridError(ErrorCode.NOT_FOUND, 'accountId', 'No such account, or it is not yours.');
        if (await tx.em.findOne(WalletAddress, { accountId: account.id }, { fields: ['id'] })) throw new PaygridError(ErrorCode.WALLET_ADDRESS_EXISTS, 'accountId');
        const chosen = slug ?? account.id.toLowerCase();
        if (await tx.em.findOne(WalletAddress, { slug: chosen }, { fields: ['id'] })) throw new PaygridError(ErrorCode.SLUG_TAKEN, 'slug');
        const row = tx.em.create(WalletAddress, { id: newId('wa'), accountId: account.id, slug: chosen, publicName, createdAt: this.clock.now() });
        await tx.em.flush();
        return row;
      });
    } catch (error) {
      // A concurrent creation won: the same two refusals as when it committed first.
      if (error instanceof UniqueConstraintViolationException) {
        throw /account_id/.test(error.message) ? new PaygridError(ErrorCode.WALLET_ADDRESS_EXISTS, 'accountId') : new PaygridError(ErrorCode.SLUG_TAKEN, 'slug');
      }
      throw error;
    }
  }

  async addKey(principal: Principal, input: { walletAddressId: string; jwk: unknown }): Promise<WalletAddressKey> {
    const jwk = validateJwk(input.jwk, 'jwk');
    try {
      return await this.db.transaction(async (tx) => {
        const wa = await this.managed(tx.em, principal, input.walletAddressId);
        if (await tx.em.findOne(WalletAddressKey, { walletAddressId: wa.id, kid: jwk.kid }, { fields: ['id'] })) throw new PaygridError(ErrorCode.KEY_ID_TAKEN, 'jwk.kid');
        const row = tx.em.create(WalletAddressKey, { id: newId('wak'), walletAddressId: wa.id, kid: jwk.kid, jwk, createdAt: this.clock.now(), revokedAt: null });
        await tx.em.flush();
        return row;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new PaygridError(ErrorCode.KEY_ID_TAKEN, 'jwk.kid');
      throw error;
    }
  }

  /** Revokes a key; revoking it again changes nothing. */
  async revokeKey(principal: Principal, input: { walletAddressId: string; kid: string }): Promise<WalletAddressKey> {
    return this.db.transaction(async (tx) => {
      const wa = await this.managed(tx.em, principal, input.walletAddressId);
      const key = await tx.em.findOne(WalletAddressKey, { walletAddressId: wa.id, kid: input.kid });
      if (!key) throw new PaygridError(ErrorCode.NOT_FOUND, 'kid', 'The wallet address has no key with this kid.');
      key.revokedAt ??= this.clock.now();
      return key;
    });
  }

  private async managed(em: Database['orm']['em'], principal: Principal, walletAddressId: string): Promise<WalletAddress> {
    const wa = await em.findOne(WalletAddress, { id: walletAddressId });
    const account = wa && (await em.findOne(Account, { id: wa.accountId }));
    if (!wa || !account || !can(principal, 'manageWalletAddress', accountObject(account))) {
      throw new PaygridError(ErrorCode.NOT_FOUND, 'walletAddressId', 'No such wallet address, or it is not yours.');
    }
    return wa;
  }

  private viewOf(wa: WalletAddress, account: Account | null): WalletAddressView | null {
    if (!account) return null;
    return {
      id: wa.id,
      url: this.urlOf(wa.slug),
      accountId: account.id,
      publicName: wa.publicName,
      assetCode: account.assetCode,
      assetScale: account.assetScale,
      ownerUserId: account.userId,
      ownerClientId: account.userId ? null : account.clientId,
    };
  }
}
