import type { FastifyRequest } from 'fastify';
import { ErrorCode, PaygridError } from '../../shared/errors';
import type { AccessItem } from './access';

export * from './access';

/** What a valid GNAP access token lets its client do, as the resource server needs it. */
export interface GrantedAccess {
  grantId: string;
  tokenId: string;
  /** The client's identity: its wallet address URL, or null for a directed-identity (jwk) client. */
  clientWalletAddress: string | null;
  /** kid of the key the grant is bound to. */
  clientKeyId: string;
  access: AccessItem[];
  /** The account holder who approved an interactive grant (null for non-interactive). */
  approvedByUserId: string | null;
}

/** The resource server's check of a GNAP access token and of the request's signature. */
export class GrantAccessService {
  /**
   * Authorization: GNAP <token> present, token active (not expired/revoked/rotated away), and the
   * request signed by the key bound to the grant. Throws PaygridError with codes the OP scope maps
   * to 401/403.
   */
  async authenticate(_request: FastifyRequest): Promise<GrantedAccess> {
    throw new PaygridError(ErrorCode.NOT_FOUND, null, 'GNAP access tokens are not issued yet.');
  }
}
