import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultDataDir, loadConfig } from '../../engine/config.js';
import { parseSourcesSpec, hashToken } from '../../engine/store/sources.js';

describe('configuration', () => {
  it('has defaults that just run', () => {
    const c = loadConfig({});
    expect([c.tcpPort, c.grpcPort, c.httpPort, c.maxFrameBytes, c.databaseUrl]).toEqual([7400, 7401, 8080, 4 * 1024 * 1024, undefined]);
    expect(c.dataDir).toBe(defaultDataDir());
  });

  it('runs one validation thread where there is a second CPU, and none when told 0', () => {
    expect(loadConfig({}).validationThreads).toBe(availableParallelism() > 1 ? 1 : 0);
    expect(loadConfig({ SWAPREP_VALIDATION_THREADS: '0' }).validationThreads).toBe(0);
    expect(loadConfig({ SWAPREP_VALIDATION_THREADS: '2' }).validationThreads).toBe(2);
    expect(() => loadConfig({ SWAPREP_VALIDATION_THREADS: 'many' })).toThrow(/SWAPREP_VALIDATION_THREADS: "many"/);
  });

  it("keeps data in the user's home, or in /var/lib/swaprep as root (whose home the embedded server's user cannot enter)", () => {
    expect(defaultDataDir(1000, '/home/ana')).toBe('/home/ana/.swaprep');
    expect(defaultDataDir(0, '/root')).toBe('/var/lib/swaprep');
  });

  it('takes flags over environment variables and names a bad setting', () => {
    expect(loadConfig({ SWAPREP_TCP_PORT: '9000' }, { 'tcp-port': '9100' }).tcpPort).toBe(9100);
    expect(loadConfig({ SWAPREP_TCP_PORT: '9000' }).tcpPort).toBe(9000);
    expect(() => loadConfig({ SWAPREP_MAX_FRAME_BYTES: 'lots' })).toThrow(/SWAPREP_MAX_FRAME_BYTES: "lots"/);
    expect(() => loadConfig({ SWAPREP_TLS_CERT: '/x.pem' })).toThrow(/both/);
    expect(() => loadConfig({ SWAPREP_BACKGROUND_NICE: 'low' })).toThrow(/SWAPREP_BACKGROUND_NICE: "low"/);
    expect(() => loadConfig({ SWAPREP_BACKGROUND_NICE: '20' })).toThrow(/0 \(off\) to 19/);
    expect(() => loadConfig({ SWAPREP_BACKGROUND_NICE: '0' })).not.toThrow();
  });

  it('parses SWAPREP_SOURCES and rejects a malformed entry by name', () => {
    expect(parseSourcesSpec('a=1, b=two=2 ,')).toEqual([{ sourceId: 'a', token: '1' }, { sourceId: 'b', token: 'two=2' }]);
    expect(() => parseSourcesSpec('a=1,oops')).toThrow(/"oops"/);
  });

  it('stores tokens as SHA-256, never in clear', () => {
    expect(hashToken('secret')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken('secret')).not.toContain('secret');
  });
});
