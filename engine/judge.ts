import type { SwapReport } from '../proto/gen/swap_report.js';
import { decodeReport } from './record/decode-report.js';
import { applyLifecycle, compileRulebook, statusOf, type Finding, type RulebookOptions } from './rules/index.js';
import type { Judge, RoutedEvent } from '../actors/routed-event.js';
import type { TradeStates } from '../actors/trade-table.js';

/**
 * Decides what becomes of one event, inside its counterparty actor: the stateless rulebook (formats,
 * code lists, required and conditional fields of the configured regime) and the lifecycle rules with
 * the trade's state. The event gets its status and findings; when accepted it makes the trade's next
 * version. A rejected event never changes the trade's state.
 */
export function createJudge(options: RulebookOptions): Judge {
  // Compiled once: the tables become closures, no per-record interpretation.
  const rulebook = compileRulebook(options);
  return (trades: TradeStates, event: RoutedEvent): void => {
    let report: SwapReport;
    try {
      report = decodeReport(event.report);
    } catch (err) {
      reject(event, [{ rule: 'SCHEMA', element: '', path: '', severity: 'error', message: `the report is not a valid SwapReport: ${(err as Error).message}` }]);
      return;
    }
    const stateless = rulebook.validate(report);
    const before = event.tradeKey === undefined ? undefined : trades.get(event.tradeKey);
    const lifecycle = applyLifecycle(before, report, { sourceId: event.sourceId, seq: event.seq }, { keepHistory: false });
    const findings = stateless.length === 0 ? lifecycle.findings : lifecycle.findings.length === 0 ? stateless : stateless.concat(lifecycle.findings);
    const status = statusOf(findings);
    if (status === 'rejected' || !lifecycle.accepted || !lifecycle.state || event.tradeKey === undefined) {
      reject(event, findings);
      return;
    }
    // The trade's history lives in the event log (every version's row, with the event that made it); the
    // actor keeps only what judging the next event needs (no history), so a million live trades stay small for the GC.
    // Keyed by the state's own key string (equal to event.tradeKey), so the key and the state share one copy.
    trades.set(lifecycle.state.tradeKey, lifecycle.state);
    event.status = status;
    event.findings = findings;
    event.version = lifecycle.state.version;
    event.lifecycle = lifecycle.state.status;
  };
}

function reject(event: RoutedEvent, findings: Finding[]): void {
  event.status = 'rejected';
  event.findings = findings;
  event.version = undefined;
  event.lifecycle = undefined;
}
