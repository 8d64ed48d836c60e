/**
 * The search for the highest rate an engine sustains: short probes at stepped rates find the region, a long
 * run at the best probe confirms it, and the confirmation steps down while it fails. Pure logic around an
 * injected `probe` (the benchmark's open-loop run), so the decisions are unit-tested without an engine.
 *
 * "Sustained" means: every event sent was acknowledged, the driver never gave up on a growing backlog, no
 * connection failed, and the p99 ack latency (open loop, measured from each event's scheduled send time)
 * stayed within the bound.
 */

/** What a probe reports: the fields of loadtest/open-loop.ts's OpenLoopResult that decide. */
export interface ProbeOutcome {
  sent: number;
  acked: number;
  errors: number;
  gaveUp: boolean;
  latencyMs: { p99: number };
}

export interface Verdict {
  ok: boolean;
  /** Why not, in words (empty when ok). */
  reason: string;
}

export function judgeProbe(r: ProbeOutcome, maxP99Ms: number): Verdict {
  const why: string[] = [];
  if (r.sent === 0) why.push('nothing was sent');
  if (r.gaveUp) why.push('backlog grew past the limit');
  if (r.errors > 0) why.push(`${r.errors} connection(s) failed`);
  if (r.acked < r.sent) why.push(`${r.sent - r.acked} of ${r.sent} events not acknowledged`);
  if (!(r.latencyMs.p99 <= maxP99Ms)) why.push(`p99 ${r.latencyMs.p99.toFixed(1)} ms > ${maxP99Ms} ms`);
  return { ok: why.length === 0, reason: why.join('; ') };
}

export interface SearchOptions {
  /** First probe rate (events/s). */
  startRate: number;
  /** Probes never go above this one, nor below minRate. */
  maxRate: number;
  minRate: number;
  /** Factor between probes while they pass (going up) or fail (going down from the start). */
  growth: number;
  /** Bisections between the last passing and the first failing probe. */
  refineSteps: number;
  /** Factor applied to the rate after a failed confirmation. */
  stepDown: number;
  /** Confirmations tried at most (the first at the best probe). */
  maxConfirmations: number;
  probeSeconds: number;
  confirmSeconds: number;
  maxP99Ms: number;
  /** Rates are rounded to a multiple of this (default 100). */
  granularity?: number;
}

export interface Attempt<R extends ProbeOutcome> {
  phase: 'probe' | 'confirm';
  rate: number;
  seconds: number;
  ok: boolean;
  reason: string;
  result: R;
}

export interface SearchResult<R extends ProbeOutcome> {
  /** The confirmed rate, or undefined when no confirmation passed (or no probe passed at minRate). */
  sustainedRate: number | undefined;
  /** The passing confirmation (its latency and CPU are the figures at the sustained rate). */
  confirmed: Attempt<R> | undefined;
  attempts: Attempt<R>[];
}

export type Probe<R extends ProbeOutcome> = (rate: number, seconds: number, phase: 'probe' | 'confirm') => Promise<R>;

/** `onAttempt` hears of each attempt as it ends (for progress lines). */
export async function findSustainedRate<R extends ProbeOutcome>(o: SearchOptions, probe: Probe<R>, onAttempt: (a: Attempt<R>) => void = () => {}): Promise<SearchResult<R>> {
  const g = o.granularity ?? 100;
  const round = (x: number) => Math.max(g, Math.round(x / g) * g);
  const attempts: Attempt<R>[] = [];
  const attempt = async (phase: 'probe' | 'confirm', rate: number) => {
    const seconds = phase === 'probe' ? o.probeSeconds : o.confirmSeconds;
    const result = await probe(rate, seconds, phase);
    const a: Attempt<R> = { phase, rate, seconds, ...judgeProbe(result, o.maxP99Ms), result };
    attempts.push(a);
    onAttempt(a);
    return a;
  };

  // 1. Step up from the start while probes pass (or down while they fail).
  let lastOk: number | undefined;
  let firstFail: number | undefined;
  let rate = round(Math.min(o.maxRate, Math.max(o.minRate, o.startRate)));
  for (;;) {
    const a = await attempt('probe', rate);
    if (a.ok) {
      lastOk = rate;
      if (firstFail !== undefined || rate >= o.maxRate) break;
      rate = round(Math.min(o.maxRate, rate * o.growth));
    } else {
      firstFail = rate;
      if (lastOk !== undefined) break;
      const lower = round(rate / o.growth);
      if (lower < o.minRate || lower >= rate) break;
      rate = lower;
    }
  }
  if (lastOk === undefined) return { sustainedRate: undefined, confirmed: undefined, attempts };

  // 2. Bisect between the last passing and the first failing probe.
  for (let i = 0; i < o.refineSteps && firstFail !== undefined; i++) {
    const mid = round((lastOk + firstFail) / 2);
    if (mid <= lastOk || mid >= firstFail) break;
    if ((await attempt('probe', mid)).ok) lastOk = mid;
    else firstFail = mid;
  }

  // 3. Confirm at the best probe for the long duration; step down while it fails.
  rate = lastOk;
  for (let i = 0; i < o.maxConfirmations && rate >= o.minRate; i++) {
    const a = await attempt('confirm', rate);
    if (a.ok) return { sustainedRate: rate, confirmed: a, attempts };
    const lower = round(rate * o.stepDown);
    if (lower >= rate) break;
    rate = lower;
  }
  return { sustainedRate: undefined, confirmed: undefined, attempts };
}
