import { applyLifecycle, compileRulebook, statusOf, type Finding, type LifecycleFacts, type RulebookOptions } from './rules/index.js';
import { checkReport, undecodable } from './validation/check-report.js';
import type { Judge, RoutedEvent } from '../actors/routed-event.js';
import type { TradeStates } from '../actors/trade-table.js';

/**
 * Decides what becomes of one event, inside its counterparty actor: the stateless rulebook (formats,
 * code lists, required and conditional fields of the configured regime) and the lifecycle rules with
 * the trade's state. The event gets its status and findings; when accepted it makes the trade's next
 * version. A rejected event never changes the trade's state.
 *
 * The stateless half usually ran already, on a validation thread (engine/validation/), and left its findings on the
 * event, so the report is not decoded on this thread at all; without a validation thread the judge checks it here.
 */
export function createJudge(options: RulebookOptions): Judge {
  // Compiled once: the tables become closures, no per-record interpretation.
  const rulebook = compileRulebook(options);
  // Refilled for each event: applyLifecycle keeps nothing of it but the strings it reads.
  const facts: { -readonly [K in keyof LifecycleFacts]: LifecycleFacts[K] } = {};
  return (trades: TradeStates, event: RoutedEvent): void => {
    const stateless = event.stateless ?? checkReport(rulebook, event.report);
    if (undecodable(stateless)) {
      reject(event, stateless);
      return;
    }
    // The lifecycle rules read the fields the frame scan took off the wire. The scan's trade key stands in for both
    // identifiers: tradeKeyOf gives it back unchanged (a UTI as it is, a USI already prefixed). eventType only goes
    // into a kept history, which the engine does not keep.
    facts.uniqueTransactionIdentifier = event.tradeKey;
    facts.actionType = event.actionType;
    facts.counterparty1 = event.counterparty1;
    facts.eventTimestamp = event.eventTimestamp;
    facts.executionTimestamp = event.executionTimestamp;
    const before = event.tradeKey === undefined ? undefined : trades.get(event.tradeKey);
    const lifecycle = applyLifecycle(before, facts, { sourceId: event.sourceId, seq: event.seq }, { keepHistory: false });
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

function reject(event: RoutedEvent, findings: readonly Finding[]): void {
  event.status = 'rejected';
  event.findings = findings;
  event.version = undefined;
  event.lifecycle = undefined;
}
