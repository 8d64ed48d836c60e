/**
 * Which data elements each regime's submission carries, derived from the rulebook's element table
 * (engine/rules/elements.ts, which mirrors shared/spec/cftc-data-elements.tsv in Technical Specification order).
 *
 * Never submitted under any regime: the non-reportable helpers (NR: `nonReportable`, the `*Format` fields)
 * and the DRR attributes that are not CFTC elements (X: "strip or ignore" in the TSV; stripped here).
 */
import { ELEMENTS, type DataElement } from '../rules/elements.js';
import type { ReportRegime } from './types.js';

/**
 * Part 43: the reporting counterparty reports the swap transaction and pricing data in full to its SDR (§ 43.3(a));
 * the SDR anonymises what it disseminates (§ 43.4(d)). The submission therefore carries every element of the
 * TSV's part43_applicable column, identities included (DE 13/14/15/22, DE 61/62, as DRR's Part 43 report does),
 * and these are the elements the SDR withholds from the public tape (public-record.ts), with the transaction
 * identifiers (DE 102 USI, DE 103 UTI: a UTI begins with its generating entity's LEI, which would identify a party).
 */
export const PART43_IDENTITY_ELEMENTS: ReadonlySet<number> = new Set([13, 14, 15, 22, 61, 62]);
export const PART43_WITHHELD_ELEMENTS: ReadonlySet<number> = new Set([...PART43_IDENTITY_ELEMENTS, 102, 103]);

/**
 * KTFC: the CFTC-only elements that engine/rules/regimes/ktfc.md (assumption 1) says the KTFC report
 * ignores. KTFC_PROFILE in ktfc.ts lists required fields only, not the carried set, hence this table;
 * the trade-repository guidebook (TR) fields are CFTC-only as well.
 */
export const KTFC_EXCLUDED_ELEMENTS: ReadonlySet<number> = new Set([5, 6, 7, 8, 9, 10, 11, 12, 16, 17, 23, 24, 92, 99, 100, 102, 104, 105]);

/** Elements a regime's submission carries, in Technical Specification order. */
export function elementsOf(regime: ReportRegime): DataElement[] {
  return ELEMENTS.filter((e) => {
    if (e.de === 'X' || e.de === 'NR') return false;
    if (regime === 'cftc-part45') return true;
    if (regime === 'cftc-part43') return e.p43 !== 'no';
    return typeof e.de === 'number' && !KTFC_EXCLUDED_ELEMENTS.has(e.de);
  });
}

/** A table path ("otherPayment[].amount") as a property path ("otherPayment.amount"). */
export function propPath(tablePath: string): string {
  return tablePath.replace(/\[\]/g, '');
}

/** Property paths a regime keeps (a kept message path keeps everything under it). */
export function keptPaths(regime: ReportRegime): Set<string> {
  const out = new Set<string>();
  for (const e of elementsOf(regime)) for (const p of e.paths) out.add(propPath(p));
  return out;
}

/** Property paths of the public Part 43 record an SDR disseminates: the Part 43 elements less the withheld ones. */
export function publicPaths(): Set<string> {
  const out = new Set<string>();
  for (const e of elementsOf('cftc-part43')) {
    if (typeof e.de === 'number' && PART43_WITHHELD_ELEMENTS.has(e.de)) continue;
    for (const p of e.paths) out.add(propPath(p));
  }
  return out;
}
