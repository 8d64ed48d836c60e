/**
 * Corrections with maker-checker. An analyst (the maker) proposes a corrected record for an exception; a second
 * person (the checker) approves or rejects it. Approval returns the record ready to enter the engine over FEP
 * (the engine sends it from its internal FEP source `console`), so a correction goes through the same path and
 * rules as any event; the intake links the resulting submission to the correction, and the repository's ACK of
 * it closes the exception (see store.ts applySettled). Every step is audited with the state before and after.
 *
 * Nothing lost (CorrectionOutbox): the approval writes, in its own transaction, that the correction's event is
 * owed by the internal source (correction.event_source_id); the sender reserves the event's seq on the row
 * before it sends (event_seq), and records when the event is durable (event_stored_at). A sweep at start and on
 * a timer sends what is owed. A resend goes at the reserved seq, and (source_id, seq) is the event log's key, so
 * a crash at any point yields exactly one stored event per approved correction.
 */
import type pg from 'pg';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { parseJsonLossless, reportFromJson, reportToJsonText } from '../record/json.js';
import { tradeKeyOf } from '../record/identity.js';
import { audit } from './audit.js';
import { getException, type ExceptionRow } from './store.js';
import { withTransaction } from '../store/transaction.js';
import { log } from '../log.js';

/** The internal FEP source approved corrections are sent from (engine/submission/serve.ts starts it). */
export const CORRECTION_EVENT_SOURCE = 'console';

export type CorrectionAction = 'CORR' | 'EROR' | 'REVI' | 'NEWT';
export type CorrectionStatus = 'pending_approval' | 'approved' | 'rejected' | 'sent' | 'acked' | 'nacked';

export interface CorrectionRow {
  id: number;
  exceptionId: number;
  actionType: CorrectionAction;
  status: CorrectionStatus;
  maker: string;
  checker: string | null;
  reason: string | null;
  tradeKey: string | null;
  createdAt: string;
  decidedAt: string | null;
  submissionId: string | null;
}

/** What approval hands over: the corrected record, and its protobuf bytes for a FepEvent.report. */
export interface ApprovedCorrection {
  correction: CorrectionRow;
  report: SwapReport;
  fepReport: Uint8Array;
}

export class CorrectionError extends Error {
  override readonly name = 'CorrectionError';
}

interface RawCorrection {
  id: string; exception_id: string; action_type: CorrectionAction; status: CorrectionStatus; maker: string; checker: string | null;
  reason: string | null; trade_key: string | null; created_at: Date; decided_at: Date | null; submission_id: string | null; record?: unknown;
}

const COLUMNS = 'id, exception_id, action_type, status, maker, checker, reason, trade_key, created_at, decided_at, submission_id';

function toCorrection(r: RawCorrection): CorrectionRow {
  return {
    id: Number(r.id), exceptionId: Number(r.exception_id), actionType: r.action_type, status: r.status, maker: r.maker, checker: r.checker,
    reason: r.reason, tradeKey: r.trade_key, createdAt: r.created_at.toISOString(), decidedAt: r.decided_at ? r.decided_at.toISOString() : null,
    submissionId: r.submission_id,
  };
}

/** UTC timestamp without fractions, the record's format. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The corrected record as it must be sent: the chosen action type; CORR, EROR and REVI carry no event type
 * (DOMAIN.md); the reporting timestamp is the time of approval.
 */
export function prepareCorrectionReport(report: SwapReport, actionType: CorrectionAction, nowMs: number): SwapReport {
  const r = SwapReport.fromPartial(report); // a deep copy: the analyst's object is not changed
  r.actionType = actionType;
  if (actionType !== 'NEWT') r.eventType = undefined;
  r.reportingTimestamp = isoSeconds(nowMs);
  return r;
}

export class CorrectionService {
  constructor(private readonly pool: pg.Pool, private readonly clock: () => number = Date.now, private readonly eventSource = CORRECTION_EVENT_SOURCE) {}

