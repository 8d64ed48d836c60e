import nact from 'nact';
import type pg from 'pg';
import type { Judge, RoutedEvent } from './routed-event.js';
import type { LifecycleStatus } from '../engine/rules/index.js';
import { TradeTable } from './trade-table.js';
import { SwapReport } from '../proto/gen/swap_report.js';
import { compareTimestamps } from '../engine/rules/formats.js';
import type { StoredEvent } from '../engine/store/stored-event.js';
import { log } from '../engine/log.js';

export interface CounterpartyMessage {
  events: RoutedEvent[];
}

interface CounterpartyState {
  /** Trades keyed by UTI (or `USI:` + USI), loaded from the event log on the first message; stored by column (trade-table.ts). */
  trades: TradeTable | undefined;
}

export interface CounterpartyDeps {
  db: pg.Pool;
  judge: Judge;
  /** Where judged events go (the group-commit writer). */
  emit: (events: readonly StoredEvent[]) => void;
}

/**
 * Spawns the actor of one reporting counterparty. It owns its trades' state as data (a TradeTable) and applies
 * its events strictly in arrival order: nact runs one message at a time per actor, and a message is one
 * micro-batch (all of this counterparty's events from one FEP frame), not one event.
 */
export function spawnCounterparty(parent: nact.ActorSystemRef, counterparty1: string, name: string, deps: CounterpartyDeps) {
  return nact.spawn(
    parent,
    async (state: CounterpartyState, msg: CounterpartyMessage): Promise<CounterpartyState> => {
      const trades = state.trades ?? (await loadTradesWithRetry(deps.db, counterparty1));
      for (const event of msg.events) {
        try {
          deps.judge(trades, event);
        } catch (err) {
          // A bug in judging one event must not lose it, nor stop the actor (which would lose its mailbox).
          log('error', `judging ${event.sourceId}#${event.seq} failed: ${(err as Error).stack ?? String(err)}`);
          markInternalError(event, err as Error);
        }
      }
      deps.emit(msg.events);
      return { trades };
    },
    name,
    { initialState: { trades: undefined } },
  );
}

/** A failed load must not stop the actor (nact would drop its mailbox): wait for the database instead. */
async function loadTradesWithRetry(db: pg.Pool, counterparty1: string): Promise<TradeTable> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await loadTrades(db, counterparty1);
    } catch (err) {
      const delay = Math.min(5_000, 100 * 2 ** attempt);
      log('warn', `loading trades of ${counterparty1} failed, retrying in ${delay} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * Rebuilds a counterparty's trades from the event log, as the judge keeps them: the latest version and
 * what judging the next event needs (the history itself stays in the event log). The execution
 * timestamp, which never changes, comes from the record of version 1.
 */
async function loadTrades(db: pg.Pool, counterparty1: string): Promise<TradeTable> {
  const { rows } = await db.query<{
    trade_key: string; version: number; lifecycle: LifecycleStatus; action_type: string | null;
    event_timestamp: string | null; first_report: Buffer | null;
  }>(
    `SELECT trade_key, version, lifecycle, action_type, event_timestamp,
            CASE WHEN version = 1 THEN report END AS first_report
       FROM event_log WHERE counterparty1 = $1 AND version IS NOT NULL ORDER BY trade_key, version`,
    [counterparty1],
  );
  const trades = new TradeTable();
  let executionTimestamp: string | undefined;
  let lastEventTimestamp: string | undefined;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.version === 1) {
      executionTimestamp = r.first_report ? SwapReport.decode(r.first_report).executionTimestamp : undefined;
      lastEventTimestamp = undefined;
    }
    const eventTimestamp = r.event_timestamp ?? undefined;
    if (eventTimestamp && (!lastEventTimestamp || compareTimestamps(eventTimestamp, lastEventTimestamp) > 0)) lastEventTimestamp = eventTimestamp;
    if (rows[i + 1]?.trade_key !== r.trade_key) {
      trades.set(r.trade_key, {
        tradeKey: r.trade_key, counterparty1, ...(executionTimestamp ? { executionTimestamp } : {}), status: r.lifecycle,
        version: r.version, ...(lastEventTimestamp ? { lastEventTimestamp } : {}), lastActionType: r.action_type ?? '', history: [],
      });
    }
  }
  return trades;
}

function markInternalError(event: RoutedEvent, err: Error): void {
  event.status = 'rejected';
  event.version = undefined;
  event.lifecycle = undefined;
  event.findings = [{ rule: 'ENGINE-INTERNAL', element: '', path: '', severity: 'error', message: `internal error while judging: ${err.message}` }];
}
