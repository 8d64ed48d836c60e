/**
 * Dead letters: how a follower of the event log (the submission intake, the console's trade projector, the
 * scoring) gets past one event it cannot process (a NUL in a field, an identifier longer than a btree index
 * allows, a payload PostgreSQL refuses, a codec error) instead of retrying it forever: it sets the event aside in
 * `dead_letter` with the error, the event is counted (swaprep_dead_letters_total) and alerted on (the monitor's
 * `dead-letters` rule), and the follower goes on with the next events. An operator sees them with
 * `swaprep dead-letters list`, fixes the cause and asks for a retry (`swaprep dead-letters retry`); the follower
 * takes the rows in status 'retry' (takeRetries), processes those events again and resolves the rows, or records
 * the failure again (the row goes back to 'open' with one attempt more).
 *
 * A connection loss or a server going down is not the event's fault and never sets one aside (classifyFailure).
 */
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import type pg from 'pg';
import { Counter } from 'prom-client';

/** The followers that set events aside (the `follower` column). */
export const FOLLOWERS = ['submission-intake', 'projection', 'scoring'] as const;
export type Follower = (typeof FOLLOWERS)[number];

export const DEAD_LETTER_STATUSES = ['open', 'retry', 'resolved'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

export interface DeadLetter {
  id: number;
  follower: Follower;
  sourceId: string;
  seq: number;
  error: string;
  /** SQLSTATE, or the error's class when it has none (e.g. RangeError). */
  code: string | null;
  status: DeadLetterStatus;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
}

/** A pool, or one of its clients inside a transaction (the projector records and moves its cursor in one). */
export type Queryable = pg.Pool | pg.ClientBase;

export class DeadLetterError extends Error {
  override readonly name = 'DeadLetterError';
  constructor(readonly code: 'DEAD_LETTER_NOT_FOUND', message: string) {
    super(message);
  }
}

/** The longest error text kept: enough for any PostgreSQL message with its detail, never a whole payload. */
export const ERROR_MAX_CHARS = 2_000;

/**
 * Events set aside since this process started, per follower. Created once per thread and registered into each
 * engine's registry by createMetrics (engine/metrics.ts).
 *
 * The projector and the scoring run on threads of their own, whose module instances (and counters) no registry
 * scrapes: there a count is also broadcast, and the main thread's instance adds it to the counter that is scraped.
 */
export const deadLettersTotal = new Counter({
  name: 'swaprep_dead_letters_total',
  help: 'Events a follower of the event log could not process and set aside in dead_letter (swaprep dead-letters list), by follower',
  labelNames: ['follower'] as const,
  registers: [],
});

const CHANNEL = 'swaprep:dead-letters';
let sender: BroadcastChannel | undefined;
if (isMainThread) {
  const receiver = new BroadcastChannel(CHANNEL);
  receiver.onmessage = (m: unknown) => {
    const follower = (m as { data?: unknown }).data;
    if (typeof follower === 'string' && (FOLLOWERS as readonly string[]).includes(follower)) deadLettersTotal.inc({ follower });
  };
  // A listener must not keep a finished command's process alive.
  receiver.unref();
}

function count(follower: Follower): void {
  deadLettersTotal.inc({ follower });
  if (isMainThread) return;
  if (!sender) {
    sender = new BroadcastChannel(CHANNEL);
    sender.unref();
  }
  sender.postMessage(follower);
}

/**
 * The error as text PostgreSQL takes whatever the event held: `text` refuses NUL, and an error may quote the
 * payload that caused it (capped at ERROR_MAX_CHARS, not cutting a surrogate pair in two).
 */
export function sanitizeError(error: unknown): string {
  let text: string;
  let name = '';
  try {
    if (error instanceof Error) {
      name = String(error.name);
      text = String(error.message);
    } else text = typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
    // PostgreSQL's detail says why (e.g. "Values larger than 1/3 of a buffer page cannot be indexed.").
    const detail = field(error, 'detail');
    if (typeof detail === 'string' && detail !== '') text += ` (${detail})`;
  } catch {
    text = Object.prototype.toString.call(error);
  }
  text = text.replace(/\u0000/g, '');
  if (text.length > ERROR_MAX_CHARS) {
    const end = /[\uD800-\uDBFF]/.test(text[ERROR_MAX_CHARS - 1]!) ? ERROR_MAX_CHARS - 1 : ERROR_MAX_CHARS;
    text = text.slice(0, end);
  }
  return text || name.replace(/\u0000/g, '').slice(0, 100) || 'unknown error';
}

/** A property of a thrown value, undefined when it has none (or its getter throws: anything can be thrown). */
function field(error: unknown, name: string): unknown {
  try {
    return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
  } catch {
    return undefined;
  }
}

/** A PostgreSQL error's SQLSTATE (a server error carries a severity beside it), else undefined. */
export function sqlState(error: unknown): string | undefined {
  const code = field(error, 'code');
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof field(error, 'severity') === 'string' ? code : undefined;
}

/** What the `code` column holds: the SQLSTATE, else a system error's code (ECONNRESET), else the error's class. */
export function errorCode(error: unknown): string | null {
  const state = sqlState(error);
  if (state) return state;
  const code = field(error, 'code');
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(code)) return code;
  const name = field(error, 'name');
  return error instanceof Error ? (typeof name === 'string' ? name.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 64) : '') || 'Error' : null;
}

