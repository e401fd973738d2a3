import { createHash, timingSafeEqual } from 'node:crypto';
import { Account } from '../../accounts/account.entity';
import { accessFilter, accountFacts, can, type Principal } from '../../access';
import type { Database, Tx } from '../../persistence/database';
import type { Clock } from '../../shared/clock';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { newId, newSecret, sha256 } from '../../shared/ids';
import { paginate, type Page, type PageRequest } from '../../shared/pagination';
import type { ClientKeys } from '../signatures/client-keys';
import { signatureKeyId, type SignatureVerifier, type SignedRequest } from '../signatures/http-signatures';
import type { WalletAddressService, WalletAddressView } from '../wallet-addresses/wallet-address.service';
import type { GrantedAccess } from './grant-access';
import { GnapAccessToken, GnapGrant, GrantFinalization, GrantState } from './grant.entity';
import { accessItemOf, needsInteraction, parseClient, parseGrantRequest, type StoredAccessItem } from './grant-request';
import { grantMachine } from './grant.states';

export interface GrantOptions {
  interactionSeconds: number;
  accessTokenSeconds: number;
  waitSeconds: number;
}

export interface AccessTokenBody {
  value: string;
  manage: string;
  expires_in: number;
  access: StoredAccessItem[];
}

export interface ContinueBody {
  access_token: { value: string };
  uri: string;
  wait?: number;
}

export type GrantResponse = { interact: { redirect: string; finish: string }; continue: ContinueBody } | { access_token: AccessTokenBody; continue: ContinueBody };
export type ContinueResponse = { continue: ContinueBody; access_token?: AccessTokenBody };

export const GNAP_PATH = '/gnap';

/** The token of `Authorization: GNAP <token>`, or null. */
export function gnapToken(authorization: string | undefined): string | null {
  const match = /^GNAP ([\x21-\x7e]{1,512})$/.exec(authorization ?? '');
  return match ? match[1] : null;
}

/** Constant-time comparison of a secret with its stored hex SHA-256. */
export function matchesHash(secret: string, hash: string | null): boolean {
  if (!hash) return false;
  const given = Buffer.from(sha256(secret), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/**
 * The finish hash (Open Payments, GNAP RFC 9635 §4.2.3): SHA-256 over the client's nonce, our
 * nonce, the interaction reference and the grant endpoint URL exactly as the client addressed it,
 * joined by line feeds, in base64url without padding.
 */
export function finishHash(clientNonce: string, interactNonce: string, interactRef: string, authServerUrl: string): string {
  return createHash('sha256').update(`${clientNonce}\n${interactNonce}\n${interactRef}\n${authServerUrl}`, 'utf8').digest('base64url');
}

/** RFC 7638 thumbprint of an Ed25519 JWK: SHA-256 of its required members in lexical order. */
export function jwkThumbprint(jwk: { crv: string; kty: string; x: string }): string {
  return createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }), 'utf8').digest('base64url');
}

const invalidContinuation = () => new PaygridError(ErrorCode.GNAP_INVALID_CONTINUATION, null, 'Send Authorization: GNAP <continue token> of this grant (the latest one).');

/** What the consent page shows. */
export interface ConsentView {
  grant: GnapGrant;
  walletAddress: WalletAddressView | null;
}

/**
 * The GNAP authorization server of Open Payments: grant requests, interaction (consent by the
 * holder of the account the grant spends from), continuation, token rotation and revocation.
 * Client keys are fetched before any transaction opens; secrets are stored as hashes.
 */
