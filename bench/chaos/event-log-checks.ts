/**
 * What the failure suite checks in the database after each kill (and at the end), all from event_log:
 *   lost        acknowledged seqs that are not stored (the Ack promised they were durable)
 *   duplicated  one logical event stored twice: the same report bytes under two seqs of a source, or two rows for
 *               one version of a trade (event_log_trade_version makes the latter impossible; counted all the same)
 *   holes       a trade whose stored versions are not 1..max, or whose versions do not rise with its events' seqs
 *               (a later event applied before an earlier one), or a later event of a trade stored while an earlier
 *               one of the same trade, sent before the kill, is not
 * The client's reports are unique per source (see chaos-source.ts), so equal bytes can only be one event twice.
 */
import type pg from 'pg';

export interface SourceView {
  sourceId: string;
  /** The highest seq the engine acknowledged (Ack or Welcome) on any connection so far. */
  acked: number;
  /** Rows with seq above this are the ones this check looks at for duplicates and holes (0: all of them). */
  since: number;
  /** The trade keys of the events sent and not acknowledged, by seq (for "a later event stored, an earlier one not"). */
  unackedTrades: ReadonlyMap<number, string | undefined>;
}

export interface LogCheck {
  lost: number;
  duplicated: number;
  holes: number;
  /** The parts of `holes`. */
  versionGaps: number;
  versionOrderInversions: number;
  laterStoredEarlierMissing: number;
  /** Stored seqs above a missing one (allowed: recovery reads them; a resend does not store them twice). */
  storedAheadOfHole: number;
  /** Rows looked at (those above `since`). */
  rowsChecked: number;
  /** Up to five examples, to reproduce. */
  examples: string[];
}

type Db = Pick<pg.Pool, 'query'>;

export async function checkEventLog(db: Db, sources: readonly SourceView[]): Promise<LogCheck> {
  const out: LogCheck = { lost: 0, duplicated: 0, holes: 0, versionGaps: 0, versionOrderInversions: 0, laterStoredEarlierMissing: 0, storedAheadOfHole: 0, rowsChecked: 0, examples: [] };
  const note = (s: string) => {
    if (out.examples.length < 5) out.examples.push(s);
  };
  for (const s of sources) {
    // Lost: (source_id, seq) is the key, so the count of rows up to the ack is the number of acknowledged events kept.
    const kept = await db.query<{ n: string }>('SELECT count(*) AS n FROM event_log WHERE source_id = $1 AND seq BETWEEN 1 AND $2', [s.sourceId, s.acked]);
    const lost = s.acked - Number(kept.rows[0]!.n);
    if (lost > 0) note(`${s.sourceId}: ${lost} of seqs 1..${s.acked} acknowledged and not stored`);
    out.lost += lost;

    const window = await db.query<{ n: string; seqs: string; reports: string }>(
      'SELECT count(*) AS n, count(DISTINCT seq) AS seqs, count(DISTINCT md5(report)) AS reports FROM event_log WHERE source_id = $1 AND seq > $2', [s.sourceId, s.since]);
    const w = window.rows[0]!;
    out.rowsChecked += Number(w.n);
    const dup = Number(w.n) - Math.min(Number(w.seqs), Number(w.reports));
    if (dup > 0) note(`${s.sourceId}: ${dup} rows above seq ${s.since} repeat a seq or a report`);
    out.duplicated += dup;

    // Above the ack: which sent events are stored, and whether a later one of a trade is stored while an earlier one is not.
    const ahead = await db.query<{ seq: string; trade_key: string | null }>('SELECT seq, trade_key FROM event_log WHERE source_id = $1 AND seq > $2 ORDER BY seq', [s.sourceId, s.acked]);
    const stored = new Set(ahead.rows.map((r) => Number(r.seq)));
    let firstMissing = Infinity;
    for (let seq = s.acked + 1; stored.size > 0 && seq <= Number(ahead.rows.at(-1)!.seq); seq++) {
      if (!stored.has(seq)) {
        firstMissing = Math.min(firstMissing, seq);
        continue;
      }
      if (seq > firstMissing) out.storedAheadOfHole++;
    }
    const missingTrades = new Map<string, number>();
    for (const [seq, trade] of s.unackedTrades) if (trade !== undefined && !stored.has(seq) && !missingTrades.has(trade)) missingTrades.set(trade, seq);
    for (const r of ahead.rows) {
      const earlier = r.trade_key === null ? undefined : missingTrades.get(r.trade_key);
      if (earlier !== undefined && earlier < Number(r.seq)) {
        out.laterStoredEarlierMissing++;
        note(`${s.sourceId}: trade ${r.trade_key} has seq ${r.seq} stored and its earlier seq ${earlier} not`);
      }
    }
  }

  // Versions of every trade with a versioned event above `since`: 1..max without a gap, rising with the seqs.
  const { rows } = await db.query<{ trade_key: string; n: string; lo: number; hi: number; inverted: boolean; twice: string }>(
    `WITH touched AS (
       SELECT DISTINCT e.counterparty1, e.trade_key FROM event_log e
         JOIN unnest($1::text[], $2::bigint[]) AS s(source_id, since) ON e.source_id = s.source_id AND e.seq > s.since
        WHERE e.version IS NOT NULL),
     versions AS (
       SELECT e.counterparty1, e.trade_key, e.version,
              lag(e.version) OVER (PARTITION BY e.counterparty1, e.trade_key ORDER BY e.source_id, e.seq) AS prev
         FROM event_log e JOIN touched t ON e.counterparty1 = t.counterparty1 AND e.trade_key = t.trade_key
        WHERE e.version IS NOT NULL)
     SELECT trade_key, count(*) AS n, min(version) AS lo, max(version) AS hi, coalesce(bool_or(version < prev), false) AS inverted,
            count(*) - count(DISTINCT version) AS twice
       FROM versions GROUP BY counterparty1, trade_key
     HAVING count(*) <> max(version) OR min(version) <> 1 OR bool_or(version < prev) OR count(*) <> count(DISTINCT version)`,
    [sources.map((s) => s.sourceId), sources.map((s) => s.since)],
  );
  for (const r of rows) {
    if (Number(r.twice) > 0) {
      out.duplicated += Number(r.twice);
      note(`trade ${r.trade_key}: a version stored twice`);
    }
    if (Number(r.n) !== r.hi || r.lo !== 1) {
      out.versionGaps++;
      note(`trade ${r.trade_key}: ${r.n} versions stored, numbered ${r.lo}..${r.hi}`);
    }
    if (r.inverted) {
      out.versionOrderInversions++;
      note(`trade ${r.trade_key}: versions do not rise with the seqs of its events`);
    }
  }
  out.holes = out.versionGaps + out.versionOrderInversions + out.laterStoredEarlierMissing;
  return out;
}
