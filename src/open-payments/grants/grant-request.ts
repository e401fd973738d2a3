import { Interval } from 'luxon';
import { ErrorCode, PaygridError } from '../../shared/errors';
import { validateJwk } from '../wallet-addresses/jwk';
import type { Ed25519Jwk } from '../wallet-addresses/wallet-address.entity';
import { ACTIONS_BY_TYPE, type AccessAction, type AccessItem, type AccessType } from './access';

/** An access item as stored and sent on the wire: amounts as decimal strings of minor units. */
export interface StoredAccessItem {
  type: AccessType;
  actions: AccessAction[];
  identifier?: string;
  limits?: {
    receiver?: string;
    interval?: string;
    debitAmount?: { value: string; assetCode: string; assetScale: number };
    receiveAmount?: { value: string; assetCode: string; assetScale: number };
  };
}

export type GrantClient = { walletAddress: string } | { jwk: Ed25519Jwk };

export interface InteractRequest {
  finish: { uri: string; nonce: string } | null;
}

/** A grant request whose shape has been checked (before any lookup). */
export interface ParsedGrantRequest {
  access: StoredAccessItem[];
  client: GrantClient;
  interact: InteractRequest | null;
}

export const MAX_ACCESS_ITEMS = 3;
const UINT64_MAX = 2n ** 64n - 1n;
const RECEIVER = /^(https|http):\/\/(.+)\/incoming-payments\/(.+)$/;
const MAX_URL = 2048;
const MAX_NONCE = 200;

const invalid = (field: string, message: string) => new PaygridError(ErrorCode.GNAP_INVALID_REQUEST, field, message);
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function httpUrl(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > MAX_URL) throw invalid(field, `${field} must be an http(s) URL.`);
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error();
  } catch {
    throw invalid(field, `${field} must be an http(s) URL.`);
  }
  return value;
}

/**
 * An ISO 8601 repeating interval, `R[n]/start/duration`, `R[n]/duration/end` or `R[n]/start/end`
 * (Open Payments limits.interval). `R-1` (unbounded, ISO 8601-2) is accepted like `R`.
 */
export function isRepeatingInterval(value: string): boolean {
  const match = /^R(-1|\d*)\/([^/]+\/[^/]+)$/.exec(value);
  return !!match && Interval.fromISO(match[2]).isValid;
}

function amount(value: unknown, field: string) {
  if (!isObject(value)) throw invalid(field, `${field} must be {value, assetCode, assetScale}.`);
  const { value: minor, assetCode, assetScale } = value;
  if (typeof minor !== 'string' || !/^(0|[1-9]\d{0,19})$/.test(minor) || BigInt(minor) > UINT64_MAX) throw invalid(`${field}.value`, `${field}.value must be a non-negative integer string (minor units).`);
  if (BigInt(minor) === 0n) throw invalid(`${field}.value`, `${field}.value must be greater than zero.`);
  if (typeof assetCode !== 'string' || !/^[A-Za-z0-9]{1,10}$/.test(assetCode)) throw invalid(`${field}.assetCode`, `${field}.assetCode must be an asset code such as "EUR".`);
  if (typeof assetScale !== 'number' || !Number.isInteger(assetScale) || assetScale < 0 || assetScale > 255) throw invalid(`${field}.assetScale`, `${field}.assetScale must be an integer from 0 to 255.`);
  return { value: minor, assetCode, assetScale };
}

function accessItem(value: unknown, field: string): StoredAccessItem {
  if (!isObject(value)) throw invalid(field, `${field} must be an object.`);
  const type = value.type;
  if (typeof type !== 'string' || !(type in ACTIONS_BY_TYPE)) throw invalid(`${field}.type`, `${field}.type must be incoming-payment, outgoing-payment or quote.`);
  const allowed = ACTIONS_BY_TYPE[type as AccessType];
  const actions = value.actions;
  if (!Array.isArray(actions) || actions.length === 0) throw invalid(`${field}.actions`, `${field}.actions must be a non-empty list.`);
  for (const action of actions) {
    if (typeof action !== 'string' || !allowed.includes(action as AccessAction)) throw invalid(`${field}.actions`, `${type} access allows only the actions ${allowed.join(', ')}.`);
  }
  if (new Set(actions).size !== actions.length) throw invalid(`${field}.actions`, `${field}.actions must not repeat an action.`);
  const item: StoredAccessItem = { type: type as AccessType, actions: actions as AccessAction[] };
  if (value.identifier !== undefined) item.identifier = httpUrl(value.identifier, `${field}.identifier`);
  else if (type === 'outgoing-payment') throw invalid(`${field}.identifier`, 'outgoing-payment access needs the identifier of the wallet address to pay from.');
  if (value.limits !== undefined) {
    if (type !== 'outgoing-payment') throw invalid(`${field}.limits`, 'Only outgoing-payment access takes limits.');
    if (!isObject(value.limits)) throw invalid(`${field}.limits`, `${field}.limits must be an object.`);
    const limits = value.limits;
    for (const key of Object.keys(limits)) {
      if (!['receiver', 'interval', 'debitAmount', 'receiveAmount'].includes(key)) throw invalid(`${field}.limits.${key}`, `limits take only receiver, interval, debitAmount or receiveAmount, not ${key}.`);
    }
    if (limits.debitAmount !== undefined && limits.receiveAmount !== undefined) throw invalid(`${field}.limits`, 'limits may name a debitAmount or a receiveAmount, not both.');
    const out: NonNullable<StoredAccessItem['limits']> = {};
    if (limits.receiver !== undefined) {
      if (typeof limits.receiver !== 'string' || limits.receiver.length > MAX_URL || !RECEIVER.test(limits.receiver)) throw invalid(`${field}.limits.receiver`, 'limits.receiver must be the URL of an incoming payment.');
      out.receiver = limits.receiver;
    }
    if (limits.interval !== undefined) {
      if (typeof limits.interval !== 'string' || limits.interval.length > 200 || !isRepeatingInterval(limits.interval)) {
        throw invalid(`${field}.limits.interval`, 'limits.interval must be an ISO 8601 repeating interval such as R/2026-01-01T00:00:00Z/P1M.');
      }
      out.interval = limits.interval;
    }
    if (limits.debitAmount !== undefined) out.debitAmount = amount(limits.debitAmount, `${field}.limits.debitAmount`);
    if (limits.receiveAmount !== undefined) out.receiveAmount = amount(limits.receiveAmount, `${field}.limits.receiveAmount`);
    item.limits = out;
  }
  return item;
}

