import type { ScannedEvent } from '../engine/ingest/frame-scan.js';
import type { TradeStates } from './trade-table.js';

/** An event on its way from a session to its counterparty actor (admitted: sourceId, receivedAtMs and receipt are set). */
export type RoutedEvent = ScannedEvent;

/**
 * Judges one event against its trade's state: sets the event's status, findings and (when applied)
 * trade version, and updates or adds the trade's entry in `trades` (plain data, keyed by UTI or
 * `USI:` + USI); a rejected event must leave the trades untouched.
 */
export type Judge = (trades: TradeStates, event: RoutedEvent) => void;
