/**
 * Which kind of message an event is, and what the valuation and collateral messages require.
 *
 * The Technical Specification validates three message types separately: transaction (creation and
 * continuation data), valuation (action type VALU) and collateral (MARU). The conditions of
 * cftc-conditions.md are the "Transaction" rules (DRR's validationRule "Transaction"): they do not apply to
 * a VALU or MARU message, which carries its own data elements (DE 109-113, DE 114-128) instead of the
 * creation data. Applying them anyway would reject every well-formed valuation or margin report.
 * DRR 6.10 models neither message (the corpus has none), so the required lists below come from the
 * Technical Specification's valuation and collateral data elements.
 */
export type MessageKind = 'transaction' | 'valuation' | 'collateral';

/** Numeric codes used by the generated checks (facts.messageKind). */
export const MESSAGE_KIND: Readonly<Record<MessageKind, number>> = { transaction: 0, valuation: 1, collateral: 2 };

export function messageKindOf(actionType: unknown): number {
  return actionType === 'VALU' ? MESSAGE_KIND.valuation : actionType === 'MARU' ? MESSAGE_KIND.collateral : MESSAGE_KIND.transaction;
}

/** Fields a valuation message (VALU) must carry, besides its UTI/USI (P45-C84/C85 apply to it). */
export const VALUATION_REQUIRED: readonly string[] = [
  'counterparty1', 'reportSubmittingEntityID', 'valuationAmount', 'valuationCurrency', 'valuationMethod', 'valuationTimestamp',
];

/** Fields a collateral message (MARU) must carry; it is portfolio-level, so no UTI. */
export const COLLATERAL_REQUIRED: readonly string[] = [
  'counterparty1', 'reportSubmittingEntityID', 'affiliatedCounterpartyForMarginAndCapitalIndicator', 'collateralisationCategory',
  'initialMarginCollateralPortfolioCode', 'variationMarginCollateralPortfolioCode',
];
