/**
 * What the generator plants, so that a test (or the scoring evaluation) can check what the engine caught.
 * Anomalies are valid records with an unusual value (the kinds of the scoring issue); defects make a record
 * invalid (the rulebook must reject it), each naming the field at fault.
 */
export const ANOMALY_KINDS = ['rate-100x', 'notional-1000x', 'stale-reporting', 'changed-counterparty', 'off-market-price'] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export const DEFECT_KINDS = ['missing-required', 'bad-lei-check', 'bad-currency', 'bad-date', 'negative-notional', 'bad-action-event', 'uti-too-long', 'event-before-execution'] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];

export interface AnomalyLabel {
  kind: AnomalyKind;
  /** The JSON path of the planted value. */
  path: string;
  /** What a normal record would have held there, as text. */
  expected: string;
}

export interface DefectLabel {
  kind: DefectKind;
  path: string;
}