export class GrantService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly walletAddresses: WalletAddressService,
    private readonly clientKeys: ClientKeys,
    private readonly signatures: SignatureVerifier,
    private readonly base: () => string,
    private readonly options: GrantOptions,
  ) {}

  continueUri(grantId: string): string {
    return `${this.base()}${GNAP_PATH}/continue/${grantId}`;
  }

  manageUri(tokenId: string): string {
    return `${this.base()}${GNAP_PATH}/token/${tokenId}`;
  }

  interactUri(grantId: string, nonce: string): string {
    return `${this.base()}${GNAP_PATH}/interact/${grantId}/${nonce}`;
  }

  /** POST {authServer}: `signed.url` is the grant endpoint as the client addressed it. */
  async request(signed: SignedRequest, body: unknown): Promise<GrantResponse> {
    // The signature is checked before the rest of the body is read: what an unsigned or forged request asks is never looked at.
    const client = parseClient(body && typeof body === 'object' ? (body as Record<string, unknown>).client : undefined);
    const keys = 'walletAddress' in client ? await this.clientKeys.keysWith(client.walletAddress, signatureKeyId(signed)) : [client.jwk];
    const key = await this.signatures.verify(signed, keys);
    const parsed = parseGrantRequest(body);
    const interactive = needsInteraction(parsed.access);
    if (interactive && !parsed.interact) throw new PaygridError(ErrorCode.GNAP_INVALID_REQUEST, 'interact', 'outgoing-payment access needs the account holder’s consent: send interact.start ["redirect"].');
    if (interactive && 'jwk' in parsed.client) throw new PaygridError(ErrorCode.GNAP_INVALID_CLIENT, 'client', 'A client known only by its key (jwk) may ask for non-interactive grants only.');
    const walletAddress = await this.identifiedWalletAddress(parsed.access);
    let clientName: string | null = null;
    if (interactive && 'walletAddress' in parsed.client) {
      clientName = (await this.clientKeys.walletAddress(parsed.client.walletAddress)).publicName;
      if (!clientName) throw new PaygridError(ErrorCode.GNAP_INVALID_CLIENT, 'client', 'The client wallet address has no publicName to show the account holder.');
    }

    const now = this.clock.now();
    const continueToken = newSecret('gcont');
    const interactNonce = interactive ? newSecret('gnonce', 16) : null;
    const grant: GnapGrant = Object.assign(new GnapGrant(), {
      id: newId('grant'),
      state: interactive ? GrantState.PROCESSING : GrantState.APPROVED,
      finalizationReason: null,
      clientWalletAddress: 'walletAddress' in parsed.client ? parsed.client.walletAddress : null,
      clientJwk: 'jwk' in parsed.client ? parsed.client.jwk : null,
      clientKeyId: key.kid,
      clientName,
      access: parsed.access,
      accountId: walletAddress?.accountId ?? null,
      authServerUrl: signed.url,
      continueTokenHash: sha256(continueToken),
      continueNotBefore: new Date(now.getTime() + this.options.waitSeconds * 1000),
      finishUri: parsed.interact?.finish?.uri ?? null,
      clientNonce: parsed.interact?.finish?.nonce ?? null,
      interactNonce,
      interactionExpiresAt: interactive ? new Date(now.getTime() + this.options.interactionSeconds * 1000) : null,
      interactRefHash: null,
      interactRefUsed: false,
      approvedByUserId: null,
      finalizedBy: null,
      createdAt: now,
      updatedAt: now,
    });
    return this.db.transaction(async (tx) => {
      tx.em.persist(grant);
      const cont = this.continueBody(grant, continueToken);
      if (interactive) return { interact: { redirect: this.interactUri(grant.id, interactNonce!), finish: interactNonce! }, continue: cont };
      return { access_token: await this.issueToken(tx, grant), continue: cont };
    });
  }

  /** POST {continue}: with `interact_ref` after the interaction, or without to poll. */
  async continue(signed: SignedRequest, grantId: string, body: unknown): Promise<ContinueResponse> {
    const interactRef = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).interact_ref : undefined;
    if (interactRef !== undefined && typeof interactRef !== 'string') throw new PaygridError(ErrorCode.GNAP_INVALID_REQUEST, 'interact_ref', 'interact_ref must be a string.');
    const continueToken = await this.authorizeContinuation(signed, grantId);
    const outcome = await this.db.transaction(async (tx): Promise<ContinueResponse | PaygridError> => {
      const grant = await this.lockedContinuation(tx, grantId, continueToken);
      const now = this.clock.now();
      if (grant.state === GrantState.FINALIZED) {
        if (grant.finalizationReason === GrantFinalization.ISSUED && interactRef !== undefined) {
          throw new PaygridError(ErrorCode.GNAP_UNKNOWN_CONTINUATION, 'interact_ref', 'This interaction reference was already used.');
        }
        throw new PaygridError(ErrorCode.GNAP_REQUEST_DENIED, null, `The grant is ${grant.finalizationReason}: it cannot be continued.`);
      }
      if (this.interactionExpired(grant, now)) {
        // Recorded, then refused: the refusal is returned so that the finalization commits.
        this.finalize(grant, GrantFinalization.REJECTED, null, now);
        return new PaygridError(ErrorCode.GNAP_REQUEST_DENIED, null, 'The interaction expired before the account holder approved the grant.');
      }
      if (interactRef !== undefined) {
        if (grant.state !== GrantState.APPROVED || !matchesHash(interactRef, grant.interactRefHash)) {
          throw new PaygridError(ErrorCode.GNAP_UNKNOWN_CONTINUATION, 'interact_ref', 'No approved interaction has this reference.');
        }
        return this.issueOnContinue(tx, grant, now);
      }
      // A poll (GNAP §5.2): not sooner than `wait` after the grant or the last poll.
      if (now < grant.continueNotBefore) throw new PaygridError(ErrorCode.GNAP_TOO_FAST, null, `Poll no sooner than ${this.options.waitSeconds} seconds after the last answer.`);
      // An approval without a finish redirect is collected by polling; otherwise wait again.
      if (grant.state === GrantState.APPROVED && grant.interactNonce && !grant.finishUri) return this.issueOnContinue(tx, grant, now);
      grant.continueNotBefore = new Date(now.getTime() + this.options.waitSeconds * 1000);
      grant.updatedAt = now;
      return { continue: this.rotateContinuation(grant) };
    });
    if (outcome instanceof PaygridError) throw outcome;
    return outcome;
  }

  /** DELETE {continue}: the client cancels the grant; its tokens stop working. */
  async cancel(signed: SignedRequest, grantId: string): Promise<void> {
    const continueToken = await this.authorizeContinuation(signed, grantId);
    await this.db.transaction(async (tx) => {
      const grant = await this.lockedContinuation(tx, grantId, continueToken);
      await this.revokeGrant(tx, grant, 'client');
    });
  }

  /** POST {manage}: a new token (value and manage URL) replaces the one presented, which stops working. */
  async rotate(signed: SignedRequest, tokenId: string): Promise<{ access_token: AccessTokenBody }> {
    const { grant } = await this.authorizeManagement(signed, tokenId, ErrorCode.GNAP_INVALID_ROTATION);
    return this.db.transaction(async (tx) => {
      const token = await tx.em.findOneOrFail(GnapAccessToken, { id: tokenId }, { lockMode: tx.forUpdate });
      const fresh = await tx.em.findOneOrFail(GnapGrant, { id: grant.id });
      if (token.revokedAt || !this.tokensLive(fresh)) throw new PaygridError(ErrorCode.GNAP_INVALID_ROTATION);
      token.revokedAt = this.clock.now();
      return { access_token: await this.issueToken(tx, fresh) };
    });
  }

  /** DELETE {manage}: revokes the token presented; revoking it again changes nothing. */
  async revokeToken(signed: SignedRequest, tokenId: string): Promise<void> {
    await this.authorizeManagement(signed, tokenId, ErrorCode.GNAP_CLIENT_UNAUTHORIZED);
    await this.db.transaction(async (tx) => {
      const token = await tx.em.findOneOrFail(GnapAccessToken, { id: tokenId }, { lockMode: tx.forUpdate });
      token.revokedAt ??= this.clock.now();
    });
  }

  /** The RS's check: an active token, on a live grant, presented with a signature by the grant's key. */
  async authenticate(signed: SignedRequest): Promise<GrantedAccess> {
    const value = gnapToken(signed.headers['authorization']);
    if (!value) throw new PaygridError(ErrorCode.GNAP_TOKEN_INVALID, null, 'Send Authorization: GNAP <access token>.');
    const em = this.db.reader();
    const token = await em.findOne(GnapAccessToken, { valueHash: sha256(value) });
    const grant = token && (await em.findOne(GnapGrant, { id: token.grantId }));
    const now = this.clock.now();
    if (!token || !grant || !matchesHash(value, token.valueHash) || token.revokedAt || token.expiresAt <= now || !this.tokensLive(grant)) {
      throw new PaygridError(ErrorCode.GNAP_TOKEN_INVALID);
    }
    await this.verifyClient(signed, grant);
    return {
      grantId: grant.id,
      tokenId: token.id,
      clientWalletAddress: grant.clientWalletAddress,
      clientIdentity: grant.clientWalletAddress ?? `jwk:${jwkThumbprint(grant.clientJwk!)}`,
      clientKeyId: grant.clientKeyId,
      access: grant.access.map(accessItemOf),
      approvedByUserId: grant.approvedByUserId,
    };
  }

  // --- interaction (the consent pages) ---

  /** The browser opened `interact.redirect`: the grant awaits the account holder. */
  async startInteraction(grantId: string, nonce: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const grant = await this.openInteraction(tx, grantId, nonce);
      if (grant.state === GrantState.PROCESSING) {
        grantMachine.assertMove(grant.state, GrantState.PENDING);
        grant.state = GrantState.PENDING;
        grant.updatedAt = this.clock.now();
      }
    });
  }

  async consent(grantId: string, nonce: string): Promise<ConsentView> {
    const grant = await this.db.reader().findOne(GnapGrant, { id: grantId });
    const open = grant && (grant.state === GrantState.PROCESSING || grant.state === GrantState.PENDING);
    if (!grant || !open || !this.nonceMatches(grant, nonce) || this.interactionExpired(grant, this.clock.now())) {
      throw new PaygridError(ErrorCode.GNAP_INTERACTION_INVALID);
    }
    return { grant, walletAddress: grant.accountId ? await this.walletAddresses.byAccount(grant.accountId) : null };
  }

  /**
   * The account holder approves: only the holder of the account the grant names may (never spend
   * from an account the approver does not hold). Returns where the browser goes: the client's
   * finish URI with hash and interact_ref, or null when the client polls.
   */
  async approve(grantId: string, nonce: string, userId: string): Promise<string | null> {
    return this.db.transaction(async (tx) => {
      const grant = await this.openInteraction(tx, grantId, nonce);
      await this.assertHolder(tx, grant, userId);
      grantMachine.assertMove(grant.state, GrantState.APPROVED);
      const now = this.clock.now();
      const interactRef = newSecret('gref', 16);
      grant.state = GrantState.APPROVED;
      grant.approvedByUserId = userId;
      grant.interactRefHash = sha256(interactRef);
      grant.updatedAt = now;
      if (!grant.finishUri) return null;
      const url = new URL(grant.finishUri);
      url.searchParams.set('hash', finishHash(grant.clientNonce!, grant.interactNonce!, interactRef, grant.authServerUrl));
      url.searchParams.set('interact_ref', interactRef);
      return url.toString();
    });
  }

  /** The account holder denies: the grant is finalized as rejected; the browser goes back with result=grant_rejected. */
  async deny(grantId: string, nonce: string, userId: string): Promise<string | null> {
    return this.db.transaction(async (tx) => {
      const grant = await this.openInteraction(tx, grantId, nonce);
      await this.assertHolder(tx, grant, userId);
      this.finalize(grant, GrantFinalization.REJECTED, userId, this.clock.now());
      if (!grant.finishUri) return null;
      const url = new URL(grant.finishUri);
      url.searchParams.set('result', 'grant_rejected');
      return url.toString();
    });
  }

  /** Whether the user holds the account the grant spends from. */
  async holds(grant: GnapGrant, userId: string): Promise<boolean> {
    const account = grant.accountId ? await this.db.reader().findOne(Account, { id: grant.accountId }) : null;
    return !!account && account.userId === userId;
  }

  // --- GraphQL ---

  async get(principal: Principal, id: string): Promise<GnapGrant | null> {
    const em = this.db.reader();
    const grant = await em.findOne(GnapGrant, { id });
    if (!grant) return null;
    const account = grant.accountId ? await em.findOne(Account, { id: grant.accountId }) : null;
    return can(principal, 'read', { kind: 'grant', account: account && accountFacts(account) }) ? grant : null;
  }

  /** The grants naming the accounts the principal may read (every grant for the operator), newest first. */
  async list(principal: Principal, page: PageRequest): Promise<Page<GnapGrant>> {
    const em = this.db.reader();
    const accountsAllowed = accessFilter(principal, 'read', 'account');
    const ownAccountIds = accountsAllowed ? (await em.find(Account, accountsAllowed, { fields: ['id'] })).map((a) => a.id) : [];
    const allowed = accessFilter(principal, 'read', 'grant', { ownAccountIds });
    return paginate(page, async (beforeId, limit) =>
      allowed ? em.find(GnapGrant, { $and: [allowed, beforeId ? { id: { $lt: beforeId } } : {}] }, { orderBy: { id: 'desc' }, limit }) : [],
    );
  }

  /** The account holder or the operator revokes a grant: it is finalized as revoked and its tokens stop working. */
  async revoke(principal: Principal, id: string): Promise<GnapGrant> {
    return this.db.transaction(async (tx) => {
      const grant = await tx.em.findOne(GnapGrant, { id }, { lockMode: tx.forUpdate });
      const account = grant?.accountId ? await tx.em.findOne(Account, { id: grant.accountId }) : null;
      if (!grant || !can(principal, 'revoke', { kind: 'grant', account: account && accountFacts(account) })) {
        throw new PaygridError(ErrorCode.NOT_FOUND, 'grantId', 'No such grant, or it is not yours.');
      }
      await this.revokeGrant(tx, grant, 'userId' in principal ? principal.userId : principal.clientId);
      return grant;
    });
  }

  // --- internals ---

  private async identifiedWalletAddress(access: StoredAccessItem[]): Promise<WalletAddressView | null> {
    const identifiers = [...new Set(access.flatMap((a) => (a.identifier ? [a.identifier] : [])))];
    if (identifiers.length > 1) throw new PaygridError(ErrorCode.GNAP_INVALID_REQUEST, 'access_token.access', 'One grant names one wallet address: ask for a grant per wallet address.');
    if (!identifiers.length) return null;
    const wa = await this.walletAddresses.resolve(identifiers[0]);
    if (!wa) throw new PaygridError(ErrorCode.GNAP_INVALID_REQUEST, 'access_token.access.identifier', 'The identifier is not a wallet address of this server.');
    access.forEach((item, i) => {
      const debit = item.limits?.debitAmount;
      if (debit && (debit.assetCode !== wa.assetCode || debit.assetScale !== wa.assetScale)) {
        throw new PaygridError(ErrorCode.GNAP_INVALID_REQUEST, `access_token.access.${i}.limits.debitAmount`, `The debitAmount must be in the wallet address's asset, ${wa.assetCode} with scale ${wa.assetScale}.`);
      }
    });
    return wa;
  }

  /** The continue token presented, once it and the client's signature were checked (before any transaction: keys may be fetched). */
  private async authorizeContinuation(signed: SignedRequest, grantId: string): Promise<string> {
    const value = gnapToken(signed.headers['authorization']);
    const grant = await this.db.reader().findOne(GnapGrant, { id: grantId });
    if (!grant) throw new PaygridError(ErrorCode.GNAP_UNKNOWN_CONTINUATION, null, 'No grant can be continued here.');
    if (!value || !matchesHash(value, grant.continueTokenHash)) throw invalidContinuation();
    await this.verifyClient(signed, grant);
    return value;
  }

  /** The grant, locked, its continue token checked again: a concurrent continue may have replaced it. */
  private async lockedContinuation(tx: Tx, grantId: string, continueToken: string): Promise<GnapGrant> {
    const grant = await tx.em.findOneOrFail(GnapGrant, { id: grantId }, { lockMode: tx.forUpdate });
    if (!matchesHash(continueToken, grant.continueTokenHash)) throw invalidContinuation();
    return grant;
  }

  private async authorizeManagement(signed: SignedRequest, tokenId: string, unknown: ErrorCode): Promise<{ token: GnapAccessToken; grant: GnapGrant }> {
    const value = gnapToken(signed.headers['authorization']);
    const em = this.db.reader();
    const token = await em.findOne(GnapAccessToken, { id: tokenId });
    if (!token) throw new PaygridError(unknown);
    if (!value || !matchesHash(value, token.valueHash)) throw new PaygridError(ErrorCode.GNAP_CLIENT_UNAUTHORIZED);
    const grant = await em.findOneOrFail(GnapGrant, { id: token.grantId });
    await this.verifyClient(signed, grant);
    return { token, grant };
  }

  /** The request is signed by the key the grant is bound to (fetched anew when the client is remote). */
  private async verifyClient(signed: SignedRequest, grant: GnapGrant): Promise<void> {
    const keys = grant.clientJwk ? [grant.clientJwk] : await this.clientKeys.keysWith(grant.clientWalletAddress!, grant.clientKeyId);
    await this.signatures.verify(signed, keys.filter((k) => k.kid === grant.clientKeyId));
  }

  private async openInteraction(tx: Tx, grantId: string, nonce: string): Promise<GnapGrant> {
    const grant = await tx.em.findOne(GnapGrant, { id: grantId }, { lockMode: tx.forUpdate });
    if (!grant || !this.nonceMatches(grant, nonce)) throw new PaygridError(ErrorCode.GNAP_INTERACTION_INVALID);
    if (grant.state !== GrantState.PROCESSING && grant.state !== GrantState.PENDING) throw new PaygridError(ErrorCode.GNAP_INTERACTION_INVALID, null, 'This grant was already decided.');
    if (this.interactionExpired(grant, this.clock.now())) throw new PaygridError(ErrorCode.GNAP_INTERACTION_INVALID, null, 'This interaction expired.');
    return grant;
  }

  private async assertHolder(tx: Tx, grant: GnapGrant, userId: string): Promise<void> {
    const account = grant.accountId ? await tx.em.findOne(Account, { id: grant.accountId }) : null;
    if (!account || account.userId !== userId) throw new PaygridError(ErrorCode.GRANT_NOT_OWNED);
  }

  private nonceMatches(grant: GnapGrant, nonce: string): boolean {
    const a = Buffer.from(grant.interactNonce ?? '');
    const b = Buffer.from(nonce);
    return a.length > 0 && a.length === b.length && timingSafeEqual(a, b);
  }

  private interactionExpired(grant: GnapGrant, now: Date): boolean {
    return (grant.state === GrantState.PROCESSING || grant.state === GrantState.PENDING) && !!grant.interactionExpiresAt && grant.interactionExpiresAt <= now;
  }

  /** Tokens of an approved grant, or of one finalized as issued, work; others are dead. */
  private tokensLive(grant: GnapGrant): boolean {
    return grant.state === GrantState.APPROVED || (grant.state === GrantState.FINALIZED && grant.finalizationReason === GrantFinalization.ISSUED);
  }

  private finalize(grant: GnapGrant, reason: GrantFinalization, by: string | null, now: Date): void {
    grantMachine.assertMove(grant.state, GrantState.FINALIZED);
    grant.state = GrantState.FINALIZED;
    grant.finalizationReason = reason;
    grant.finalizedBy = by;
    grant.interactRefHash = null;
    grant.updatedAt = now;
  }

  /** Revokes a grant (a final one that was issued included) and all its tokens; already revoked or rejected: nothing changes. */
  private async revokeGrant(tx: Tx, grant: GnapGrant, by: string): Promise<void> {
    if (grant.finalizationReason === GrantFinalization.REVOKED || grant.finalizationReason === GrantFinalization.REJECTED) return;
    const now = this.clock.now();
    if (grant.state === GrantState.FINALIZED) {
      // Issued is final for the interaction, not for the access: revoking ends the tokens' life.
      grant.finalizationReason = GrantFinalization.REVOKED;
      grant.finalizedBy = by;
      grant.updatedAt = now;
    } else {
      this.finalize(grant, GrantFinalization.REVOKED, by, now);
    }
    await tx.em.nativeUpdate(GnapAccessToken, { grantId: grant.id, revokedAt: null }, { revokedAt: now });
  }

  private async issueOnContinue(tx: Tx, grant: GnapGrant, now: Date): Promise<ContinueResponse> {
    const accessToken = await this.issueToken(tx, grant);
    this.finalize(grant, GrantFinalization.ISSUED, null, now);
    grant.interactRefUsed = true;
    return { access_token: accessToken, continue: this.rotateContinuation(grant) };
  }

  /** Every continue answer carries a new continuation token (only hashes are kept, so the old one cannot be repeated). */
  private rotateContinuation(grant: GnapGrant): ContinueBody {
    const value = newSecret('gcont');
    grant.continueTokenHash = sha256(value);
    return this.continueBody(grant, value);
  }

  private continueBody(grant: GnapGrant, value: string): ContinueBody {
    return { access_token: { value }, uri: this.continueUri(grant.id), wait: this.options.waitSeconds };
  }

  private async issueToken(tx: Tx, grant: GnapGrant): Promise<AccessTokenBody> {
    const value = newSecret('gtok');
    const now = this.clock.now();
    const token = tx.em.create(GnapAccessToken, {
      id: newId('gtok'),
      grantId: grant.id,
      valueHash: sha256(value),
      expiresAt: new Date(now.getTime() + this.options.accessTokenSeconds * 1000),
      revokedAt: null,
      createdAt: now,
    });
    return { value, manage: this.manageUri(token.id), expires_in: this.options.accessTokenSeconds, access: grant.access };
  }
}
