/**
 * Pure helpers of `npm run bench:delivery` (bench/delivery.bench.ts): medians and ratios, when a set of processes
 * is quiet, the soak's backlog and its slope, the goals' verdicts, the NACK-code tally over sdr-sim's answers and
 * the printed table. No I/O here: test/unit/bench-delivery.test.ts covers them.
 */
import { median } from './results.js';

export { median };

/** a / b rounded to `digits`; undefined when either is missing or b is not a positive number. */
export function ratio(a: number | undefined, b: number | undefined, digits = 3): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return undefined;
  return round(a / b, digits);
}

export function round(x: number, digits = 0): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

/** The median of the defined, finite values; undefined when there are none. */
export function medianDefined(values: readonly (number | undefined)[]): number | undefined {
  const ok = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return ok.length === 0 ? undefined : median(ok);
}

/** µs of CPU per event from CPU seconds. */
export function usPerEvent(cpuSeconds: number, events: number, digits = 2): number {
  return events > 0 ? round((cpuSeconds * 1e6) / events, digits) : Number.NaN;
}

// ------------------------------------------------------------------------------------------------ quiet

/** A running total of CPU seconds (of the processes watched) at a moment (ms, any monotonic clock). */
export interface CpuSample {
  tMs: number;
  cpuS: number;
}

/**
 * Whether the watched processes have gone quiet: over the last `windowMs` (from the newest sample back to the
 * newest sample at least `windowMs` older) they used less than `maxCores` on average. Returns the index of that
 * older sample (the moment the quiet stretch began, where the CPU count should stop: what follows is idle
 * time), or undefined while they are busy or the samples do not yet span the window.
 */
export function quietSince(samples: readonly CpuSample[], maxCores: number, windowMs: number): number | undefined {
  if (samples.length < 2) return undefined;
  const last = samples[samples.length - 1]!;
  for (let i = samples.length - 2; i >= 0; i--) {
    const s = samples[i]!;
    if (last.tMs - s.tMs >= windowMs) {
      const cores = (last.cpuS - s.cpuS) / ((last.tMs - s.tMs) / 1000);
      return cores < maxCores ? i : undefined;
    }
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------ settling and the soak

/** Whether sdr-sim has answered every owed submission (ACK or NACK: both settle it). */
export function allAnswered(stats: { acked: number; nacked: number }, expected: number): boolean {
  return stats.acked + stats.nacked >= expected;
}

/** The soak's backlog: events acknowledged to the client less the events whose submissions are answered. */
export function backlogEvents(ackedEvents: number, answeredSubmissions: number, owedPerEvent: number): number {
  return ackedEvents - answeredSubmissions / (owedPerEvent > 0 ? owedPerEvent : 2);
}

/** Least-squares slope of y over x (0 with fewer than 2 points or no spread in x). */
export function slopeOf(points: readonly (readonly [number, number])[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The samples of the second half of a run of `seconds` (its steady state). */
export function secondHalf<T extends { t: number }>(samples: readonly T[], seconds: number): T[] {
  return samples.filter((s) => s.t >= seconds / 2);
}

/** At most `max` samples, evenly spaced, the last always kept (for results.json; the slope uses them all). */
export function thin<T>(samples: readonly T[], max: number): T[] {
  if (samples.length <= max) return [...samples];
  const step = Math.ceil(samples.length / max);
  const out = samples.filter((_, i) => i % step === 0);
  if (out[out.length - 1] !== samples[samples.length - 1]) out.push(samples[samples.length - 1]!);
  return out;
}

// ------------------------------------------------------------------------------------------------ goals

export const GOALS = { settledToSpineAcks: 0.6, cpuServeToSpine: 2.5 } as const;

export type Verdict = 'met' | 'not met' | 'not measured';

export function atLeast(value: number | undefined, goal: number): Verdict {
  return value === undefined ? 'not measured' : value >= goal ? 'met' : 'not met';
}

export function atMost(value: number | undefined, goal: number): Verdict {
  return value === undefined ? 'not measured' : value <= goal ? 'met' : 'not met';
}

// ------------------------------------------------------------------------------------------------ NACK codes

/**
 * Counts what sdr-sim answers, from the bytes of its HTTP responses as they pass (delivery-tap.ts): NACK results
 * (`"status":"NACK"`) and each error code (`"code":"SEQ-001"`, a NACK carries 1 to 20), resends included. A match
 * split over two chunks is found once: the text after the last match is carried into the next chunk, at most
 * one pattern's length of it.
 */
export class AnswerTally {
  nacks = 0;
  acks = 0;
  readonly codes: Record<string, number> = {};
  private carry = '';
  private static readonly PATTERN = /"(?:code":"([A-Z]{3}-\d{3})"|status":"(ACK|NACK)")/g;
  private static readonly KEEP = 24;

  push(chunk: Buffer | string): void {
    const text = this.carry + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    let lastEnd = 0;
    AnswerTally.PATTERN.lastIndex = 0;
    for (let m = AnswerTally.PATTERN.exec(text); m !== null; m = AnswerTally.PATTERN.exec(text)) {
      if (m[1] !== undefined) this.codes[m[1]] = (this.codes[m[1]] ?? 0) + 1;
      else if (m[2] === 'NACK') this.nacks++;
      else this.acks++;
      lastEnd = m.index + m[0].length;
    }
    this.carry = text.slice(Math.max(lastEnd, text.length - AnswerTally.KEEP));
  }
}

/** Codes as "SEQ-001 12, COR-002 3" (most first), or "none". */
export function formatCodes(codes: Readonly<Record<string, number>>): string {
  const e = Object.entries(codes).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return e.length === 0 ? 'none' : e.map(([c, n]) => `${c} ${n}`).join(', ');
}

/** Sums tallies of several runs code by code. */
export function addCodes(all: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const codes of all) for (const [c, n] of Object.entries(codes)) out[c] = (out[c] ?? 0) + n;
  return out;
}

// ------------------------------------------------------------------------------------------------ the table

/** Numbers with thousands separators (at most `digits` decimals); anything else as it is; missing as "-". */
export function cell(v: number | string | undefined, digits = 2): string {
  if (v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return '-';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** A left-aligned first column, the others right-aligned, columns two spaces apart. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
