import { createHash, randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = CROCKFORD[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * A readable identifier that carries its type (`pay_…`, `acct_…`): a ULID body, so ids sort by
 * creation time and a cursor over them is stable.
 */
export function newId(prefix: string): string {
  const time = encode(BigInt(Date.now()), 10);
  const random = encode(BigInt(`0x${randomBytes(10).toString('hex')}`), 16);
  return `${prefix}_${time}${random}`;
}

/** An unguessable secret (token, code, client secret), base64url. */
export function newSecret(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/** How secrets (tokens, codes, client secrets, session cookies) are stored: their hex SHA-256. */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
