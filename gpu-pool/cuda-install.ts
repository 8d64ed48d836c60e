/**
 * Installs the CUDA 13 execution provider for onnxruntime-node 1.29.0 (shared/gpu/README.md): the provider
 * libraries of the npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 (official ONNX Runtime 1.29.0
 * binaries) are copied next to libonnxruntime.so.1 in onnxruntime-node's bin directory. The package is fetched
 * with `npm pack` into a temporary directory (nothing is added to package.json), or taken from a directory
 * already unpacked (`packageDir`, for hosts without the registry and for tests).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CUDA_PROVIDER_FILES, onnxRuntimeBinDir, onnxRuntimeVersion } from './providers.js';

const run = promisify(execFile);

export const CUDA_PACKAGE = 'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9';
export const REQUIRED_ORT_VERSION = '1.29.0';
/** What the process needs on its library path for the CUDA provider to load (cuDNN only for convolutions). */
export const CUDA_LIBRARIES = ['libcudart.so.13', 'libcublas.so.13', 'libcublasLt.so.13', 'libcurand.so.10'] as const;

export interface InstallOptions {
  /** An unpacked package (its `package/` directory or the directory holding it) instead of `npm pack`. */
  packageDir?: string;
  /** Where libonnxruntime.so.1 is (default: onnxruntime-node's bin directory). */
  target?: string;
  /** Extra arguments for `npm pack` (e.g. --registry). */
  npmArgs?: string[];
  /** The installed onnxruntime-node version (default: read from node_modules). */
  ortVersion?: string;
  log?: (line: string) => void;
}

export interface InstallResult {
  target: string;
  copied: string[];
  /** CUDA user libraries not found on LD_LIBRARY_PATH or in the linker cache. */
  missingLibraries: string[];
}

function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) {
      const found = findFile(p, name);
      if (found) return found;
    } else if (entry === name) return p;
  }
  return undefined;
}

async function fetchPackage(work: string, npmArgs: readonly string[]): Promise<string> {
  try {
    await run('npm', ['pack', CUDA_PACKAGE, '--silent', '--fetch-retries=1', ...npmArgs], { cwd: work, timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const reason = (e.stderr || e.message).split('\n').find((l) => l.trim() !== '') ?? 'npm pack failed';
    throw new Error(`could not download ${CUDA_PACKAGE} with npm pack (offline, or no access to the npm registry?): ${reason.trim()}\n` +
      `On a host without the registry, unpack the package elsewhere and pass --package-dir DIR.`);
  }
  const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack ${CUDA_PACKAGE} produced no .tgz`);
  await run('tar', ['xzf', tgz], { cwd: work });
  return join(work, 'package');
}

/** Which of the CUDA user libraries the dynamic linker would not find. */
export async function missingCudaLibraries(): Promise<string[]> {
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  let cache = '';
  try {
    cache = (await run('ldconfig', ['-p'])).stdout;
  } catch {
    // No ldconfig (or not allowed): only LD_LIBRARY_PATH counts.
  }
  return CUDA_LIBRARIES.filter((lib) => !cache.includes(lib) && !dirs.some((d) => existsSync(join(d, lib))));
}

export async function installCudaProvider(options: InstallOptions = {}): Promise<InstallResult> {
  const log = options.log ?? (() => {});
  const version = options.ortVersion ?? onnxRuntimeVersion();
  if (version !== REQUIRED_ORT_VERSION) {
    throw new Error(`onnxruntime-node ${version} is installed; the CUDA provider of ${CUDA_PACKAGE} loads only into exactly ${REQUIRED_ORT_VERSION}`);
  }
  if (!options.target && (process.platform !== 'linux' || process.arch !== 'x64')) throw new Error(`the CUDA provider is built for linux/x64, not ${process.platform}/${process.arch}`);
  const target = options.target ?? onnxRuntimeBinDir();
  if (!existsSync(join(target, 'libonnxruntime.so.1'))) throw new Error(`${target} holds no libonnxruntime.so.1: is onnxruntime-node installed with its binaries?`);

  const work = options.packageDir ? undefined : mkdtempSync(join(tmpdir(), 'swaprep-cuda-'));
  try {
    let pkg: string;
    if (options.packageDir) pkg = options.packageDir;
    else {
      log(`fetching ${CUDA_PACKAGE} (npm pack)`);
      pkg = await fetchPackage(work!, options.npmArgs ?? []);
    }
    const copied: string[] = [];
    for (const name of CUDA_PROVIDER_FILES) {
      const preferred = join(pkg, 'Plugins', 'Linux', 'x64', name);
      const source = existsSync(preferred) ? preferred : findFile(pkg, name);
      if (!source) throw new Error(`${name} not found in ${pkg} (expected at Plugins/Linux/x64/${name})`);
      copyFileSync(source, join(target, name));
      copied.push(name);
      log(`copied ${name} to ${target}`);
    }
    return { target, copied, missingLibraries: await missingCudaLibraries() };
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}
