import nact from 'nact';
import type { Judge, RoutedEvent } from './routed-event.js';
import type { TradeTable } from './trade-table.js';
import type { TradeLoader } from './trade-loader.js';
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
  /** Loads a counterparty's trades from the event log when its actor starts (trade-loader.ts: many per query). */
  trades: Pick<TradeLoader, 'load'>;
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
      const trades = state.trades ?? (await loadTradesWithRetry(deps.trades, counterparty1));
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
async function loadTradesWithRetry(loader: CounterpartyDeps['trades'], counterparty1: string): Promise<TradeTable> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await loader.load(counterparty1);
    } catch (err) {
      const delay = Math.min(5_000, 100 * 2 ** attempt);
      log('warn', `loading trades of ${counterparty1} failed, retrying in ${delay} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function markInternalError(event: RoutedEvent, err: Error): void {
  event.status = 'rejected';
  event.version = undefined;
  event.lifecycle = undefined;
  event.findings = [{ rule: 'ENGINE-INTERNAL', element: '', path: '', severity: 'error', message: `internal error while judging: ${err.message}` }];
}
