import { SwapReport } from '../../proto/gen/swap_report.js';

/** A small valid-shaped report for protocol tests (the rulebook tests use the corpus records). */
export function makeReport(n: number, opts: { uti?: string; counterparty1?: string; actionType?: string } = {}): Uint8Array {
  return SwapReport.encode(
    SwapReport.fromPartial({
      counterparty1: opts.counterparty1 ?? `CP${String(n % 7).padStart(18, '0')}`,
      actionType: opts.actionType ?? 'NEWT',
      eventTimestamp: new Date(Date.UTC(2024, 3, 1, 12, 0, 0) + n * 1000).toISOString().replace('.000Z', 'Z'),
      uniqueTransactionIdentifier: opts.uti ?? `UTI${String(n).padStart(12, '0')}`,
    }),
  ).finish();
}

export function makeReports(from: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => makeReport(from + i));
}
