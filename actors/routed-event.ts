import type { ScannedEvent } from '../engine/ingest/frame-scan.js';
import type { Lifecycle } from '../engine/store/stored-event.js';

/** An event on its way from a session to its counterparty actor (admitted: sourceId, receivedAtMs and receipt are set). */
export type RoutedEvent = ScannedEvent;

/**
 * A trade's current state, as plain data owned by its counterparty actor. Its full latest record is
 * the event-log row of `lastSourceId`/`lastSeq` (the `trade_state` view joins them); the actor keeps
 * only what judging the next event needs, so a million live trades fit in memory.
 */
export interface TradeState {
  tradeKey: string;
  counterparty1: string;
  version: number;
  lifecycle: Lifecycle;
  lastActionType: string | undefined;
  lastEventTimestamp: string | undefined;
  lastSourceId: string;
  lastSeq: number;
}

/**
 * Judges one event against its trade's state: sets the event's status, findings and (when applied)
 * trade version, and updates or adds the trade's entry in `trades`; a rejected event must leave the
 * trades untouched.
 */
export type Judge = (trades: Map<string, TradeState>, event: RoutedEvent) => void;