  /** The maker proposes a correction of an open exception. */
  async propose(input: { exceptionId: number; maker: string; actionType: CorrectionAction; report: SwapReport; reason?: string }): Promise<CorrectionRow> {
    return this.tx(async (db, now) => {
      const exc = await this.lockException(db, input.exceptionId);
      if (exc.status !== 'open') throw new CorrectionError(`exception ${exc.id} is ${exc.status}, not open`);
      const key = tradeKeyOf(input.report) ?? null;
      if (exc.tradeKey !== null && key !== exc.tradeKey) throw new CorrectionError(`the correction is for trade ${String(key)}, the exception for ${exc.tradeKey}`);
      const { rows } = await db.query<RawCorrection>(
        `INSERT INTO correction (exception_id, action_type, status, maker, reason, record, trade_key, created_at)
         VALUES ($1, $2, 'pending_approval', $3, $4, $5::jsonb, $6, $7::timestamptz) RETURNING ${COLUMNS}`,
        [exc.id, input.actionType, input.maker, input.reason ?? null, reportToJsonText(input.report), key, new Date(now).toISOString()],
      );
      const c = toCorrection(rows[0]!);
      await db.query(`UPDATE exception SET status = 'correcting' WHERE id = $1`, [exc.id]);
      await audit(db, input.maker, 'correction', c.id, 'propose', exc.record, { actionType: c.actionType, record: JSON.parse(reportToJsonText(input.report)) as unknown, reason: c.reason }, now);
      await audit(db, input.maker, 'exception', exc.id, 'correcting', { status: 'open' }, { status: 'correcting', correctionId: c.id }, now);
      return c;
    });
  }

  /**
   * A second person approves: returns the record ready to send to the engine over FEP. The same transaction puts
   * the correction in the outbox (CorrectionOutbox sends it, now or after a crash).
   */
  async approve(input: { correctionId: number; checker: string }): Promise<ApprovedCorrection> {
    return this.tx(async (db, now) => {
      const { rows } = await db.query<RawCorrection>(`SELECT ${COLUMNS}, record FROM correction WHERE id = $1 FOR UPDATE`, [input.correctionId]);
      const raw = rows[0];
      if (!raw) throw new CorrectionError(`no correction ${input.correctionId}`);
      const c = toCorrection(raw);
      if (c.status !== 'pending_approval') throw new CorrectionError(`correction ${c.id} is ${c.status}, not pending approval`);
      if (c.maker === input.checker) throw new CorrectionError(`correction ${c.id}: the checker must be another person than the maker (${c.maker})`);
      const decoded = reportFromJson(parseJsonLossless(JSON.stringify(raw.record)));
      if (!decoded.ok) throw new CorrectionError(`correction ${c.id}: stored record does not decode: ${JSON.stringify(decoded.issues)}`);
      const report = prepareCorrectionReport(decoded.report, c.actionType, now);
      // The outbox entry goes with the approval: the event is owed from here on, whatever happens to this process.
      await db.query(`UPDATE correction SET status = 'approved', checker = $2, decided_at = $3::timestamptz, record = $4::jsonb,
                             event_source_id = $5, event_seq = NULL, event_stored_at = NULL WHERE id = $1`,
        [c.id, input.checker, new Date(now).toISOString(), reportToJsonText(report), this.eventSource]);
      await audit(db, input.checker, 'correction', c.id, 'approve', { status: c.status }, { status: 'approved', checker: input.checker }, now);
      return {
        correction: { ...c, status: 'approved', checker: input.checker, decidedAt: new Date(now).toISOString() },
        report,
        fepReport: SwapReport.encode(report).finish(),
      };
    });
  }

  /** The checker rejects: the exception is open again for another correction. */
  async reject(input: { correctionId: number; checker: string; reason: string }): Promise<CorrectionRow> {
    return this.tx(async (db, now) => {
      const { rows } = await db.query<RawCorrection>(`SELECT ${COLUMNS} FROM correction WHERE id = $1 FOR UPDATE`, [input.correctionId]);
      if (!rows[0]) throw new CorrectionError(`no correction ${input.correctionId}`);
      const c = toCorrection(rows[0]);
      if (c.status !== 'pending_approval') throw new CorrectionError(`correction ${c.id} is ${c.status}, not pending approval`);
      if (c.maker === input.checker) throw new CorrectionError(`correction ${c.id}: the checker must be another person than the maker`);
      await db.query(`UPDATE correction SET status = 'rejected', checker = $2, decided_at = $3::timestamptz, reason = $4 WHERE id = $1`,
        [c.id, input.checker, new Date(now).toISOString(), input.reason]);
      await db.query(`UPDATE exception SET status = 'open' WHERE id = $1 AND status = 'correcting'`, [c.exceptionId]);
      await audit(db, input.checker, 'correction', c.id, 'reject', { status: c.status }, { status: 'rejected', reason: input.reason }, now);
      return { ...c, status: 'rejected', checker: input.checker };
    });
  }

