// The scoring commands, run in-process: `swaprep train --from FILE` into a models directory (no database),
// `swaprep score FILE...` with the active version, and `swaprep gpu install-cuda` against a fake package
// and a fake onnxruntime directory (the real node_modules is never touched), offline failure included.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run as train } from '../../engine/cli/train.js';
import { run as score } from '../../engine/cli/score.js';
import { run as gpu } from '../../engine/cli/gpu.js';
import { installCudaProvider, CUDA_PACKAGE } from '../../gpu-pool/cuda-install.js';
import { DirectoryRegistry } from '../../gpu-pool/registry.js';

const corpus = fileURLToPath(new URL('../fixtures/drr-6.10/cftc-part45/', import.meta.url));

/** Runs a command with stdout and stderr captured. */
async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  try {
    return { code: await fn(), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('swaprep train and score', () => {
  it('trains on record files without a database, then scores files with the active version', async () => {
    const models = mkdtempSync(join(tmpdir(), 'swaprep-cli-models-'));
    const t = await capture(() => train(['--from', corpus, '--models-dir', models, '--activate', '--trees', '10', '--epochs', '1', '--seed', '2']));
    expect(t.err).not.toMatch(/Error/);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/model version v\d{8}T\d{6}-[0-9a-f]{6} \(active\)/);
    expect(t.out).toMatch(/ensemble\s+\d\.\d{3}/);
    const registry = new DirectoryRegistry(models);
    const active = await registry.active();
    expect(active).toBeDefined();
    const manifest = JSON.parse(readFileSync(join(registry.versionDir(active!), 'manifest.json'), 'utf8')) as { training: { source: string; events: number } };
    expect(manifest.training.events).toBe(209);

    // A JSONL file with one unreadable line, and a .json file.
    const dir = mkdtempSync(join(tmpdir(), 'swaprep-cli-records-'));
    const records = ['rates/IR-IRS-Fixed-Float-ex01.json', 'credit/Credit-Index-CDX-ex02.json'].map((f) => readFileSync(join(corpus, f), 'utf8').replace(/\s*\n\s*/g, ' '));
    writeFileSync(join(dir, 'batch.jsonl'), `${records[0]}\n{"notAField": 1}\n${records[1]}\n`);
    const s = await capture(() => score(['--models-dir', models, join(dir, 'batch.jsonl'), join(corpus, 'fx/FX-Forward-ex01.json')]));
    expect(s.code).toBe(1); // one record was unreadable
    const lines = s.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBe(4);
    for (const l of lines) expect(Object.keys(l).slice(0, 6)).toEqual(['file', 'index', 'uti', 'score', 'flagged', 'top_features']);
    const good = lines.filter((l) => l.score !== null);
    expect(good.map((l) => l.uti)).toEqual(['IRIRSFIXEDFLOATEXX01', expect.any(String), expect.any(String)]);
    expect(lines.find((l) => l.score === null)).toMatchObject({ index: 1, flagged: false, error: expect.stringMatching(/notAField/) });
    for (const l of good) if (l.flagged) expect((l.top_features as unknown[]).length).toBe(3);
    expect(s.err).toMatch(/3 records scored/);
  });

  it('prints usage for --help and refuses to score without files', async () => {
    expect((await capture(() => train(['--help']))).out).toMatch(/usage: swaprep train/);
    expect((await capture(() => score([]))).code).toBe(2);
  });
});

describe('swaprep gpu install-cuda', () => {
  function fakeRuntime(): string {
    const target = mkdtempSync(join(tmpdir(), 'swaprep-ort-'));
    writeFileSync(join(target, 'libonnxruntime.so.1'), 'fake');
    return target;
  }

  it('copies the provider libraries of an unpacked package next to libonnxruntime.so.1', async () => {
    const pkg = mkdtempSync(join(tmpdir(), 'swaprep-cuda-pkg-'));
    mkdirSync(join(pkg, 'Plugins', 'Linux', 'x64'), { recursive: true });
    for (const f of ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so']) {
      writeFileSync(join(pkg, 'Plugins', 'Linux', 'x64', f), `fake ${f}`);
    }
    const target = fakeRuntime();
    const r = await capture(() => gpu(['install-cuda', '--package-dir', pkg, '--target', target]));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/CUDA provider installed/);
    expect(readFileSync(join(target, 'libonnxruntime_providers_cuda.so'), 'utf8')).toBe('fake libonnxruntime_providers_cuda.so');
    expect(existsSync(join(target, 'libonnxruntime_providers_shared.so'))).toBe(true);
  });

  it('fails with a clear message when the package cannot be downloaded (offline)', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'swaprep-npm-cache-'));
    await expect(installCudaProvider({ target: fakeRuntime(), npmArgs: ['--offline', '--cache', cache] })).rejects.toThrow(
      new RegExp(`could not download ${CUDA_PACKAGE.replace(/\./g, '\\.')} with npm pack \\(offline`),
    );
  });

  it('refuses an onnxruntime-node other than 1.29.0', async () => {
    await expect(installCudaProvider({ target: fakeRuntime(), ortVersion: '1.22.0', packageDir: tmpdir() })).rejects.toThrow(/exactly 1\.29\.0/);
  });
});
