import type { FastifyRequest } from 'fastify';
import { signedRequestOf } from '../signatures/http-signatures';
import type { AccessItem } from './access';
import type { GrantService } from './grant.service';

export * from './access';

/** What a valid GNAP access token lets its client do, as the resource server needs it. */
export interface GrantedAccess {
  grantId: string;
  tokenId: string;
  /** The client's identity: its wallet address URL, or null for a directed-identity (jwk) client. */
  clientWalletAddress: string | null;
  /**
   * A stable identity for every client, to own resources by: the wallet address URL, or
   * `jwk:<RFC 7638 thumbprint>` of a directed-identity client's key (a kid alone is not unique).
   */
  clientIdentity: string;
  /** kid of the key the grant is bound to. */
  clientKeyId: string;
  access: AccessItem[];
  /** The account holder who approved an interactive grant (null for non-interactive). */
  approvedByUserId: string | null;
}

/** The resource server's check of a GNAP access token and of the request's signature. */
export class GrantAccessService {
  constructor(private readonly grants: GrantService) {}

  /**
   * Authorization: GNAP <token> present, token active (not expired/revoked/rotated away), and the
   * request signed by the key bound to the grant. Throws PaygridError GNAP_TOKEN_INVALID (401
   * invalid_token) or SIGNATURE_INVALID (401 invalid_client); the RS then checks `allows` (403).
   * Call it inside an Open Payments scope (it needs the raw body and the target URI).
   */
  authenticate(request: FastifyRequest): Promise<GrantedAccess> {
    return this.grants.authenticate(signedRequestOf(request));
  }
}
