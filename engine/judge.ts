import type { Judge, RoutedEvent, TradeState } from '../actors/routed-event.js';
import type { Lifecycle } from './store/stored-event.js';

/**
 * Decides what becomes of one event: its status, its findings, and the trade's next version.
 * Until the rulebook is wired in, every event is accepted and applied: a trade's state is its latest
 * version (whose full record is the event's event_log row).
 */
export function createJudge(): Judge {
  return (trades: Map<string, TradeState>, event: RoutedEvent): void => {
    event.status = 'accepted';
    if (!event.tradeKey || !event.counterparty1) return;
    const previous = trades.get(event.tradeKey);
    const lifecycle = lifecycleAfter(event.actionType, previous?.lifecycle);
    if (previous) {
      // The trade's state is plain data owned by this actor alone: update it in place.
      previous.version++;
      previous.lifecycle = lifecycle;
      previous.lastActionType = event.actionType;
      previous.lastEventTimestamp = event.eventTimestamp;
      previous.lastSourceId = event.sourceId;
      previous.lastSeq = event.seq;
    } else {
      trades.set(event.tradeKey, {
        tradeKey: event.tradeKey, counterparty1: event.counterparty1, version: 1, lifecycle,
        lastActionType: event.actionType, lastEventTimestamp: event.eventTimestamp, lastSourceId: event.sourceId, lastSeq: event.seq,
      });
    }
    event.version = previous ? previous.version : 1;
    event.lifecycle = lifecycle;
  };
}

function lifecycleAfter(actionType: string | undefined, previous: Lifecycle | undefined): Lifecycle {
  if (actionType === 'EROR') return 'errored';
  if (actionType === 'TERM') return 'terminated';
  if (actionType === 'REVI') return 'live';
  return previous ?? 'live';
}
