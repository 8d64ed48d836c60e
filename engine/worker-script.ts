/**
 * The file a worker thread runs. Built code (dist/) runs the entry module's .js file there. When the code runs
 * from TypeScript sources (vitest, which transforms imports in the main thread only), a worker thread could
 * not load worker.ts, so its import closure is transpiled once with the TypeScript compiler (a dev
 * dependency, present wherever sources are run) into node_modules/.cache/swaprep-workers/<hash>/, keyed by
 * the sources' content so an edit is picked up at the next start. The files are written as .mjs (with their
 * relative imports renamed to match): inside node_modules a .js file would be CommonJS, and a package.json
 * there would make the modules that look for the project's package.json (projectRoot) stop at it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { projectRoot } from './project-root.js';

const here = fileURLToPath(import.meta.url);

/** Relative imports of a module that survive compilation (`import type` is erased, so skipped). */
function relativeImports(source: string): string[] {
  const out: string[] = [];
  const re = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (let m = re.exec(source); m; m = re.exec(source)) out.push(m[1]!);
  return out;
}

/** URL of a worker entry module, named by its path in the project without extension (e.g. 'gpu-pool/worker'). */
export async function workerScriptUrl(modulePath: string): Promise<URL> {
  // Built: dist/ mirrors the project, and this module is dist/engine/worker-script.js.
  if (here.endsWith('.js')) return new URL(`../${modulePath}.js`, import.meta.url);
  // From sources, or from a transpiled copy (.mjs, inside a worker started from sources): the entry's
  // sources are in the project.
  const root = projectRoot();
  const entry = join(root, `${modulePath}.ts`);
  // Collect the closure of relative imports (".js" specifiers name ".ts" sources).
  const files = new Map<string, string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    files.set(file, source);
    for (const spec of relativeImports(source)) pending.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  const hash = createHash('sha256').update('mjs-1\0'); // the layout of the output; bump when it changes
  for (const [file, source] of [...files].sort(([a], [b]) => a.localeCompare(b))) hash.update(file).update('\0').update(source).update('\0');
  const outDir = join(root, 'node_modules', '.cache', 'swaprep-workers', hash.digest('hex').slice(0, 16));
  const outEntry = join(outDir, relative(root, entry).replace(/\.ts$/, '.mjs'));
  if (!existsSync(outEntry)) {
    const ts = (await import('typescript')).default;
    const staging = `${outDir}.tmp-${process.pid}-${Date.now()}`;
    for (const [file, source] of files) {
      const js = ts.transpileModule(source, {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, sourceMap: false, verbatimModuleSyntax: false },
      }).outputText.replace(/(['"])(\.{1,2}\/[^'"]+)\.js\1/g, '$1$2.mjs$1');
      const target = join(staging, relative(root, file).replace(/\.ts$/, '.mjs'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, js);
    }
    try {
      if (existsSync(outDir) && !existsSync(outEntry)) rmSync(outDir, { recursive: true, force: true });
      renameSync(staging, outDir);
    } catch (err) {
      // Another process (a parallel test file) got there first with the same content.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(outEntry)) throw err;
    }
  }
  return pathToFileURL(outEntry);
}

/**
 * Resource limits for the engine's worker threads (file decoding, scoring, the ONNX workers, the console's
 * projector). V8 grows each thread's young generation up to 48 MiB (two 16 MiB semi-spaces and their large-object
 * space) under a steady allocation rate, and every thread holds its own: in 1,000,000-line replays, 24 MiB per
 * worker took 40 to 60 MiB off the engine's peak RSS at the same speed (two alternating runs each). The main
 * thread keeps V8's default.
 */
export const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 24 } as const;

/**
 * A piscina pool of exactly `threads` threads running the entry module `modulePath` (as workerScriptUrl names it), kept
 * for the life of the engine (never shrunk when idle), each with WORKER_RESOURCE_LIMITS and up to `tasksPerThread`
 * tasks handed to it at a time.
 */
export async function fixedThreadPool(modulePath: string, threads: number, workerData: unknown, tasksPerThread = 1): Promise<Piscina> {
  return new Piscina({
    filename: (await workerScriptUrl(modulePath)).href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.MAX_SAFE_INTEGER,
    concurrentTasksPerWorker: tasksPerThread,
    workerData,
    resourceLimits: WORKER_RESOURCE_LIMITS,
  });
}
