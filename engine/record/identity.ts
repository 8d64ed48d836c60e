// The key a trade's lifecycle is tracked under.
import type { SwapReport } from '../../proto/gen/swap_report.js';

/**
 * The UTI when the record has one, else "USI:" + the USI (the prefix keeps the two namespaces apart; a valid UTI
 * is alphanumeric, so it can never start with "USI:"), else undefined (such a record cannot join a lifecycle).
 * An empty string counts as absent: it cannot identify anything.
 */
export function tradeKeyOf(report: Pick<SwapReport, 'uniqueTransactionIdentifier' | 'uniqueSwapIdentifier'>): string | undefined {
  const uti = report.uniqueTransactionIdentifier;
  if (uti !== undefined && uti !== '') return uti;
  const usi = report.uniqueSwapIdentifier;
  if (usi !== undefined && usi !== '') return `USI:${usi}`;
  return undefined;
}