/**
 * SQLSTATE classes an event's own content can cause: data exceptions (22: a NUL or bad UTF-8, a number out of
 * range), integrity violations (23), cardinality (21), program limits (54: an index row too large) and errors
 * raised by triggers and functions (P0). Any other class (a lost connection 08, a server shutting down 57, no
 * room 53, a deadlock 40, a missing table 42) is the system's fault: every event would fail alike, and setting
 * them aside one by one would empty the stream into the dead letters.
 */
const POISON_CLASSES = new Set(['21', '22', '23', '54', 'P0']);

/** pg's own errors for a connection that is gone or never came (they carry no SQLSTATE). */
const CONNECTION_LOST = /connection terminated|connection (error|timeout)|not queryable|timeout exceeded when trying to connect|query read timeout|pool after calling end|socket|ECONN|EPIPE|ETIMEDOUT/i;

/**
 * 'poison': this event (or batch) cannot be processed as it is, and trying it again will fail again: isolate it
 * and set it aside. 'transient': the database or the connection failed; try again later, set nothing aside.
 * Errors without a SQLSTATE are poison (a codec error, a value our own encoder refuses) unless they are a
 * connection's: a system error (errno), or one of pg's connection messages.
 */
export function classifyFailure(error: unknown): 'poison' | 'transient' {
  const state = sqlState(error);
  if (state) return POISON_CLASSES.has(state.slice(0, 2)) ? 'poison' : 'transient';
  if (field(error, 'errno') !== undefined || field(error, 'syscall') !== undefined) return 'transient';
  const message = error instanceof Error ? error.message : '';
  return CONNECTION_LOST.test(message) ? 'transient' : 'poison';
}

/**
 * Sets one event aside for `follower` (or records that it failed again: one attempt more, back to 'open', the new
 * error). Never fails on the error's content; the event's key comes from event_log, so it is valid there too.
 */
export async function recordDeadLetter(db: Queryable, d: { follower: Follower; sourceId: string; seq: number; error: unknown }): Promise<{ id: number; attempts: number }> {
  const { rows } = await db.query<{ id: string; attempts: number }>(
    `INSERT INTO dead_letter (follower, source_id, seq, error, code) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (follower, source_id, seq) DO UPDATE SET
       attempts = dead_letter.attempts + 1, status = 'open', error = EXCLUDED.error, code = EXCLUDED.code, updated_at = now(), resolved_at = NULL
     RETURNING id, attempts`,
    [d.follower, d.sourceId, d.seq, sanitizeError(d.error), errorCode(d.error)],
  );
  count(d.follower);
  return { id: Number(rows[0]!.id), attempts: rows[0]!.attempts };
}

interface Row {
  id: string; follower: Follower; source_id: string; seq: string; error: string; code: string | null; status: DeadLetterStatus; attempts: number;
  created_at: Date; updated_at: Date; resolved_at: Date | null;
}
const COLUMNS = 'id, follower, source_id, seq, error, code, status, attempts, created_at, updated_at, resolved_at';

function toDeadLetter(r: Row): DeadLetter {
  return {
    id: Number(r.id), follower: r.follower, sourceId: r.source_id, seq: Number(r.seq), error: r.error, code: r.code, status: r.status,
    attempts: r.attempts, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(), resolvedAt: r.resolved_at?.toISOString() ?? null,
  };
}

/** Dead letters, oldest first, optionally of one follower and/or status (at most `limit`, default 1,000). */
export async function listDeadLetters(db: Queryable, filter: { follower?: Follower; status?: DeadLetterStatus; limit?: number } = {}): Promise<DeadLetter[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM dead_letter WHERE ($1::text IS NULL OR follower = $1) AND ($2::text IS NULL OR status = $2) ORDER BY id LIMIT $3`,
    [filter.follower ?? null, filter.status ?? null, filter.limit ?? 1_000],
  );
  return rows.map(toDeadLetter);
}

/** One dead letter by id, undefined when there is none. */
export async function getDeadLetter(db: Queryable, id: number): Promise<DeadLetter | undefined> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM dead_letter WHERE id = $1`, [id]);
  return rows[0] ? toDeadLetter(rows[0]) : undefined;
}

