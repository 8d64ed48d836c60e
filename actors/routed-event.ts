import type { ScannedEvent } from '../engine/ingest/frame-scan.js';
import type { DurableReceipt, StoredEvent } from '../engine/store/stored-event.js';

/** An event on its way from a session to its counterparty actor. */
export interface RoutedEvent extends ScannedEvent {
  sourceId: string;
  receivedAtMs: number;
  receipt: DurableReceipt | undefined;
}

/** A trade's current state, as plain data owned by its counterparty actor. */
export interface TradeState {
  tradeKey: string;
  counterparty1: string;
  version: number;
  lifecycle: 'live' | 'errored' | 'terminated';
  lastActionType: string | undefined;
  lastEventTimestamp: string | undefined;
  /** The latest accepted record, exactly as received (a private copy, not a view into a socket read). */
  record: Uint8Array;
}

/**
 * Judges one event against its trade's state and returns what to store. It may replace or add the
 * trade's entry in `trades`; a rejected event must leave it untouched.
 */
export type Judge = (trades: Map<string, TradeState>, event: RoutedEvent) => StoredEvent;
