/** The audit trail: who did what to which entity, when, with its state before and after. */
import type pg from 'pg';

type Db = pg.Pool | pg.ClientBase;

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  entity: string;
  entityId: string;
  action: string;
  before: unknown;
  after: unknown;
}

export async function audit(db: Db, actor: string, entity: string, entityId: string | number, action: string, before: unknown, after: unknown, nowMs: number): Promise<void> {
  await db.query(
    'INSERT INTO audit_log (actor, entity, entity_id, action, before, after, at) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::timestamptz)',
    [actor, entity, String(entityId), action, before === undefined ? null : JSON.stringify(before), after === undefined ? null : JSON.stringify(after), new Date(nowMs).toISOString()],
  );
}

export async function auditTrail(db: Db, entity: string, entityId: string | number): Promise<AuditEntry[]> {
  const { rows } = await db.query<{ id: string; at: Date; actor: string; entity: string; entity_id: string; action: string; before: unknown; after: unknown }>(
    'SELECT id, at, actor, entity, entity_id, action, before, after FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY id',
    [entity, String(entityId)],
  );
  return rows.map((r) => ({ id: Number(r.id), at: r.at.toISOString(), actor: r.actor, entity: r.entity, entityId: r.entity_id, action: r.action, before: r.before, after: r.after }));
}