/**
 * Asks the followers to try open dead letters again: one by id, or all of them ('all'). Returns how many were
 * set to 'retry' (0 for one already waiting for its retry or resolved). Throws DeadLetterError
 * (DEAD_LETTER_NOT_FOUND) for an id that does not exist.
 */
export async function requestRetry(db: Queryable, id: number | 'all'): Promise<number> {
  if (id === 'all') {
    const r = await db.query(`UPDATE dead_letter SET status = 'retry', updated_at = now() WHERE status = 'open'`);
    return r.rowCount ?? 0;
  }
  const { rows } = await db.query<{ changed: boolean }>(
    `WITH target AS (SELECT id, status FROM dead_letter WHERE id = $1 FOR UPDATE),
          changed AS (UPDATE dead_letter d SET status = 'retry', updated_at = now() FROM target t WHERE d.id = t.id AND t.status = 'open' RETURNING d.id)
     SELECT EXISTS (SELECT 1 FROM changed) AS changed FROM target`,
    [id],
  );
  if (rows.length === 0) throw new DeadLetterError('DEAD_LETTER_NOT_FOUND', `there is no dead letter ${id}`);
  return rows[0]!.changed ? 1 : 0;
}

/** The dead letters of `follower` an operator asked to retry (oldest first, at most `limit`). */
export async function takeRetries(db: Queryable, follower: Follower, limit: number): Promise<DeadLetter[]> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM dead_letter WHERE follower = $1 AND status = 'retry' ORDER BY id LIMIT $2`, [follower, limit]);
  return rows.map(toDeadLetter);
}

/** Marks a dead letter resolved (its event was processed after all); false when it was already resolved or is unknown. */
export async function resolveDeadLetter(db: Queryable, id: number): Promise<boolean> {
  const r = await db.query(`UPDATE dead_letter SET status = 'resolved', resolved_at = now(), updated_at = now() WHERE id = $1 AND status <> 'resolved'`, [id]);
  return (r.rowCount ?? 0) > 0;
}

/**
 * Dead letters not yet resolved (open, or waiting for their retry), per follower that has any: for the alert
 * monitor and the swaprep_dead_letters_open gauge.
 */
export async function openDeadLetterCounts(db: Queryable): Promise<Map<Follower, number>> {
  const { rows } = await db.query<{ follower: Follower; n: string }>(`SELECT follower, count(*) AS n FROM dead_letter WHERE status <> 'resolved' GROUP BY follower ORDER BY follower`);
  return new Map(rows.map((r) => [r.follower, Number(r.n)]));
}

/**
 * How a cursor follower finds the one event that makes its passes fail, by bisection. Without it a follower reads
 * the same batch after every failure and fails on it forever (the projector did, on a 5,000-character trade key).
 *
 * A pass reads at most `limit` events. When a pass fails, the bad event is among the `read` events it read: the
 * next pass reads the first half of them. If that pass succeeds, the bad event is in the rest, and the pass after
 * reads half of the rest; if it fails, it is in that half. Each pass halves the suspects, so one bad event among
 * 10,000 is found in about 14 passes (at most ⌈log2 10,000⌉ = 14 halvings, then the pass of that event alone),
 * each committing the good events it read, where retrying the same pass would never end.
 * A failed pass that read a single event has found it: failed() says 'isolated', the caller sets that event aside
 * and moves its cursor past it (in one transaction), and passes are back to full size. Once the suspects are all
 * read without a failure (it did not fail again alone: e.g. two events that only fail together), or after a
 * success outside a search, the limit doubles back towards `max`.
 */
export class PassLimit {
  private current: number;
  /** Events after the cursor known to hold the bad one (0: not searching). */
  private suspects = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`a pass limit must be a positive integer, not ${max}`);
    this.current = max;
  }

  /** The most events the next pass may read. */
  get limit(): number {
    return this.current;
  }

  /** Whether a search is on (the follower should run its next pass at once rather than idle). */
  get searching(): boolean {
    return this.suspects > 0;
  }

  /**
   * The pass that read `read` events (default: the limit) failed on their content. 'retry': run the next pass with
   * the smaller limit; 'isolated': the pass read one event and it is the bad one.
   */
  failed(read: number = this.current): 'retry' | 'isolated' {
    if (read <= 1) {
      this.current = this.max;
      this.suspects = 0;
      return 'isolated';
    }
    this.suspects = Math.min(read, this.current);
    this.current = Math.max(1, Math.floor(this.suspects / 2));
    return 'retry';
  }

  /** The pass that read `read` events (default: the limit) committed them. */
  succeeded(read: number = this.current): void {
    if (this.suspects > 0) {
      this.suspects -= read;
      if (this.suspects > 0) {
        this.current = Math.max(1, Math.floor(this.suspects / 2));
        return;
      }
      this.suspects = 0;
    }
    this.current = Math.min(this.max, this.current * 2);
  }
}
