import { allows, type AccessAction, type AccessItem, type AccessType, type GrantedAccess } from '../grants/grant-access';
import { ErrorCode, PaygridError } from '../../shared/errors';
import type { ResourceActor } from './wallet';

/** What a grant lets its client do with one kind of resource of one wallet address. */
export interface ResourceGrant {
  item: AccessItem;
  /** `read`/`list` without `-all`: only the resources this client created. */
  ownOnly: boolean;
  actor: ResourceActor;
}

/**
 * The grant's access to `action` on `type` under `walletAddressUrl`, or GNAP_INSUFFICIENT_ACCESS
 * (403). For read and list, an item naming `read-all`/`list-all` reaches every client's resources;
 * one naming the plain action only the client's own.
 */
export function requireAccess(granted: GrantedAccess, type: AccessType, action: AccessAction, walletAddressUrl: string): ResourceGrant {
  const actor = { clientKey: granted.clientIdentity, grantId: granted.grantId };
  const wider = action === 'read' ? 'read-all' : action === 'list' ? 'list-all' : null;
  const all = wider ? allows(granted.access, type, wider, walletAddressUrl) : null;
  if (all) return { item: all, ownOnly: false, actor };
  const item = allows(granted.access, type, action, walletAddressUrl);
  if (!item) throw new PaygridError(ErrorCode.GNAP_INSUFFICIENT_ACCESS, null, `The grant does not allow ${action} on ${type} of ${walletAddressUrl}.`);
  return { item, ownOnly: wider !== null, actor };
}

/** A resource another client created, read under an own-only grant: answered as missing (no hint that it exists). */
export function assertOwn(grant: ResourceGrant, resourceClientKey: string | null): void {
  if (grant.ownOnly && resourceClientKey !== grant.actor.clientKey) throw new PaygridError(ErrorCode.NOT_FOUND, 'id');
}
