/** The access rights of a GNAP grant, as Open Payments names them. */
export type AccessType = 'incoming-payment' | 'outgoing-payment' | 'quote';
export type AccessAction = 'create' | 'complete' | 'read' | 'read-all' | 'list' | 'list-all';

export interface AmountLimit {
  value: bigint;
  assetCode: string;
  assetScale: number;
}

export interface AccessLimits {
  debitAmount?: AmountLimit;
  receiveAmount?: AmountLimit;
  receiver?: string;
  interval?: string;
}

export interface AccessItem {
  type: AccessType;
  actions: AccessAction[];
  identifier?: string;
  limits?: AccessLimits;
}

/** The actions each type of access may name (spec: access-incoming, access-outgoing, access-quote). */
export const ACTIONS_BY_TYPE: Readonly<Record<AccessType, readonly AccessAction[]>> = {
  'incoming-payment': ['create', 'complete', 'read', 'read-all', 'list', 'list-all'],
  'outgoing-payment': ['create', 'read', 'read-all', 'list', 'list-all'],
  quote: ['create', 'read', 'read-all'],
};

/** The `-all` form of an action: it covers any client's resources, the plain one the client's own. */
const WIDER: Partial<Record<AccessAction, AccessAction>> = { read: 'read-all', list: 'list-all' };

/**
 * The item of `access` that lets the client do `action` on resources of `type` under the wallet
 * address `walletAddressUrl`, or null. An item with an identifier covers that wallet address only.
 * Asking for `read` or `list` is also met by `read-all` / `list-all`; whether the resource is the
 * client's own is the caller's check (the item returned says which action matched).
 */
export function allows(access: AccessItem[], type: AccessType, action: AccessAction, walletAddressUrl: string): AccessItem | null {
  const wider = WIDER[action];
  return (
    access.find(
      (item) =>
        item.type === type &&
        (item.identifier === undefined || item.identifier === walletAddressUrl) &&
        (item.actions.includes(action) || (wider !== undefined && item.actions.includes(wider))),
    ) ?? null
  );
}
