export type AlertSeverity = 'info' | 'warning' | 'critical';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

/** What a rule raises. Alerts with the same dedupKey are one alert while it is not resolved. */
export interface AlertCandidate {
  rule: string;
  dedupKey: string;
  severity: AlertSeverity;
  title: string;
  detail: Record<string, unknown>;
}

export interface AlertView {
  id: number;
  rule: string;
  dedupKey: string;
  severity: AlertSeverity;
  title: string;
  detail: Record<string, unknown>;
  status: AlertStatus;
  firstAt: string;
  lastAt: string;
  occurrences: number;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
}