  async get(id: number): Promise<CorrectionRow | undefined> {
    const { rows } = await this.pool.query<RawCorrection>(`SELECT ${COLUMNS} FROM correction WHERE id = $1`, [id]);
    return rows[0] ? toCorrection(rows[0]) : undefined;
  }

  /** The original event of an exception, decoded, as the starting point of a correction. */
  async originalReport(exceptionId: number): Promise<SwapReport | undefined> {
    const exc = await getException(this.pool, exceptionId);
    if (!exc || exc.sourceId === null || exc.seq === null) return undefined;
    const { rows } = await this.pool.query<{ report: Buffer }>('SELECT report FROM event_log WHERE source_id = $1 AND seq = $2', [exc.sourceId, exc.seq]);
    return rows[0] ? SwapReport.decode(rows[0].report) : undefined;
  }

  private async lockException(db: pg.PoolClient, id: number): Promise<ExceptionRow> {
    await db.query('SELECT 1 FROM exception WHERE id = $1 FOR UPDATE', [id]);
    const exc = await getException(db, id);
    if (!exc) throw new CorrectionError(`no exception ${id}`);
    return exc;
  }

  private tx<T>(fn: (db: pg.PoolClient, now: number) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, (db) => fn(db, this.clock()));
  }
}

/**
 * Links submissions of correction events to their approved corrections, in the intake's transaction; returns
 * correction id per submission id. A correction sent by the outbox is linked to the submission of its own event
 * ((event_source_id, event_seq) = the submission's (sourceId, seq)) and to no other. One sent otherwise (the
 * integrator's own FEP source; approved before the outbox, or not reserved yet) is linked as before: same trade,
 * same action type, oldest correction first. Either way the exception's regime (Part 45 when it has none).
 */
export async function linkCorrections(
  db: pg.ClientBase,
  subs: readonly { id: string; tradeKey: string | null; actionType: string | null; regime: string; sourceId?: string; seq?: number }[],
  nowMs: number,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const candidates = subs.filter((s) => s.actionType === 'CORR' || s.actionType === 'EROR' || s.actionType === 'REVI' || s.actionType === 'NEWT');
  if (candidates.length === 0) return out;
  const keys = [...new Set(candidates.filter((s) => s.tradeKey !== null).map((s) => s.tradeKey!))];
  const { rows } = await db.query<{ id: string; trade_key: string | null; action_type: string; regime: string | null; event_source_id: string | null; event_seq: string | null }>(
    `SELECT c.id, c.trade_key, c.action_type, e.regime, c.event_source_id, c.event_seq FROM correction c JOIN exception e ON e.id = c.exception_id
      WHERE c.status = 'approved' AND (c.trade_key = ANY($1::text[]) OR c.event_seq IS NOT NULL) ORDER BY c.id FOR UPDATE OF c`,
    [keys],
  );
  const regimeOk = (c: { regime: string | null }, s: { regime: string }) => (c.regime === null ? s.regime === 'cftc-part45' : s.regime === c.regime);
  // The events the outbox sent: their submissions belong to their corrections only.
  const reserved = new Set(rows.filter((c) => c.event_seq !== null).map((c) => `${c.event_source_id}\u0000${c.event_seq}`));
  const link = async (c: (typeof rows)[number], sub: (typeof candidates)[number]) => {
    out.set(sub.id, Number(c.id));
    await db.query(`UPDATE correction SET status = 'sent', sent_at = $2::timestamptz, submission_id = $3, event_stored_at = COALESCE(event_stored_at, $2::timestamptz) WHERE id = $1`,
      [c.id, new Date(nowMs).toISOString(), sub.id]);
    await audit(db, 'system', 'correction', c.id, 'submitted', { status: 'approved' }, { status: 'sent', submissionId: sub.id }, nowMs);
  };
  for (const c of rows) {
    if (c.event_seq === null) continue;
    const sub = candidates.find((s) => !out.has(s.id) && s.sourceId === c.event_source_id && s.seq === Number(c.event_seq) && s.actionType === c.action_type && regimeOk(c, s));
    if (sub) await link(c, sub);
  }
  for (const c of rows) {
    if (c.event_seq !== null) continue;
    const sub = candidates.find((s) => !out.has(s.id) && s.tradeKey !== null && s.tradeKey === c.trade_key && s.actionType === c.action_type && regimeOk(c, s)
      && !(s.sourceId !== undefined && s.seq !== undefined && reserved.has(`${s.sourceId}\u0000${s.seq}`)));
    if (sub) await link(c, sub);
  }
  return out;
}

