import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (RFC 7914), memory-hard: one hash needs 128 × N × r bytes of memory.
 * N = 2^17, r = 8, p = 1 (128 MiB, about 0.3 s on one core) is OWASP's recommended minimum.
 * The parameters are stored with each hash (PHC string format), so raising them later leaves the old
 * hashes verifiable, and `needsRehash` tells the login to upgrade them.
 *
 *   $scrypt$ln=17,r=8,p=1$<salt, base64>$<hash, base64>
 */
export interface ScryptParameters {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  r: number;
  p: number;
}

export const PASSWORD_PARAMETERS: Readonly<ScryptParameters> = { ln: 17, r: 8, p: 1 };

const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Longer passwords are refused before hashing: their cost is bounded, and nobody types 1 KiB. */
export const MAX_PASSWORD_BYTES = 1024;

function derive(password: string, salt: Buffer, params: ScryptParameters): Promise<Buffer> {
  const options: ScryptOptions = {
    N: 2 ** params.ln,
    r: params.r,
    p: params.p,
    // Node's default cap (32 MiB) is below what N = 2^17 needs; allow twice the need.
    maxmem: 2 * 128 * 2 ** params.ln * params.r,
  };
  return new Promise((resolve, reject) => {
    // Asynchronous: the work runs on libuv's thread pool, never on the event loop.
    scrypt(password.normalize('NFC'), salt, HASH_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParameters = PASSWORD_PARAMETERS): Promise<string> {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) throw new Error('password too long');
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

interface Parsed {
  params: ScryptParameters;
  salt: Buffer;
  hash: Buffer;
}

const ENCODED = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function parse(encoded: string): Parsed | null {
  const match = ENCODED.exec(encoded);
  if (!match) return null;
  const params = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  // Bounds keep a corrupted or hostile row from asking for gigabytes.
  if (params.ln < 10 || params.ln > 20 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return null;
  const hash = Buffer.from(match[5], 'base64');
  if (hash.length < 16) return null;
  return { params, salt: Buffer.from(match[4], 'base64'), hash };
}

/** Whether `password` matches `encoded`; compared in constant time. A malformed hash matches nothing. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parse(encoded);
  if (!parsed || Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return false;
  const candidate = await derive(password, parsed.salt, parsed.params);
  return candidate.length === parsed.hash.length && timingSafeEqual(candidate, parsed.hash);
}

/** True when the hash was made with weaker parameters than today's (or cannot be read). */
export function needsRehash(encoded: string, params: ScryptParameters = PASSWORD_PARAMETERS): boolean {
  const parsed = parse(encoded);
  if (!parsed) return true;
  return parsed.params.ln < params.ln || parsed.params.r < params.r || parsed.params.p < params.p;
}
