/**
 * Execution providers: which one each model's ONNX Runtime session gets. Configuration lists providers in
 * order of preference (default cuda, then cpu). CUDA is tried only where it can work and help:
 *  - the CUDA provider library must be installed next to libonnxruntime.so.1 (`swaprep gpu install-cuda`);
 *  - the isolation forest's TreeEnsemble operator has no CUDA kernel, so it always gets the CPU (measured in
 *    shared/gpu/README.md: same speed either way, minus the copies).
 * When CUDA fails (no library, no driver, no libcudart), the session is created on the CPU and the reason is
 * returned so the pool can say so once.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

export type Provider = 'cuda' | 'cpu';
export const DEFAULT_PROVIDERS: readonly Provider[] = ['cuda', 'cpu'];

export interface SessionChoice {
  session: ort.InferenceSession;
  /** 'cuda' or 'cpu'. */
  provider: Provider;
  /** Why a preferred provider was not used ('' when the first choice worked). */
  note: string;
}

/** The directory holding libonnxruntime.so.1, where the CUDA provider libraries must go. */
export function onnxRuntimeBinDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

export function onnxRuntimeVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}

export const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'] as const;

/** Whether the CUDA provider libraries are installed ('' when they are, else why not). */
export function cudaProviderMissing(binDir = onnxRuntimeBinDir()): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `no CUDA provider build for ${process.platform}/${process.arch}`;
  const missing = CUDA_PROVIDER_FILES.filter((f) => !existsSync(join(binDir, f)));
  return missing.length === 0 ? '' : `CUDA provider not installed (${missing.join(', ')} missing; run \`swaprep gpu install-cuda\`)`;
}

export interface SessionRequest {
  model: Uint8Array;
  providers: readonly Provider[];
  /** The graph uses operators with no CUDA kernel (TreeEnsemble): skip CUDA. */
  cpuOnly: boolean;
  intraOpThreads: number;
}

function options(provider: Provider, intraOpThreads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cuda' ? [{ name: 'cuda', deviceId: 0 }, 'cpu'] : ['cpu'],
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // A failed CUDA attempt is reported by our own log line; ONNX Runtime's native error log would repeat it.
    logSeverityLevel: provider === 'cuda' ? 4 : 3,
  };
}

export async function createSession(req: SessionRequest): Promise<SessionChoice> {
  const notes: string[] = [];
  for (const provider of req.providers) {
    if (provider === 'cuda') {
      if (req.cpuOnly) {
        notes.push('TreeEnsemble has no CUDA kernel');
        continue;
      }
      const missing = cudaProviderMissing();
      if (missing) {
        notes.push(missing);
        continue;
      }
    }
    try {
      const session = await ort.InferenceSession.create(req.model, options(provider, req.intraOpThreads));
      return { session, provider, note: notes.join('; ') };
    } catch (err) {
      notes.push(`${provider} failed: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no execution provider could load the model: ${notes.join('; ')}`);
}