/** What the outbox needs of the engine's internal FEP source (engine/ingest/internal-source.ts InternalSource). */
export interface CorrectionEventSender {
  readonly sourceId: string;
  /**
   * Sends `report` at the seq `seqFor(next)` returns (having recorded it), or reads back the verdict of the event
   * already stored at it; resolves once durable; undefined when seqFor returns undefined.
   */
  submitAt(seqFor: (next: number) => Promise<number | undefined>, report: Uint8Array): Promise<CorrectionEventVerdict | undefined>;
}

/** The engine's verdict on a correction's event: where it is stored and what the rulebook said. */
export interface CorrectionEventVerdict {
  sourceId: string;
  seq: number;
  status: 'accepted' | 'accepted_with_warnings' | 'rejected';
  findings: { rule: string; element: string; path: string; severity: 'error' | 'warning'; message: string }[];
}

/**
 * Crash points for the crash tests: with SWAPREP_CRASH_AT=<point> the process kills itself (SIGKILL, as
 * `kill -9`) when it gets there. Points: correction-approved (approval committed, nothing sent),
 * correction-reserved (seq reserved, event not sent), correction-stored (event durable, not recorded on the row).
 */
export function crashPoint(point: 'correction-approved' | 'correction-reserved' | 'correction-stored'): void {
  if (process.env.SWAPREP_CRASH_AT !== point) return;
  log('warn', `SWAPREP_CRASH_AT=${point}: killing this process`);
  process.kill(process.pid, 'SIGKILL');
}

interface OutboxRow { id: string; exception_id: string; status: CorrectionStatus; record: string; event_source_id: string | null; event_seq: string | null }

/**
 * Sends approved corrections into the engine as events of its internal source, exactly once (see the top of this
 * file): `send` for the correction just approved, `sweep` at start and every `sweepMs` for whatever a crash,
 * a stop or a failure left unsent. One thing at a time, and an event left with a reserved seq goes before any
 * new one: the seqs of an FEP source have no holes.
 */
