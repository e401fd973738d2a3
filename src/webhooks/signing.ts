import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { SignatureScheme } from './webhook-delivery.entity';

/** One request to sign: everything its signatures cover. */
export interface WebhookMessage {
  /** The delivery id: the Standard Webhooks `webhook-id`, the same on every attempt. */
  id: string;
  /** When this attempt is sent. */
  timestamp: Date;
  /** The raw body, exactly as sent. */
  body: string;
  /** Where it is POSTed: the Powens scheme signs the path. */
  url: string;
  scheme: SignatureScheme | `${SignatureScheme}`;
}

function hmac(secret: string, message: string): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(message, 'utf8').digest();
}

/** `2021-02-25T15:02:10Z`: ISO 8601 in UTC to the second, as Powens dates its signatures. */
function isoSeconds(instant: Date): string {
  return instant.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The one signing helper: the headers that authenticate a webhook request, all made with the client's
 * webhook secret (`whsec_…`).
 * - Always the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`),
 *   made by the `standardwebhooks` package, which keys its HMAC with the base64-decoded part of the
 *   secret, as that specification says.
 * - `iumicash`: `iumicash-signature` = hex HMAC-SHA256 of the raw body.
 * - `powens`: `BI-Signature-Date` and `BI-Signature` = base64 HMAC-SHA256 of
 *   `POST.<path>.<BI-Signature-Date>.<raw body>`.
 * With `previousSecret` (a rotation's overlap) the Standard Webhooks header carries a second signature.
 * The two provider schemes key their HMAC with the secret string itself (its UTF-8 bytes), as those
 * providers do with the secret they hand out, so that a merchant's existing verification code works.
 */
export function signatureHeaders(secret: string, message: WebhookMessage, previousSecret: string | null = null): Record<string, string> {
  const standard = (key: string) => new Webhook(key).sign(message.id, message.timestamp, message.body);
  const headers: Record<string, string> = {
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.floor(message.timestamp.getTime() / 1000)),
    // During a key rotation's overlap both signatures are sent, space-delimited, as Standard Webhooks
    // allows: a receiver holding either key verifies the request.
    'webhook-signature': previousSecret ? `${standard(secret)} ${standard(previousSecret)}` : standard(secret),
  };
  switch (message.scheme) {
    case SignatureScheme.IUMICASH:
      headers['iumicash-signature'] = hmac(secret, message.body).toString('hex');
      break;
    case SignatureScheme.POWENS: {
      const date = isoSeconds(message.timestamp);
      headers['BI-Signature-Date'] = date;
      headers['BI-Signature'] = hmac(secret, `POST.${new URL(message.url).pathname}.${date}.${message.body}`).toString('base64');
      break;
    }
    case SignatureScheme.STANDARD:
      break;
  }
  return headers;
}