/** The `client` of a grant request: a wallet address URL (string or {walletAddress}) or a directed-identity {jwk}. */
export function parseClient(value: unknown): GrantClient {
  const refuse = (message: string) => new PaygridError(ErrorCode.GNAP_INVALID_CLIENT, 'client', message);
  if (typeof value === 'string') return { walletAddress: httpUrlOr(value, refuse) };
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'walletAddress' && typeof value.walletAddress === 'string') return { walletAddress: httpUrlOr(value.walletAddress, refuse) };
    if (keys.length === 1 && keys[0] === 'jwk') {
      try {
        return { jwk: validateJwk(value.jwk, 'client.jwk') };
      } catch (error) {
        throw refuse(`client.jwk is not an Ed25519 public JWK: ${(error as Error).message}`);
      }
    }
  }
  throw refuse('client must be a wallet address URL, {walletAddress} or {jwk}.');
}

function httpUrlOr(value: string, refuse: (message: string) => PaygridError): string {
  try {
    return httpUrl(value, 'client');
  } catch {
    throw refuse('The client wallet address must be an http(s) URL.');
  }
}

function interact(value: unknown): InteractRequest | null {
  if (value === undefined) return null;
  if (!isObject(value)) throw invalid('interact', 'interact must be an object.');
  if (!Array.isArray(value.start) || !value.start.includes('redirect')) throw invalid('interact.start', 'interact.start must include "redirect", the only way this server interacts.');
  if (value.finish === undefined) return { finish: null };
  const finish = value.finish;
  if (!isObject(finish) || finish.method !== 'redirect') throw invalid('interact.finish.method', 'interact.finish.method must be "redirect".');
  const uri = httpUrl(finish.uri, 'interact.finish.uri');
  if (new URL(uri).hash) throw invalid('interact.finish.uri', 'interact.finish.uri must not have a fragment.');
  if (typeof finish.nonce !== 'string' || finish.nonce.length === 0 || finish.nonce.length > MAX_NONCE || /[\n\r]/.test(finish.nonce)) {
    throw invalid('interact.finish.nonce', `interact.finish.nonce must be 1 to ${MAX_NONCE} characters on one line.`);
  }
  return { finish: { uri, nonce: finish.nonce } };
}

/** Checks the shape of a grant request body (POST {authServer}); lookups come after. */
export function parseGrantRequest(body: unknown): ParsedGrantRequest {
  if (!isObject(body)) throw invalid('body', 'The grant request must be a JSON object.');
  if (body.subject !== undefined) throw invalid('subject', 'Subject (identity) requests are not supported; ask for access_token.');
  if (!isObject(body.access_token)) throw invalid('access_token', 'The grant request needs access_token.access.');
  const list = body.access_token.access;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_ACCESS_ITEMS) throw invalid('access_token.access', `access_token.access must hold 1 to ${MAX_ACCESS_ITEMS} items.`);
  const access = list.map((item, i) => accessItem(item, `access_token.access.${i}`));
  if (new Set(access.map((a) => JSON.stringify(a))).size !== access.length) throw invalid('access_token.access', 'access_token.access must not repeat an item.');
  return { access, client: parseClient(body.client), interact: interact(body.interact) };
}

/** Whether the account holder must approve: outgoing payments move their money. */
export function needsInteraction(access: readonly StoredAccessItem[]): boolean {
  return access.some((a) => a.type === 'outgoing-payment');
}

/** The RS's view of a stored item: amounts as bigint. */
export function accessItemOf(stored: StoredAccessItem): AccessItem {
  const item: AccessItem = { type: stored.type, actions: [...stored.actions] };
  if (stored.identifier !== undefined) item.identifier = stored.identifier;
  if (stored.limits) {
    const { debitAmount, receiveAmount, receiver, interval } = stored.limits;
    item.limits = {};
    if (receiver !== undefined) item.limits.receiver = receiver;
    if (interval !== undefined) item.limits.interval = interval;
    if (debitAmount) item.limits.debitAmount = { ...debitAmount, value: BigInt(debitAmount.value) };
    if (receiveAmount) item.limits.receiveAmount = { ...receiveAmount, value: BigInt(receiveAmount.value) };
  }
  return item;
}
