/**
 * Pre-encoded Batch frames made from the synthetic flow, for open-loop drivers (swaprep loadtest, the
 * end-to-end benchmark): the generator's new trades are encoded once without their identifiers,
 * laid out in BatchTemplates (different mixes per frame), and each send only stamps seqs and UTI
 * counters (see batch-template.ts). Every event is then a NEWT of a new UTI of one of the flow's
 * reporting counterparties (whose Zipf activity is kept: counterparties appear in the flow's proportions),
 * valid unless `invalidRate` asks for a share of the generator's invalid records (which the engine rejects).
 *
 * Each cycle through the records also moves their event, execution and reporting timestamps on by the time
 * the records span, so that every source's timeline runs forward as the flow's own does (wrapping after a day,
 * before the moved executions could pass the records' effective dates): with the same timestamps in every
 * cycle, the scoring's source rates, which run on reporting time, saw each source go back in time every 2,000
 * records.
 */
import { SwapReport } from '../proto/gen/swap_report.js';
import { BatchTemplate, isoSeconds, type TimeSlot } from './batch-template.js';
import { FlowGenerator, type FlowConfig, type GeneratedEvent } from './generator.js';

export interface FlowFramesOptions {
  seed: number;
  /** Events per Batch frame. */
  batch: number;
  /** Distinct records to draw the frames from (default 2,000). */
  records?: number;
  /** Templates with different record orders (default: enough for every record to be sent, at least 4). */
  templates?: number;
  /** Added to every UTI counter, so runs into the same database do not reuse UTIs (default: from the clock). */
  counterOffset?: number;
  /** Share of the records made invalid by the generator's defects (0..1, default 0): the engine rejects them. */
  invalidRate?: number;
  flow?: Partial<FlowConfig>;
}

export interface FlowFrames {
  frame: (firstSeq: number, firstEvent: number) => Buffer;
  records: number;
  counterparties: number;
  /** The records the frames are made from, as generated (their own UTIs; the frames stamp new ones). */
  events: readonly GeneratedEvent[];
  /** How many of them are invalid. */
  invalid: number;
}

/** Fields the frames overwrite per send: a defect planted there would be stamped away. */
const STAMPED = new Set(['counterparty1', 'uniqueTransactionIdentifier', 'uniqueSwapIdentifier']);
/** Timestamps the frames move on each cycle (SwapReport field numbers = data element numbers). */
const MOVED_TIMES = [['eventTimestamp', 30], ['executionTimestamp', 96], ['reportingTimestamp', 97]] as const;
const DAY_MS = 86_400_000;

/** A `frame(firstSeq, firstEvent)` function for runOpenLoop, and what it was made from. */
export function flowFrames(o: FlowFramesOptions): FlowFrames {
  const gen = new FlowGenerator({ ...o.flow, seed: o.seed, invalidRate: o.invalidRate ?? 0, anomalyRate: 0 });
  const wanted = o.records ?? 2000;
  const bases: Uint8Array[] = [];
  const cps: string[] = [];
  const times: TimeSlot[][] = [];
  const events: GeneratedEvent[] = [];
  // Only NEWT records: the stamped UTIs are new trades, so lifecycle events would refer to unknown ones.
  // Invalid NEWTs stay (a bad event type included) unless their defect is in a stamped field.
  for (let guard = 0; bases.length < wanted && guard < wanted * 20; guard++) {
    const e = gen.next();
    if (e.actionType !== 'NEWT') continue;
    if (e.invalid ? STAMPED.has(e.invalid.path) : e.eventType !== 'TRAD') continue;
    events.push(e);
    cps.push(e.report.counterparty1!);
    // Timestamps in whole-second form are moved per cycle; any other text (a planted defect) stays as it is.
    const moved: TimeSlot[] = [];
    const base: SwapReport = { ...e.report, counterparty1: undefined, uniqueTransactionIdentifier: undefined, uniqueSwapIdentifier: undefined };
    for (const [name, field] of MOVED_TIMES) {
      const text = e.report[name];
      const ms = text === undefined ? NaN : Date.parse(text);
      if (text === undefined || !Number.isFinite(ms) || isoSeconds(ms) !== text) continue;
      moved.push({ field, ms });
      base[name] = undefined;
    }
    times.push(moved);
    bases.push(SwapReport.encode(base).finish());
  }
  // A template holds `batch` records: with fewer templates than records / batch, some records would never be sent.
  const count = o.templates ?? Math.max(4, Math.ceil(bases.length / o.batch));
  // Each template pairs base i with counterparty i (the flow's own pairing), rotated per template.
  const templates = Array.from({ length: count }, (_, k) => {
    const shift = Math.floor((k * bases.length) / count);
    return new BatchTemplate(rotate(bases, shift), o.batch, rotate(cps, shift), rotate(times, shift));
  });
  const offset = o.counterOffset ?? (Math.floor(Date.now() / 1000) % 1_000_000) * 100_000_000;
  // One cycle sends every template once; the next one's times follow on after the span of the records' reporting times.
  const reported = times.flatMap((slots) => slots.filter((t) => t.field === 97).map((t) => t.ms));
  const cycleMs = reported.length > 0 ? Math.max(...reported) - Math.min(...reported) + 1000 : 0;
  return {
    // The template and the times follow the source's own seqs, so that each source walks the records' timeline in
    // order, as one FEP's stream does (by the run's event number, each of two connections got every other template:
    // its rate on reporting time stopped and started); the UTI counters follow the run's event number, unique
    // across sources.
    frame: (firstSeq, firstEvent) => {
      const k = Math.max(0, Math.floor((firstSeq - 1) / o.batch));
      return templates[k % count]!.stamp(firstSeq, offset + firstEvent, (Math.floor(k / count) * cycleMs) % DAY_MS);
    },
    records: bases.length,
    counterparties: new Set(cps).size,
    events,
    invalid: events.filter((e) => e.invalid).length,
  };
}

function rotate<T>(items: readonly T[], by: number): T[] {
  return [...items.slice(by), ...items.slice(0, by)];
}
