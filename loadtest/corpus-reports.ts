import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { SwapReport } from '../proto/gen/swap_report.js';
import { REPORT_FIELD } from '../engine/ingest/frame-scan.js';
import { loadJsonRecords } from '../engine/ingest/files/load-json-records.js';

/** Every `*.json` record under `dir` (recursively), decoded into the canonical record. */
export function loadCorpus(dir: string): SwapReport[] {
  return loadJsonRecords(dir);
}

/** Corpus records encoded without their identifiers, as bases for generated events. */
export function identifierFreeBases(records: readonly SwapReport[]): Uint8Array[] {
  return records.map((r) =>
    SwapReport.encode({ ...r, counterparty1: undefined, uniqueTransactionIdentifier: undefined, uniqueSwapIdentifier: undefined, actionType: 'NEWT' }).finish(),
  );
}

/** `n` LEI-shaped 20-character counterparty ids. */
export function counterpartyIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `5493${String(i).padStart(14, '0')}00`);
}

/**
 * Makes a stream of distinct events from a handful of corpus records without re-encoding each one:
 * every record is encoded once without its identifiers, and each event appends its own counterparty 1
 * and UTI (protobuf lets fields come in any order, so the appended ones are simply the record's).
 * Event n is trade n (a NEWT of a new UTI) of one of `counterparties` reporting counterparties.
 */
export function corpusEventSource(records: readonly SwapReport[], counterparties = 200, runTag = Date.now().toString(36).toUpperCase()) {
  const bases = identifierFreeBases(records);
  const cps = counterpartyIds(counterparties);
  return (n: number): Uint8Array => {
    const base = bases[n % bases.length]!;
    const tail = new BinaryWriter()
      .uint32((REPORT_FIELD.counterparty1 << 3) | 2).string(cps[n % cps.length]!)
      .uint32((REPORT_FIELD.uniqueTransactionIdentifier << 3) | 2).string(`${cps[n % cps.length]!}${runTag}${n.toString(36).toUpperCase()}`)
      .finish();
    const out = new Uint8Array(base.length + tail.length);
    out.set(base, 0);
    out.set(tail, base.length);
    return out;
  };
}
