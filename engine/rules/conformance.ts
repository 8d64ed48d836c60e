/**
 * One DRR test-pack sample against swaprep's rulebook: swaprep's findings counted the way DRR counts
 * `modelValidationFailures`, and the conformance notes (conformance-notes.ts) that account for the difference.
 *
 * DRR counts one failure per broken condition and one per attribute that breaks its cardinality or type, so
 * swaprep's findings are counted in "units": a condition rule once however many fields it names, a REQ/FMT
 * rule once per field (repeating-group indexes folded: DRR reports one failure per attribute path).
 */
import { CONDITIONS } from './conditions.js';
import { CONFORMANCE_NOTES, type ConformanceNote } from './conformance-notes.js';
import type { Finding, Rec } from './types.js';

export type ConformancePart = 'cftc-part45' | 'cftc-part43';

/** One explained difference: `delta` is its share of swaprep's count minus DRR's. */
export interface Reason {
  readonly note: ConformanceNote;
  readonly delta: number;
  /** The swaprep unit or DRR check concerned, for the table. */
  readonly detail: string;
}

export interface SampleComparison {
  readonly drr: number;
  /** swaprep's findings as DRR-comparable units, sorted. */
  readonly units: readonly string[];
  readonly reasons: readonly Reason[];
  /** swaprep - DRR - sum(reason deltas): 0 when every difference is accounted for. */
  readonly unexplained: number;
}

/** Part 45 condition number -> the Part 43 row sharing its logic (P43 type has no row for the others). */
const P43_OF = new Map(CONDITIONS.filter((c) => c.sameAs !== undefined).map((c) => [c.sameAs!, c.n]));

/** swaprep's rule id for a Part 45 condition in this part; undefined when the part has no such rule. */
export function conditionRule(part: ConformancePart, p45: number): string | undefined {
  if (part === 'cftc-part45') return `P45-C${p45}`;
  const n = P43_OF.get(p45);
  return n === undefined ? undefined : `P43-C${n}`;
}

/** The counting unit of a finding (see the module comment). */
export function unitOf(f: Finding): string {
  if (/^(REQ|FMT|NA|FILE|PRICE)-/.test(f.rule)) return `${f.rule}:${f.path.replace(/\[\d+\]/g, '[]')}`;
  return f.rule;
}

export function compareSample(part: ConformancePart, record: Rec, findings: readonly Finding[], drr: number): SampleComparison {
  const units = [...new Set(findings.map(unitOf))].sort();
  const has = new Set(units);
  const reasons: Reason[] = [];
  for (const note of CONFORMANCE_NOTES) {
    if (note.kind === 'cftc-only') {
      for (const u of units) if (note.swaprepUnit(u, record)) reasons.push({ note, delta: 1, detail: u });
    } else if ('drrFailures' in note) {
      const n = note.drrFailures(record);
      if (n > 0) reasons.push({ note, delta: -n, detail: `${n} DRR failure${n === 1 ? '' : 's'}` });
    } else {
      const rule = conditionRule(part, note.condition);
      if (rule === undefined) continue; // DRR's Part 43 type has no such condition either
      if (note.applies !== undefined && !note.applies(record)) continue;
      const drrFails = note.drrFails(record);
      const ours = has.has(rule);
      if (drrFails !== ours) reasons.push({ note, delta: ours ? 1 : -1, detail: `${rule} ${ours ? 'fails' : 'passes'}, DRR's reading ${drrFails ? 'fails' : 'passes'}` });
    }
  }
  const explained = reasons.reduce((s, r) => s + r.delta, 0);
  return { drr, units, reasons, unexplained: units.length - drr - explained };
}
