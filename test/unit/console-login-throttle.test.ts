import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../ui/server/auth/login-throttle.js';
import { clientAddress, normalise } from '../../ui/server/auth/client-address.js';

// Login throttling keyed by user and address: a stranger's failures stop the stranger, not the user; the lock
// doubles with each failure past the free ones, up to a cap, and is forgotten after the window.

describe('login throttle', () => {
  it('locks one address for one user with exponential backoff, and nobody else', () => {
    let now = 1_000_000;
    const t = new LoginThrottle({ maxFailures: 3, backoffMs: 10_000, maxBackoffMs: 60_000, windowMs: 900_000 }, () => now);
    expect([t.failed('admin', '203.0.113.9'), t.failed('admin', '203.0.113.9')]).toEqual([0, 0]);
    expect(t.retryAfterS('admin', '203.0.113.9')).toBe(0);
    expect(t.failed('admin', '203.0.113.9')).toBe(10);
    expect(t.retryAfterS('admin', '203.0.113.9')).toBe(10);
    // The real admin, from elsewhere, and another user from the stranger's address are free.
    expect(t.retryAfterS('admin', '198.51.100.7')).toBe(0);
    expect(t.retryAfterS('vic', '203.0.113.9')).toBe(0);
    // Usernames count case-insensitively.
    expect(t.retryAfterS('ADMIN', '203.0.113.9')).toBe(10);
    // Each further failure doubles the lock, up to the cap.
    const locks: number[] = [];
    for (let i = 0; i < 4; i++) {
      now += t.retryAfterS('admin', '203.0.113.9') * 1000;
      locks.push(t.failed('admin', '203.0.113.9'));
    }
    expect(locks).toEqual([20, 40, 60, 60]);
  });

  it('forgets failures after a success or the window, and stays bounded', () => {
    let now = 0;
    const t = new LoginThrottle({ maxFailures: 1, backoffMs: 1000, maxBackoffMs: 1000, windowMs: 60_000, maxKeys: 100 }, () => now);
    t.failed('ana', 'a');
    expect(t.retryAfterS('ana', 'a')).toBe(1);
    t.succeeded('ana', 'a');
    expect(t.retryAfterS('ana', 'a')).toBe(0);
    t.failed('ana', 'a');
    now += 60_001;
    expect(t.retryAfterS('ana', 'a')).toBe(0); // the window passed: forgotten
    expect(t.failed('ana', 'a')).toBe(1); // counted afresh: the first failure again, which locks with maxFailures 1
    for (let i = 0; i < 1000; i++) t.failed(`user${i}`, 'spray');
    expect(t.size).toBeLessThanOrEqual(100);
  });
});

describe('client address', () => {
  it('is the peer, IPv4-mapped IPv6 as IPv4, IPv6 per /64', () => {
    expect(clientAddress('127.0.0.1', '', [])).toBe('127.0.0.1');
    expect(clientAddress('::ffff:10.1.2.3', '', [])).toBe('10.1.2.3');
    expect(clientAddress('0000:0000:0000:0000:0000:ffff:7f00:0001', '', [])).toBe('127.0.0.1');
    expect(clientAddress('2001:db8:0:1:aaaa:bbbb:cccc:dddd', '', [])).toBe('2001:db8:0:1::/64');
    expect(clientAddress('2001:db8::1', '', [])).toBe('2001:db8:0:0::/64');
  });

  it('believes X-Forwarded-For only from a trusted proxy, taking the right-most untrusted hop', () => {
    const proxies = ['10.0.0.5', '10.0.0.6'].map(normalise);
    expect(clientAddress('203.0.113.9', '198.51.100.1', proxies)).toBe('203.0.113.9'); // not a proxy: its header is ignored
    expect(clientAddress('10.0.0.5', '198.51.100.1', proxies)).toBe('198.51.100.1');
    // The client wrote the left entry itself; the right-most one before our proxies is what the proxy saw.
    expect(clientAddress('10.0.0.5', '1.2.3.4, 198.51.100.1, 10.0.0.6', proxies)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.5', '', proxies)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', 'garbage', proxies)).toBe('10.0.0.5');
  });
});
