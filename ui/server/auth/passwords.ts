/**
 * Password hashing with node:crypto scrypt: a random salt per password, and the parameters kept in the hash
 * string ("scrypt$N$r$p$salt$hash", salt and hash base64url), so a hash made with a lower cost still verifies
 * and can be replaced at the next login (needsRehash).
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N (17: N = 131072, 128 MiB and a few hundred ms per hash). */
  log2N: number;
  r: number;
  p: number;
}

/** The default cost: N = 2^17, r = 8, p = 1 (OWASP's scrypt minimum is N = 2^17 with r = 8). */
export const DEFAULT_SCRYPT: ScryptParams = { log2N: 17, r: 8, p: 1 };
const KEY_LEN = 32;

/**
 * The most a stored hash may ask for (N = 2^20, r = 16, p = 4): a hash row is ours, but one altered in the database
 * must not make a login allocate gigabytes.
 */
const MAX_LOG2N = 20;
const MAX_R = 16;
const MAX_P = 4;

/**
 * scrypt needs 128 * N * r bytes for its table (plus 128 * r * p for the blocks); node:crypto refuses anything over
 * `maxmem` (32 MiB by default, too little for N = 2^17), so it is sized to the parameters, with room to spare.
 */
function maxmem(n: number, r: number, p: number): number {
  return 128 * n * r + 128 * r * p + 16 * 1024 * 1024;
}

function scrypt(password: string, salt: Buffer, keyLen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFKC'), salt, keyLen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

interface Parsed {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const log2N = Math.log2(n);
  if (!Number.isInteger(log2N) || log2N < 1 || log2N > MAX_LOG2N) return undefined;
  if (!Number.isInteger(r) || r < 1 || r > MAX_R || !Number.isInteger(p) || p < 1 || p > MAX_P) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const hash = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { n, r, p, salt, hash };
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const n = 2 ** params.log2N;
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LEN, { N: n, r: params.r, p: params.p, maxmem: maxmem(n, params.r, params.p) });
  return `scrypt$${n}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Constant-time comparison of the derived key, with the parameters the hash was made with; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h) return false;
  const key = await scrypt(password, h.salt, h.hash.length, { N: h.n, r: h.r, p: h.p, maxmem: maxmem(h.n, h.r, h.p) });
  return key.length === h.hash.length && timingSafeEqual(key, h.hash);
}

/** Whether `stored` was made with less than `params` asks for (then it is replaced at the next successful login). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const h = parse(stored);
  if (!h) return true;
  return h.n < 2 ** params.log2N || h.r < params.r || h.p < params.p || h.hash.length < KEY_LEN;
}

/**
 * A hash of a random password nobody knows, at the given cost: compared against when the user does not exist,
 * so the answer takes as long as for a user who does.
 */
export function dummyHash(params: ScryptParams = DEFAULT_SCRYPT): string {
  return `scrypt$${2 ** params.log2N}$${params.r}$${params.p}$${randomBytes(16).toString('base64url')}$${randomBytes(KEY_LEN).toString('base64url')}`;
}

export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
