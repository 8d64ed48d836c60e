/**
 * The file a worker thread runs. Built code (dist/) has worker.js beside this module. When the code runs
 * from TypeScript sources (vitest, which transforms imports in the main thread only), a worker thread could
 * not load worker.ts, so its import closure is transpiled once with the TypeScript compiler (a dev
 * dependency, present wherever sources are run) into node_modules/.cache/swaprep-workers/<hash>/, keyed by
 * the sources' content so an edit is picked up at the next start.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { projectRoot } from '../engine/project-root.js';

const here = fileURLToPath(import.meta.url);

/** Relative imports of a module that survive compilation (`import type` is erased, so skipped). */
function relativeImports(source: string): string[] {
  const out: string[] = [];
  const re = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (let m = re.exec(source); m; m = re.exec(source)) out.push(m[1]!);
  return out;
}

/** URL of the worker entry module `name` (e.g. 'worker') of gpu-pool. */
export async function workerScriptUrl(name = 'worker'): Promise<URL> {
  if (here.endsWith('.js')) return new URL(`./${name}.js`, import.meta.url);
  const root = projectRoot();
  const entry = join(dirname(here), `${name}.ts`);
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
  const hash = createHash('sha256');
  for (const [file, source] of [...files].sort(([a], [b]) => a.localeCompare(b))) hash.update(file).update('\0').update(source).update('\0');
  const outDir = join(root, 'node_modules', '.cache', 'swaprep-workers', hash.digest('hex').slice(0, 16));
  const outEntry = join(outDir, relative(root, entry).replace(/\.ts$/, '.js'));
  if (!existsSync(outEntry)) {
    const ts = (await import('typescript')).default;
    const staging = `${outDir}.tmp-${process.pid}-${Date.now()}`;
    for (const [file, source] of files) {
      const js = ts.transpileModule(source, {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, sourceMap: false, verbatimModuleSyntax: false },
      }).outputText;
      const target = join(staging, relative(root, file).replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, js);
    }
    // Outside the project's package scope (node_modules), .js would be CommonJS without this.
    writeFileSync(join(staging, 'package.json'), '{"type":"module"}\n');
    try {
      renameSync(staging, outDir);
    } catch (err) {
      // Another process (a parallel test file) got there first with the same content.
      if (!existsSync(outEntry)) throw err;
    }
  }
  return pathToFileURL(outEntry);
}
