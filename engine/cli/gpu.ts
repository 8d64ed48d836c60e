import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { CUDA_LIBRARIES, CUDA_PACKAGE, installCudaProvider, missingCudaLibraries } from '../../gpu-pool/cuda-install.js';
import { createSession, cudaProviderMissing, onnxRuntimeBinDir, onnxRuntimeVersion } from '../../gpu-pool/providers.js';
import { trainZScore } from '../../gpu-pool/models/zscore.js';
import { exportZScore } from '../../gpu-pool/onnx/export.js';
import { FEATURE_COUNT } from '../../gpu-pool/features/table.js';

const HELP = `usage: swaprep gpu install-cuda [--package-dir DIR] [--target DIR] [--registry URL]
       swaprep gpu status

install-cuda  installs the CUDA 13 execution provider for onnxruntime-node 1.29.0 from the npm package
              ${CUDA_PACKAGE}: fetched with npm pack into a temporary
              directory (or taken from --package-dir, an unpacked copy), its libonnxruntime_providers_{cuda,shared}.so
              copied next to libonnxruntime.so.1 (--target overrides that directory). The process then needs
              ${CUDA_LIBRARIES.join(', ')} on LD_LIBRARY_PATH.
status        which execution providers the scoring pool would get here, and why not CUDA.
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      'package-dir': { type: 'string' },
      target: { type: 'string' },
      registry: { type: 'string' },
    },
    allowPositionals: true,
  });
  const [action] = positionals;
  if (values.help || (action !== 'install-cuda' && action !== 'status')) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  if (action === 'status') return status();
  try {
    const result = await installCudaProvider({
      ...(values['package-dir'] ? { packageDir: values['package-dir'] } : {}),
      ...(values.target ? { target: values.target } : {}),
      npmArgs: values.registry ? ['--registry', values.registry] : [],
      log: (line) => process.stderr.write(line + '\n'),
    });
    process.stdout.write(`CUDA provider installed in ${result.target} (${result.copied.join(', ')})\n`);
    if (result.missingLibraries.length > 0) {
      process.stdout.write(`not found on LD_LIBRARY_PATH or in the linker cache: ${result.missingLibraries.join(', ')}; until they are, the pool runs on CPU and says so\n`);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`swaprep gpu install-cuda: ${(err as Error).message}\n`);
    return 1;
  }
}

async function status(): Promise<number> {
  const lines: string[] = [];
  lines.push(`onnxruntime-node ${onnxRuntimeVersion()} (${onnxRuntimeBinDir()})`);
  lines.push(`backends: ${ort.listSupportedBackends().map((b) => `${b.name}${b.bundled ? '' : ' (separate library)'}`).join(', ')}`);
  const missing = cudaProviderMissing();
  lines.push(`CUDA provider libraries: ${missing || 'installed'}`);
  const libs = await missingCudaLibraries();
  lines.push(`CUDA user libraries: ${libs.length === 0 ? 'found' : `missing ${libs.join(', ')}`}`);
  // A tiny real model: what a session asking for CUDA actually gets.
  const model = exportZScore(trainZScore({ center: new Float32Array(FEATURE_COUNT), scale: new Float32Array(FEATURE_COUNT).fill(1), clip: 10 }, FEATURE_COUNT, [0]));
  const choice = await createSession({ model, providers: ['cuda', 'cpu'], cpuOnly: false, intraOpThreads: 1 });
  lines.push(`a scoring session asking for cuda, cpu gets: ${choice.provider}${choice.note ? ` (${choice.note})` : ''}`);
  await choice.session.release();
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
