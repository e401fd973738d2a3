import { OutboundError, type OutboundHttp } from '../../outbound/outbound-http';
import { signatureHeaders } from '../../webhooks/signing';

/** The operator notifications of the 1-Click flow (reference provider-flows §2.3–2.7). */
export enum Notification {
  SIGNIN = 'signin',
  AUTHORIZE = 'authorize',
  TRANSFER = 'transfer',
  CANCEL = 'cancel',
}

/** What the operator answers: `success` and its own fields; errCode and errMsg when it refuses. */
export interface OperatorAnswer {
  success: boolean;
  userId: string | null;
  sessionId: string | null;
  authCode: string | null;
  merchantTxId: string | null;
  errCode: string | null;
  errMsg: string | null;
}

const text = (value: unknown, max: number): string | null => {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null;
};

/** Reads an answer body; throws when it is no JSON object with a boolean `success` (the notification is then retried). */
export function readOperatorAnswer(body: unknown): OperatorAnswer {
  if (!body || typeof body !== 'object' || Array.isArray(body) || typeof (body as { success?: unknown }).success !== 'boolean') {
    throw new Error('The operator answered without a boolean "success"');
  }
  const b = body as Record<string, unknown>;
  return {
    success: b.success as boolean,
    userId: text(b.userId, 50),
    sessionId: text(b.sessionId, 200),
    authCode: text(b.authCode, 200),
    merchantTxId: text(b.merchantTxId, 200),
    // The seed's examples give errCode as a string and as a number; errMsg is also spelled errorMsg.
    errCode: text(b.errCode, 100),
    errMsg: text(b.errMsg ?? b.errorMsg, 500),
  };
}

export interface OperatorEndpoint {
  baseUrl: string;
  pathPrefix: string;
}

/** `{base}{prefix}/{notification}`: `/api/signin` as the 1-Click pages have it, `/paymentiq/signin` as the Integration API. */
export function notificationUrl(endpoint: OperatorEndpoint, notification: Notification): string {
  return `${endpoint.baseUrl.replace(/\/+$/, '')}${endpoint.pathPrefix}/${notification}`;
}

/**
 * Sends one notification: JSON, signed with the client's webhook secret by the one signing helper
 * (Standard Webhooks headers; `webhook-id` is `{txId}:{notification}`, the same on every try),
 * through OutboundHttp. Resolves with the operator's answer; rejects when there is none to use (no
 * 2xx, no JSON, no `success`), so that the caller's record stays open and is tried again.
 */
export async function sendNotification(
  outbound: OutboundHttp,
  input: { url: string; id: string; secret: string; body: Record<string, unknown>; now: Date },
): Promise<OperatorAnswer> {
  const raw = JSON.stringify(input.body);
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': 'Paygrid-1Click/1',
    ...signatureHeaders(input.secret, { id: input.id, timestamp: input.now, body: raw, url: input.url, scheme: 'standard' }),
  };
  let response;
  try {
    response = await outbound.send({ url: input.url, method: 'POST', headers, body: raw });
  } catch (error) {
    if (error instanceof OutboundError) throw new Error(`The operator could not be reached: ${error.message}`);
    throw error;
  }
  if (response.status < 200 || response.status >= 300) throw new Error(`The operator answered HTTP ${response.status}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new Error('The operator answered with no JSON body');
  }
  return readOperatorAnswer(parsed);
}
