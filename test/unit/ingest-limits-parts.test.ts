import { describe, expect, it } from 'vitest';
import { escapeText, oneLine, peerText } from '../../engine/ingest/peer-text.js';
import { ConnectionCaps, normalAddress, peerAddress } from '../../engine/ingest/connection-limits.js';
import { AuthGate } from '../../engine/ingest/auth-gate.js';
import { loadConfig } from '../../engine/config.js';

describe('peer text in logs and Error frames', () => {
  it('quotes, escapes control and non-ASCII characters, and reads back with JSON.parse', () => {
    const nasty = 'fep\n2026-01-01T00:00:00Z INFO forged \u001b[31mred\u001b[0m "q" \\ \u202e\u{1F600}';
    const shown = peerText(nasty, 1000);
    expect(shown).toMatch(/^"[\x20-\x7e]*"$/);
    expect(JSON.parse(shown)).toBe(nasty);
    expect(escapeText('plain-id_1.2')).toBe('plain-id_1.2');
  });

  it('cuts long text at a number of characters and says how much was left off', () => {
    const shown = peerText('x'.repeat(10_000));
    expect(shown).toBe(`"${'x'.repeat(64)}"...(9936 more characters)`);
    expect(oneLine('a\nb'.repeat(1000), 100)).toHaveLength(103);
    expect(oneLine('a\nb')).toBe('a\\nb');
  });
});

describe('connection caps', () => {
  it('refuses over the per-address cap and the global cap, and frees slots on release', () => {
    const caps = new ConnectionCaps({ maxConnections: 3, maxConnectionsPerAddress: 2 });
    expect(caps.take('10.0.0.1')).toBeUndefined();
    expect(caps.take('10.0.0.1')).toBeUndefined();
    expect(caps.take('10.0.0.1')).toMatch(/SWAPREP_MAX_CONNECTIONS_PER_ADDRESS/);
    expect(caps.take('10.0.0.2')).toBeUndefined();
    expect(caps.take('10.0.0.3')).toMatch(/at most 3 at once \(SWAPREP_MAX_CONNECTIONS\)/);
    caps.release('10.0.0.1');
    expect(caps.open).toBe(2);
    expect(caps.take('10.0.0.3')).toBeUndefined();
    // 0: no cap.
    const open = new ConnectionCaps({ maxConnections: 0, maxConnectionsPerAddress: 0 });
    for (let i = 0; i < 100; i++) expect(open.take('h')).toBeUndefined();
  });

  it('counts a host once whatever its port or notation', () => {
    expect(peerAddress('127.0.0.1:5000')).toBe('127.0.0.1');
    expect(peerAddress('::1:5000')).toBe('::1');
    expect(peerAddress('[::1]:5000')).toBe('::1');
    expect(peerAddress('::ffff:10.1.2.3:4000')).toBe('10.1.2.3');
    expect(normalAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(normalAddress('fe80::1')).toBe('fe80::1');
  });
});

describe('the gate in front of token checks', () => {
  it('runs at most maxConcurrentAuth checks at once, in arrival order, and skips those whose connection has gone', async () => {
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const release: (() => void)[] = [];
    const gate = new AuthGate({ maxConcurrentAuth: 2, authCacheMs: 0 }, async (sourceId) => {
      order.push(sourceId);
      most = Math.max(most, ++running);
      await new Promise<void>((r) => release.push(r));
      running--;
      return sourceId === 'good';
    });
    const gone = { open: true };
    const results = [
      gate.verify('bad1', 't', () => true),
      gate.verify('bad2', 't', () => true),
      gate.verify('bad3', 't', () => gone.open),
      gate.verify('good', 't', () => true),
    ];
    gone.open = false;
    while (order.length < 3 || release.length > 0) {
      await new Promise((r) => setImmediate(r));
      release.shift()?.();
    }
    expect(await Promise.all(results)).toEqual([false, false, false, true]);
    expect(order).toEqual(['bad1', 'bad2', 'good']);
    expect(most).toBe(2);
  });

  it('remembers an accepted token for authCacheMs: a reconnect skips the check, a wrong token does not', async () => {
    let now = 0;
    let checks = 0;
    const gate = new AuthGate({ maxConcurrentAuth: 1, authCacheMs: 1000 }, async (_id, token) => (checks++, token === 'right'), () => now);
    expect(await gate.verify('fep1', 'right', () => true)).toBe(true);
    expect(await gate.verify('fep1', 'right', () => true)).toBe(true);
    expect(checks).toBe(1);
    expect(await gate.verify('fep1', 'wrong', () => true)).toBe(false);
    expect(checks).toBe(2);
    expect(await gate.verify('fep1', 'right', () => true)).toBe(true);
    expect(checks).toBe(2);
    now = 1001;
    expect(await gate.verify('fep1', 'right', () => true)).toBe(true);
    expect(checks).toBe(3);
  });
});

describe('ingest limit settings', () => {
  it('has defaults, reads SWAPREP_* variables, and names a bad one', () => {
    const d = loadConfig({}).ingestLimits;
    expect(d).toMatchObject({ maxConnections: 1024, maxConnectionsPerAddress: 64, helloTimeoutMs: 10_000, preHelloMaxFrameBytes: 65_536, idleTimeoutMs: 300_000, maxConcurrentAuth: 2 });
    expect(d.grpc).toEqual({ maxConcurrentStreams: 16, keepaliveMs: 60_000, keepaliveTimeoutMs: 20_000 });
    const c = loadConfig({ SWAPREP_HELLO_TIMEOUT_MS: '2500', SWAPREP_MAX_CONNECTIONS_PER_ADDRESS: '0', SWAPREP_GRPC_MAX_STREAMS: '4' }).ingestLimits;
    expect([c.helloTimeoutMs, c.maxConnectionsPerAddress, c.grpc.maxConcurrentStreams]).toEqual([2500, 0, 4]);
    expect(() => loadConfig({ SWAPREP_PRE_HELLO_MAX_FRAME_BYTES: '100' })).toThrow(/SWAPREP_PRE_HELLO_MAX_FRAME_BYTES: 100 is below 1024/);
    expect(() => loadConfig({ SWAPREP_MAX_CONCURRENT_AUTH: '0' })).toThrow(/SWAPREP_MAX_CONCURRENT_AUTH/);
    expect(() => loadConfig({ SWAPREP_IDLE_TIMEOUT_MS: 'soon' })).toThrow(/SWAPREP_IDLE_TIMEOUT_MS: "soon" is not a non-negative integer/);
  });
});