export class CorrectionOutbox {
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private sweeping = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly sender: CorrectionEventSender,
    private readonly clock: () => number = Date.now,
    private readonly sweepMs = 10_000,
  ) {}

  /** Sweeps now, then every sweepMs. */
  start(): void {
    const tick = () => {
      this.timer = undefined;
      void this.sweep().catch(() => 0).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.sweepMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
  }

  /**
   * Sends an approved correction's event (after any other event left reserved) and resolves once it is durable,
   * with its verdict; the verdict of the stored event when it was sent already. CorrectionError when the
   * correction owes no event (not approved, or it went out another way).
   */
  send(correctionId: number): Promise<CorrectionEventVerdict> {
    return this.exclusive(async () => {
      await this.sendReserved();
      const verdict = await this.deliver(correctionId);
      if (!verdict) throw new CorrectionError(`correction ${correctionId} owes no event (${(await this.pool.query<{ status: string }>('SELECT status FROM correction WHERE id = $1', [correctionId])).rows[0]?.status ?? 'unknown'})`);
      return verdict;
    });
  }

  /** Sends every approved correction whose event is not stored yet, oldest first; resolves with how many it handled. */
  sweep(): Promise<number> {
    if (this.sweeping) return Promise.resolve(0);
    this.sweeping = true;
    return this.exclusive(async () => {
      let n = await this.sendReserved();
      const { rows } = await this.pool.query<{ id: string }>(
        `SELECT id FROM correction WHERE event_source_id = $1 AND event_stored_at IS NULL AND event_seq IS NULL AND status = 'approved' ORDER BY id LIMIT 1000`,
        [this.sender.sourceId]);
      for (const r of rows) {
        if (this.stopped) break;
        if (await this.deliver(Number(r.id))) n++;
      }
      if (n > 0) log('info', `correction outbox: ${n} approved correction(s) whose event was not stored were sent`);
      return n;
    }).catch((err: unknown) => {
      log('warn', `correction outbox: sweep failed, trying again in ${Math.round(this.sweepMs / 1000)} s: ${(err as Error).message}`);
      throw err;
    }).finally(() => {
      this.sweeping = false;
    });
  }

  /** Events a crash or a failure left with a reserved seq and not known stored: in seq order, before anything new. */
  private async sendReserved(): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>(
      'SELECT id FROM correction WHERE event_source_id = $1 AND event_stored_at IS NULL AND event_seq IS NOT NULL ORDER BY event_seq',
      [this.sender.sourceId]);
    let n = 0;
    for (const r of rows) if (await this.deliver(Number(r.id))) n++;
    return n;
  }

  /** Sends (or finds stored) one correction's event and records it; undefined when it owes none. */
  private async deliver(id: number): Promise<CorrectionEventVerdict | undefined> {
    if (this.stopped) throw new CorrectionError('the correction outbox is stopping');
    const { rows } = await this.pool.query<OutboxRow>(
      'SELECT id, exception_id, status, record::text AS record, event_source_id, event_seq FROM correction WHERE id = $1', [id]);
    const row = rows[0];
    if (!row || row.event_source_id !== this.sender.sourceId) return undefined;
    if (row.event_seq === null && row.status !== 'approved') return undefined;
    const decoded = reportFromJson(parseJsonLossless(row.record));
    if (!decoded.ok) throw new CorrectionError(`correction ${id}: stored record does not decode: ${JSON.stringify(decoded.issues)}`);
    // The bytes come from the stored record every time, so a resend is the very event a first try sent.
    const report = SwapReport.encode(decoded.report).finish();
    let verdict: CorrectionEventVerdict | undefined;
    try {
      verdict = await this.sender.submitAt((next) => this.reserve(id, next), report);
    } catch (err) {
      if ((err as Error).name !== 'SeqTakenError') throw err;
      // Its seq holds another event: its own was never stored there, nor anywhere else. It gets a new seq.
      log('error', `correction outbox: correction ${id}: ${(err as Error).message}; reserving another seq`);
      await this.pool.query('UPDATE correction SET event_seq = NULL WHERE id = $1 AND event_stored_at IS NULL', [id]);
      verdict = await this.sender.submitAt((next) => this.reserve(id, next), report);
    }
    if (!verdict) return undefined;
    crashPoint('correction-stored');
    await this.settle(row, verdict);
    return verdict;
  }

  /** Reserves `next` for the correction's event (committed before it is sent), or returns the seq reserved before. */
  private async reserve(id: number, next: number): Promise<number | undefined> {
    const seq = await withTransaction(this.pool, async (db) => {
      const { rows } = await db.query<{ status: CorrectionStatus; event_source_id: string | null; event_seq: string | null }>(
        'SELECT status, event_source_id, event_seq FROM correction WHERE id = $1 FOR UPDATE', [id]);
      const c = rows[0];
      if (!c || c.event_source_id !== this.sender.sourceId) return undefined;
      if (c.event_seq !== null) return Number(c.event_seq);
      if (c.status !== 'approved') return undefined; // linked to another event meanwhile, or rejected
      await db.query('UPDATE correction SET event_seq = $2 WHERE id = $1', [id, next]);
      return next;
    });
    if (seq === next) crashPoint('correction-reserved');
    return seq;
  }

  /** The event is durable: the outbox entry is done; a correction the rulebook rejected goes back to the analyst. */
  private async settle(row: OutboxRow, verdict: CorrectionEventVerdict): Promise<void> {
    const now = this.clock();
    await withTransaction(this.pool, async (db) => {
      await db.query('UPDATE correction SET event_stored_at = $2::timestamptz WHERE id = $1 AND event_stored_at IS NULL', [row.id, new Date(now).toISOString()]);
      if (verdict.status === 'rejected') await rejectedByRules(db, Number(row.id), Number(row.exception_id), verdict, now);
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** The rulebook rejected an approved correction's event: the correction is rejected and its exception open again. */
async function rejectedByRules(db: pg.ClientBase, correctionId: number, exceptionId: number, event: CorrectionEventVerdict, nowMs: number): Promise<void> {
  const reason = `rejected by the rulebook as ${event.sourceId}#${event.seq}: ${event.findings.filter((f) => f.severity === 'error').map((f) => f.rule).join(', ')}`;
  const res = await db.query(`UPDATE correction SET status = 'rejected', reason = $2 WHERE id = $1 AND status = 'approved'`, [correctionId, reason]);
  if (!res.rowCount) return;
  await db.query(`UPDATE exception SET status = 'open' WHERE id = $1 AND status = 'correcting'`, [exceptionId]);
  await audit(db, 'system', 'correction', correctionId, 'rejected-by-rules', { status: 'approved' }, { status: 'rejected', event: `${event.sourceId}#${event.seq}`, findings: event.findings }, nowMs);
}
