/**
 * `swaprep conformance`: swaprep's rulebook against DRR 6.10's own validation counts, sample by sample,
 * written as docs/conformance.md.
 *
 *   swaprep conformance [--corpus DIR] [--packs DIR] [--out FILE] [--check]
 *
 * --corpus holds the expected outputs (`cftc-part45/<pack>/<sample>.json`, `cftc-part43/...`), --packs the
 * test-pack files (`test-pack-report-cftc-part4x-<pack>.json`, default DIR/test-packs when it exists, else the
 * copies in test/fixtures/drr-conformance/test-packs). Exit status: 0 every difference explained (and, with
 * --check, FILE up to date), 1 an unexplained difference or a stale FILE, 2 bad usage or unreadable input.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../project-root.js';
import { parseJsonLossless, reportFromJson } from '../record/json.js';
import { compareSample, type ConformancePart } from '../rules/conformance.js';
import { renderConformance, type PartRows } from '../rules/conformance-markdown.js';
import { compileRulebook } from '../rules/index.js';
import { asRec } from '../rules/types.js';

const USAGE = `usage: swaprep conformance [--corpus DIR] [--packs DIR] [--out FILE] [--check]

Compares swaprep's findings with the validation-failure count DRR 6.10's test packs assert for each sample,
and explains every difference (engine/rules/conformance-notes.ts). Writes Markdown to FILE (default stdout).

  --corpus DIR   expected outputs, DIR/cftc-part45/... and DIR/cftc-part43/... (default test/fixtures/drr-6.10)
  --packs DIR    test-pack JSON files (default DIR/test-packs, else test/fixtures/drr-conformance/test-packs)
  --out FILE     write the Markdown there (docs/conformance.md)
  --check        do not write: exit 1 when FILE differs from a fresh rendering
  -h, --help     this text

Exit status: 0 all differences explained, 1 an unexplained difference (or, with --check, a stale FILE), 2 bad usage.
`;

export const PARTS: readonly ConformancePart[] = ['cftc-part45', 'cftc-part43'];

/** A named failure with an exit-status meaning, so `run` can tell usage/input errors from findings. */
export class ConformanceInputError extends Error {
  readonly code = 'CONFORMANCE_INPUT';
}

interface PackSample {
  outputPath: string;
  assertions: { modelValidationFailures: number };
}

/** `regulatory-reporting/output/cftc-part45/fx/FX-Forward-ex01.json` -> `cftc-part45/fx/FX-Forward-ex01.json`. */
function corpusPath(outputPath: string): string {
  const i = outputPath.indexOf('cftc-part4');
  if (i < 0) throw new ConformanceInputError(`test-pack outputPath "${outputPath}" names no cftc-part43/45 folder`);
  return outputPath.slice(i);
}

function readPack(path: string): PackSample[] {
  const pack = JSON.parse(readFileSync(path, 'utf8')) as { samples?: PackSample[] };
  if (!Array.isArray(pack.samples)) throw new ConformanceInputError(`${path}: no "samples" array`);
  return pack.samples;
}

/** Every sample of one part, compared; rows sorted by sample path. */
export function comparePart(part: ConformancePart, corpus: string, packs: string): PartRows {
  const book = compileRulebook({ regime: part, leiCheck: 'off' });
  const files = readdirSync(packs).filter((f) => f.startsWith(`test-pack-report-${part}-`) && f.endsWith('.json')).sort();
  if (files.length === 0) throw new ConformanceInputError(`${packs}: no test-pack-report-${part}-*.json`);
  const rows = files.flatMap((f) =>
    readPack(join(packs, f)).map((s) => {
      const rel = corpusPath(s.outputPath);
      const decoded = reportFromJson(parseJsonLossless(readFileSync(join(corpus, rel), 'utf8')));
      if (!decoded.ok) throw new ConformanceInputError(`${rel}: does not decode: ${JSON.stringify(decoded.issues)}`);
      const findings = book.validate(decoded.report);
      return { sample: rel.slice(part.length + 1), comparison: compareSample(part, asRec(decoded.report), findings, s.assertions.modelValidationFailures) };
    }),
  );
  rows.sort((a, b) => (a.sample < b.sample ? -1 : a.sample > b.sample ? 1 : 0));
  return { part, rows };
}

export const DEFAULT_COMMAND = 'swaprep conformance --out docs/conformance.md';

export function buildConformance(corpus: string, packs: string, command = DEFAULT_COMMAND): { markdown: string; unexplained: number } {
  const parts = PARTS.map((p) => comparePart(p, corpus, packs));
  const unexplained = parts.reduce((s, p) => s + p.rows.filter((r) => r.comparison.unexplained !== 0).length, 0);
  return { markdown: `${renderConformance(parts, command)}\n`, unexplained };
}

export function defaultDirs(corpusArg?: string, packsArg?: string): { corpus: string; packs: string } {
  const root = projectRoot();
  const corpus = corpusArg ?? join(root, 'test', 'fixtures', 'drr-6.10');
  const own = join(corpus, 'test-packs');
  const packs = packsArg ?? (existsSync(own) ? own : join(root, 'test', 'fixtures', 'drr-conformance', 'test-packs'));
  return { corpus, packs };
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { corpus: { type: 'string' }, packs: { type: 'string' }, out: { type: 'string' }, check: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    }));
  } catch (err) {
    process.stderr.write(`swaprep conformance: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.check && values.out === undefined) {
    process.stderr.write(`swaprep conformance: --check needs --out FILE\n\n${USAGE}`);
    return 2;
  }
  const { corpus, packs } = defaultDirs(values.corpus, values.packs);
  let result;
  try {
    result = buildConformance(corpus, packs);
  } catch (err) {
    process.stderr.write(`swaprep conformance: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (values.out === undefined) process.stdout.write(result.markdown);
  else if (values.check) {
    const current = existsSync(values.out) ? readFileSync(values.out, 'utf8') : '';
    if (current !== result.markdown) {
      process.stderr.write(`swaprep conformance: ${values.out} is out of date; run \`${DEFAULT_COMMAND}\`\n`);
      return 1;
    }
  } else writeFileSync(values.out, result.markdown);
  const where = values.out === undefined ? '' : ` (${relative(process.cwd(), values.out) || values.out})`;
  process.stderr.write(`swaprep conformance: ${result.unexplained === 0 ? 'every difference explained' : `${result.unexplained} sample(s) with an unexplained difference`}${where}\n`);
  return result.unexplained === 0 ? 0 : 1;
}
