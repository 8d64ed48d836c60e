/**
 * The regulatory rulebook: stateless validation of one event against a regime (formats, code lists,
 * required and conditional fields) and the pure lifecycle rules applied with a trade's state.
 *
 *   const book = compileRulebook({ regime: 'cftc-part45', leiCheck: 'error' });   // once
 *   const findings = book.validate(report);                                        // per event
 *   const status = statusOf(findings);
 */
import type { EventStatus, Finding } from './types.js';

export type { EventStatus, Finding, Regime, Severity, SwapReport } from './types.js';
export { REGIMES } from './types.js';
export { compileRulebook, type Rulebook, type RulebookOptions } from './compile.js';
export { applyLifecycle, NO_HISTORY, type LifecycleFacts, type LifecycleRef, type LifecycleResult, type LifecycleStatus, type TradeState, type TradeVersion } from './lifecycle.js';
export { RULES, type RuleInfo } from './catalog.js';

/** Any error rejects the event; warnings alone still accept it. */
export function statusOf(findings: readonly Finding[]): EventStatus {
  let warnings = false;
  for (let i = 0; i < findings.length; i++) {
    if (findings[i]!.severity === 'error') return 'rejected';
    warnings = true;
  }
  return warnings ? 'accepted_with_warnings' : 'accepted';
}
