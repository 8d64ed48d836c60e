/** Row shapes of the tables the console lists, and their contract forms. */
import type { AlertItem, AuditItem, CorrectionItem, ExceptionItem, ReviewItem, SubmissionItem, TopFeature } from '../../api/contract.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export const SUBMISSION_COLUMNS = `id, regime, repository, source_id, seq, trade_key, counterparty1, action_type, format, status, attempts, created_at,
  sent_at, settled_at, due_at, deadline_state, last_error, correction_id`;
export interface RawSubmission {
  id: string; regime: SubmissionItem['regime']; repository: string; source_id: string; seq: string; trade_key: string | null; counterparty1: string | null;
  action_type: string | null; format: 'json' | 'csv'; status: SubmissionItem['status']; attempts: number; created_at: Date; sent_at: Date | null;
  settled_at: Date | null; due_at: Date; deadline_state: SubmissionItem['deadlineState']; last_error: string | null; correction_id: string | null;
}
export function toSubmissionItem(r: RawSubmission): SubmissionItem {
  return {
    id: r.id, regime: r.regime, repository: r.repository, sourceId: r.source_id, seq: Number(r.seq), tradeKey: r.trade_key, counterparty1: r.counterparty1,
    actionType: r.action_type, format: r.format, status: r.status, attempts: r.attempts, createdAt: r.created_at.toISOString(), sentAt: iso(r.sent_at),
    settledAt: iso(r.settled_at), dueAt: r.due_at.toISOString(), deadlineState: r.deadline_state, lastError: r.last_error,
    correctionId: r.correction_id === null ? null : Number(r.correction_id),
  };
}

export const EXCEPTION_COLUMNS = `id, kind, status, regime, repository, submission_id, source_id, seq, trade_key, counterparty1, action_type, codes, assignee,
  opened_at, closed_at, closed_reason`;
export interface RawException {
  id: string; kind: ExceptionItem['kind']; status: ExceptionItem['status']; regime: string | null; repository: string | null; submission_id: string | null;
  source_id: string | null; seq: string | null; trade_key: string | null; counterparty1: string | null; action_type: string | null; codes: unknown[];
  assignee: string | null; opened_at: Date; closed_at: Date | null; closed_reason: string | null;
}
export function toExceptionItem(r: RawException): ExceptionItem {
  return {
    id: Number(r.id), kind: r.kind, status: r.status, regime: r.regime, repository: r.repository, submissionId: r.submission_id, sourceId: r.source_id,
    seq: r.seq === null ? null : Number(r.seq), tradeKey: r.trade_key, counterparty1: r.counterparty1, actionType: r.action_type, codes: r.codes,
    assignee: r.assignee, openedAt: r.opened_at.toISOString(), closedAt: iso(r.closed_at), closedReason: r.closed_reason,
  };
}

export const CORRECTION_COLUMNS = 'id, exception_id, action_type, status, maker, checker, reason, trade_key, created_at, decided_at, submission_id';
export interface RawCorrection {
  id: string; exception_id: string; action_type: CorrectionItem['actionType']; status: CorrectionItem['status']; maker: string; checker: string | null;
  reason: string | null; trade_key: string | null; created_at: Date; decided_at: Date | null; submission_id: string | null;
}
export function toCorrectionItem(r: RawCorrection): CorrectionItem {
  return {
    id: Number(r.id), exceptionId: Number(r.exception_id), actionType: r.action_type, status: r.status, maker: r.maker, checker: r.checker, reason: r.reason,
    tradeKey: r.trade_key, createdAt: r.created_at.toISOString(), decidedAt: iso(r.decided_at), submissionId: r.submission_id,
  };
}

export const REVIEW_COLUMNS = 'source_id, seq, trade_key, version_id, score, top_features, state, created_at, decided_at';
export interface RawReview {
  source_id: string; seq: string; trade_key: string | null; version_id: string; score: number; top_features: TopFeature[]; state: ReviewItem['state'];
  created_at: Date; decided_at: Date | null;
}
export function toReviewItem(r: RawReview): ReviewItem {
  return {
    sourceId: r.source_id, seq: Number(r.seq), tradeKey: r.trade_key, versionId: r.version_id, score: r.score, topFeatures: r.top_features, state: r.state,
    createdAt: r.created_at.toISOString(), decidedAt: iso(r.decided_at),
  };
}

export const ALERT_COLUMNS = 'id, rule, dedup_key, severity, title, detail, status, first_at, last_at, occurrences, acknowledged_by, acknowledged_at';
export interface RawAlert {
  id: string; rule: string; dedup_key: string; severity: AlertItem['severity']; title: string; detail: Record<string, unknown>; status: AlertItem['status'];
  first_at: Date; last_at: Date; occurrences: number; acknowledged_by: string | null; acknowledged_at: Date | null;
}
export function toAlertItem(r: RawAlert): AlertItem {
  return {
    id: Number(r.id), rule: r.rule, dedupKey: r.dedup_key, severity: r.severity, title: r.title, detail: r.detail, status: r.status,
    firstAt: r.first_at.toISOString(), lastAt: r.last_at.toISOString(), occurrences: r.occurrences, acknowledgedBy: r.acknowledged_by, acknowledgedAt: iso(r.acknowledged_at),
  };
}

export interface RawAudit { id: string; at: Date; actor: string; entity: string; entity_id: string; action: string; before: unknown; after: unknown }
export function toAuditItem(r: RawAudit): AuditItem {
  return { id: Number(r.id), at: r.at.toISOString(), actor: r.actor, entity: r.entity, entityId: r.entity_id, action: r.action, before: r.before, after: r.after };
}
