import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, dummyHash, hashPassword, needsRehash, verifyPassword } from '../../ui/server/auth/passwords.js';

// scrypt at N = 2^17 by default, the parameters kept in the hash string, so a hash made with a lower cost (an
// older release's N = 2^14) still verifies and is marked for rehashing.

const OLD = { log2N: 14, r: 8, p: 1 };

describe('password hashes', () => {
  it('hash at N = 2^17 by default and keep the parameters in the string', async () => {
    expect(DEFAULT_SCRYPT.log2N).toBeGreaterThanOrEqual(17);
    const h = await hashPassword('a long enough password');
    expect(h).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('a long enough password', h)).toBe(true);
    expect(needsRehash(h)).toBe(false);
  });

  it('verify a hash made with lower parameters, and mark it for rehashing', async () => {
    const old = await hashPassword('the old password', OLD);
    expect(old).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('the old password', old)).toBe(true);
    expect(await verifyPassword('not the old password', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(old, OLD)).toBe(false);
    // A higher cost than asked for is kept (never downgraded).
    expect(needsRehash(dummyHash({ log2N: 18, r: 8, p: 1 }))).toBe(false);
  });

  it('refuse malformed hashes and parameters past the bounds without computing them', async () => {
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1000$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA')).toBe(false); // N not a power of 2
    expect(await verifyPassword('x', `scrypt$${2 ** 24}$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA`)).toBe(false); // 16 GiB: refused
    expect(needsRehash('garbage')).toBe(true);
  });

  it('make dummy hashes at the cost asked for (unknown users take as long as known ones)', async () => {
    expect(dummyHash()).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword('anything', dummyHash())).toBe(false);
  });
});
