/**
 * Pre-encoded Batch frames made from the synthetic flow, for open-loop drivers (swaprep loadtest, the
 * end-to-end benchmark): the generator's valid new trades are encoded once without their identifiers,
 * laid out in a few BatchTemplates (different mixes per frame), and each send only stamps seqs and UTI
 * counters (see batch-template.ts). Every event is then a NEWT of a new UTI of one of the flow's
 * reporting counterparties (whose Zipf activity is kept: counterparties appear in the flow's proportions).
 */
import { SwapReport } from '../proto/gen/swap_report.js';
import { BatchTemplate } from './batch-template.js';
import { FlowGenerator, type FlowConfig } from './generator.js';

export interface FlowFramesOptions {
  seed: number;
  /** Events per Batch frame. */
  batch: number;
  /** Distinct records to draw the frames from (default 2,000). */
  records?: number;
  /** Templates with different record orders (default 4). */
  templates?: number;
  /** Added to every UTI counter, so runs into the same database do not reuse UTIs (default: from the clock). */
  counterOffset?: number;
  flow?: Partial<FlowConfig>;
}

/** A `frame(firstSeq, firstEvent)` function for runOpenLoop, and what it was made from. */
export function flowFrames(o: FlowFramesOptions): { frame: (firstSeq: number, firstEvent: number) => Buffer; records: number; counterparties: number } {
  const gen = new FlowGenerator({ ...o.flow, seed: o.seed, invalidRate: 0, anomalyRate: 0 });
  const wanted = o.records ?? 2000;
  const bases: Uint8Array[] = [];
  const cps: string[] = [];
  // Only valid NEWT records: the stamped UTIs are new trades, so lifecycle events would refer to unknown ones.
  for (let guard = 0; bases.length < wanted && guard < wanted * 20; guard++) {
    const e = gen.next();
    if (e.actionType !== 'NEWT' || e.eventType !== 'TRAD') continue;
    cps.push(e.report.counterparty1!);
    bases.push(SwapReport.encode({ ...e.report, counterparty1: undefined, uniqueTransactionIdentifier: undefined, uniqueSwapIdentifier: undefined }).finish());
  }
  const count = o.templates ?? 4;
  // Each template pairs base i with counterparty i (the flow's own pairing), rotated per template.
  const templates = Array.from({ length: count }, (_, k) => {
    const shift = Math.floor((k * bases.length) / count);
    return new BatchTemplate(rotate(bases, shift), o.batch, rotate(cps, shift));
  });
  const offset = o.counterOffset ?? (Math.floor(Date.now() / 1000) % 1_000_000) * 100_000_000;
  return {
    frame: (firstSeq, firstEvent) => templates[Math.floor(firstEvent / o.batch) % count]!.stamp(firstSeq, offset + firstEvent),
    records: bases.length,
    counterparties: new Set(cps).size,
  };
}

function rotate<T>(items: readonly T[], by: number): T[] {
  return [...items.slice(by), ...items.slice(0, by)];
}
