import { ErrorCode, PaygridError } from '../../shared/errors';
import type { Ed25519Jwk } from './wallet-address.entity';

const BASE64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;
const KID = /^[\x21-\x7e]{1,200}$/;

/**
 * An Ed25519 public JWK as Open Payments publishes it (json-web-key of the specs), or JWK_INVALID
 * naming the member at fault. A private member (`d`) is refused: it must never reach us.
 */
export function validateJwk(value: unknown, field: string): Ed25519Jwk {
  const fail = (member: string, why: string) => new PaygridError(ErrorCode.JWK_INVALID, `${field}.${member}`, `The key's ${member} ${why}.`);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new PaygridError(ErrorCode.JWK_INVALID, field);
  const jwk = value as Record<string, unknown>;
  if (typeof jwk.kid !== 'string' || !KID.test(jwk.kid)) throw fail('kid', 'must be 1 to 200 visible ASCII characters');
  if (jwk.kty !== 'OKP') throw fail('kty', 'must be "OKP"');
  if (jwk.crv !== 'Ed25519') throw fail('crv', 'must be "Ed25519"');
  if (jwk.alg !== 'EdDSA') throw fail('alg', 'must be "EdDSA"');
  if (typeof jwk.x !== 'string' || !BASE64URL_32_BYTES.test(jwk.x) || Buffer.from(jwk.x, 'base64url').length !== 32) {
    throw fail('x', 'must be the 32-byte public key in base64url without padding');
  }
  if (jwk.use !== undefined && jwk.use !== null && jwk.use !== 'sig') throw fail('use', 'may only be "sig"');
  if ('d' in jwk) throw fail('d', 'is a private key member: send the public key only');
  return { kid: jwk.kid, alg: 'EdDSA', kty: 'OKP', crv: 'Ed25519', x: jwk.x, ...(jwk.use === 'sig' ? { use: 'sig' as const } : {}) };
}
