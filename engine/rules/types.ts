/**
 * Shared vocabulary of the rulebook: what a finding is, which regimes exist, and the plain-object view of
 * the canonical record that compiled checks read.
 */
import type { SwapReport } from '../../proto/gen/swap_report.js';

export type { SwapReport };

export type Regime = 'cftc-part45' | 'cftc-part43' | 'ktfc';
export const REGIMES: readonly Regime[] = ['cftc-part45', 'cftc-part43', 'ktfc'];

export type Severity = 'error' | 'warning';

/** One broken rule on one field of one event. `element` is the CFTC data element number (or TR label). */
export interface Finding {
  rule: string;
  element: string;
  path: string;
  severity: Severity;
  message: string;
}

export type EventStatus = 'accepted' | 'accepted_with_warnings' | 'rejected';

/**
 * The record as the compiled checks see it: a tree of plain objects whose property names are the corpus
 * JSON names. `SwapReport` has exactly that shape; reading it through string paths keeps the rule tables
 * independent of the generated interface's details (optional vs repeated, nested message types).
 */
export type Rec = { readonly [key: string]: unknown };

export function asRec(report: Partial<SwapReport>): Rec {
  return report as unknown as Rec;
}

/** Receives one failure from a check; the compiled rule turns it into a Finding. */
export type Fail = (path: string, message: string) => void;

/** Absent means undefined/null or an empty repeated field (the record's encoding of "not reported"). */
export function isPresent(v: unknown): boolean {
  return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
}

/** No quote, backslash or control character: the text is its own JSON string body. */
function isPlain(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92) return false;
  }
  return true;
}

/** Short, quoted rendering of an offending value for messages. */
export function show(v: unknown): string {
  let s: string;
  // Plain strings (the usual case) are quoted by hand: JSON.stringify costs more than the rest of a finding.
  if (typeof v === 'string') s = v.length <= 80 && isPlain(v) ? '"' + v + '"' : JSON.stringify(v);
  else if (v === undefined) s = 'nothing';
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
