/**
 * The address a login attempt is throttled by. The peer's address, unless the peer is a reverse proxy the
 * operator named (SWAPREP_TRUSTED_PROXIES): then the right-most X-Forwarded-For entry that is not one of those
 * proxies (entries left of it could be written by the client itself). Without this, every user behind a proxy
 * would share one address, and a stranger's failures would lock out everyone's logins again.
 *
 * IPv6 addresses count per /64: one host usually holds a whole /64, and per-address keys would give it 2^64 sets
 * of free guesses.
 */
import { isIP } from 'node:net';

export function clientAddress(peer: string, forwardedFor: string, trustedProxies: readonly string[]): string {
  let address = normalise(peer);
  if (trustedProxies.length > 0 && trustedProxies.includes(address) && forwardedFor !== '') {
    const hops = forwardedFor.split(',').map((h) => normalise(h.trim())).filter((h) => isIP(h) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      address = hops[i]!;
      if (!trustedProxies.includes(address)) break;
    }
  }
  return isIP(address) === 6 ? prefix64(address) : address;
}

/**
 * IPv4-mapped IPv6 (::ffff:1.2.3.4, or uWS's long form 0000:…:ffff:7f00:0001, as a dual-stack socket reports IPv4
 * peers) as plain IPv4; other addresses lower case.
 */
export function normalise(address: string): string {
  const a = address.trim().toLowerCase();
  if (isIP(a) !== 6) return a;
  const g = groups6(a);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255].join('.');
  return a;
}

/** The eight 16-bit groups of a valid IPv6 address ("::" expanded, a dotted IPv4 tail as two groups). */
function groups6(address: string): number[] {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  let text = address;
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = address.slice(0, dotted.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.map((x) => parseInt(x, 16));
}

/** The /64 an IPv6 address is in: "2001:db8:0:1::/64". */
function prefix64(address: string): string {
  return `${groups6(address).slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}
