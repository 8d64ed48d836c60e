import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SwapReport } from '../../proto/gen/swap_report.js';
import { parseJsonLossless, reportFromJson } from '../../engine/record/json.js';

export const CORPUS_DIR = fileURLToPath(new URL('../fixtures/drr-6.10/', import.meta.url));

export function corpusFiles(sub: 'cftc-part45' | 'cftc-part43'): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : []))
      .sort();
  return walk(join(CORPUS_DIR, sub));
}

/** Decodes one corpus file (throws on decode issues: the corpus decodes cleanly, see record-corpus.test.ts). */
export function loadCorpusReport(path: string): SwapReport {
  const res = reportFromJson(parseJsonLossless(readFileSync(path, 'utf8')));
  if (!res.ok) throw new Error(`${path}: ${JSON.stringify(res.issues)}`);
  return res.report;
}
