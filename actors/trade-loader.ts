import type pg from 'pg';
import type { LifecycleStatus } from '../engine/rules/index.js';
import { compareTimestamps } from '../engine/rules/formats.js';
import { SwapReport } from '../proto/gen/swap_report.js';
import { TradeTable } from './trade-table.js';

/** Most counterparties one query loads. */
const MAX_PER_QUERY = 500;
/** Queries at once: the engine's pool also serves everything else on the ingest path. */
const MAX_CONCURRENT = 2;

interface Request {
  counterparty1: string;
  resolve: (trades: TradeTable) => void;
  reject: (err: Error) => void;
}

interface TradeRow {
  counterparty1: string;
  trade_key: string;
  version: number;
  lifecycle: LifecycleStatus;
  action_type: string | null;
  event_timestamp: string | null;
  first_report: Buffer | null;
}

/**
 * Loads the trades of counterparties whose actors are starting, many counterparties per query. The first frames a
 * fresh engine gets (and the first after idle actors were passivated) reach hundreds of counterparties at once; one
 * query each queued them behind the pool's few connections, and each waited its turn before its events could be
 * judged. Requests made while queries run wait for the next one, which takes all of them.
 */
export class TradeLoader {
  private waiting: Request[] = [];
  private running = 0;
  private scheduled = false;

  constructor(private readonly db: pg.Pool) {}

  load(counterparty1: string): Promise<TradeTable> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ counterparty1, resolve, reject });
      this.schedule();
    });
  }

  /** On the next turn of the event loop: the actors starting in this one have asked by then. */
  private schedule(): void {
    if (this.scheduled || this.running >= MAX_CONCURRENT) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.running < MAX_CONCURRENT && this.waiting.length > 0) {
      // Each counterparty once per query: a second request for one (never made by the router, which runs one
      // actor per counterparty) waits for the next query rather than sharing a table with the first.
      const batch = new Map<string, Request>();
      const rest: Request[] = [];
      for (const r of this.waiting) {
        if (batch.size < MAX_PER_QUERY && !batch.has(r.counterparty1)) batch.set(r.counterparty1, r);
        else rest.push(r);
      }
      this.waiting = rest;
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        if (this.waiting.length > 0) this.schedule();
      });
    }
  }

  private async run(batch: Map<string, Request>): Promise<void> {
    try {
      const tables = await loadTrades(this.db, [...batch.keys()]);
      for (const [cp, r] of batch) r.resolve(tables.get(cp) ?? new TradeTable());
    } catch (err) {
      for (const r of batch.values()) r.reject(err as Error);
    }
  }
}

/** What a trade's rows add up to: its latest version's row, the execution timestamp of version 1, the latest event timestamp. */
interface TradeSummary {
  latest: TradeRow;
  executionTimestamp?: string | undefined;
  lastEventTimestamp?: string | undefined;
}

/**
 * Rebuilds counterparties' trades from the event log, as the judge keeps them: the latest version and what judging
 * the next event needs (the history itself stays in the event log). The execution timestamp, which never changes,
 * comes from the record of version 1. Rows are summed up in whatever order they come: an ORDER BY here made
 * PostgreSQL sort every row of the counterparties (version 1's whole report among them) instead of streaming them.
 */
export async function loadTrades(db: pg.Pool, counterparties: readonly string[]): Promise<Map<string, TradeTable>> {
  const { rows } = await db.query<TradeRow>(
    `SELECT counterparty1, trade_key, version, lifecycle, action_type, event_timestamp,
            CASE WHEN version = 1 THEN report END AS first_report
       FROM event_log WHERE counterparty1 = ANY($1::text[]) AND version IS NOT NULL`,
    [counterparties],
  );
  const byCounterparty = new Map<string, Map<string, TradeSummary>>();
  for (const r of rows) {
    let trades = byCounterparty.get(r.counterparty1);
    if (!trades) byCounterparty.set(r.counterparty1, (trades = new Map()));
    let t = trades.get(r.trade_key);
    if (!t) trades.set(r.trade_key, (t = { latest: r }));
    else if (r.version > t.latest.version) t.latest = r;
    if (r.version === 1 && r.first_report) t.executionTimestamp = SwapReport.decode(r.first_report).executionTimestamp;
    const eventTimestamp = r.event_timestamp ?? undefined;
    if (eventTimestamp && (!t.lastEventTimestamp || compareTimestamps(eventTimestamp, t.lastEventTimestamp) > 0)) t.lastEventTimestamp = eventTimestamp;
  }
  const tables = new Map<string, TradeTable>();
  for (const [counterparty1, trades] of byCounterparty) {
    const table = new TradeTable();
    for (const [tradeKey, { latest, executionTimestamp, lastEventTimestamp }] of trades) {
      table.set(tradeKey, {
        tradeKey, counterparty1, ...(executionTimestamp ? { executionTimestamp } : {}), status: latest.lifecycle,
        version: latest.version, ...(lastEventTimestamp ? { lastEventTimestamp } : {}), lastActionType: latest.action_type ?? '', history: [],
      });
    }
    tables.set(counterparty1, table);
  }
  return tables;
}
