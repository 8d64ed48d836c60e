import type { Judge, RoutedEvent, TradeState } from '../actors/routed-event.js';
import type { StoredEvent, StoredTradeVersion } from './store/stored-event.js';

/**
 * Decides what becomes of one event: its status, its findings, and the trade's next version.
 * Until the rulebook is wired in, every event is accepted and applied: a trade's state is its latest
 * full record and a version that counts the events applied to it.
 */
export function createJudge(): Judge {
  return (trades: Map<string, TradeState>, event: RoutedEvent): StoredEvent => {
    let version: StoredTradeVersion | undefined;
    if (event.tradeKey && event.counterparty1) {
      const previous = trades.get(event.tradeKey);
      const next: TradeState = {
        tradeKey: event.tradeKey,
        counterparty1: event.counterparty1,
        version: (previous?.version ?? 0) + 1,
        lifecycle: lifecycleAfter(event.actionType, previous?.lifecycle),
        lastActionType: event.actionType,
        lastEventTimestamp: event.eventTimestamp,
        lastSourceId: event.sourceId,
        lastSeq: event.seq,
      };
      trades.set(event.tradeKey, next);
      version = {
        tradeKey: next.tradeKey, version: next.version, counterparty1: next.counterparty1,
        actionType: event.actionType, eventTimestamp: event.eventTimestamp, lifecycle: next.lifecycle,
      };
    }
    return {
      sourceId: event.sourceId, seq: event.seq, receivedAtMs: event.receivedAtMs, tradeKey: event.tradeKey,
      counterparty1: event.counterparty1, actionType: event.actionType, status: 'accepted', report: event.report,
      version, findings: [], receipt: event.receipt,
    };
  };
}

function lifecycleAfter(actionType: string | undefined, previous: TradeState['lifecycle'] | undefined): TradeState['lifecycle'] {
  if (actionType === 'EROR') return 'errored';
  if (actionType === 'TERM') return 'terminated';
  if (actionType === 'REVI') return 'live';
  return previous ?? 'live';
}
