/** What the store persists for one event: the row shapes of event_log, trade_version and finding. */
export type StoredStatus = 'accepted' | 'accepted_with_warnings' | 'rejected';

export interface StoredFinding {
  rule: string;
  element: string;
  path: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface StoredTradeVersion {
  tradeKey: string;
  version: number;
  counterparty1: string;
  actionType: string | undefined;
  eventTimestamp: string | undefined;
  lifecycle: 'live' | 'errored' | 'terminated';
}

export interface StoredEvent {
  sourceId: string;
  seq: number;
  receivedAtMs: number;
  tradeKey: string | undefined;
  counterparty1: string | undefined;
  actionType: string | undefined;
  status: StoredStatus;
  /** The SwapReport protobuf bytes exactly as received. */
  report: Uint8Array;
  /** Present when the event was applied to its trade and made a new version. */
  version: StoredTradeVersion | undefined;
  findings: readonly StoredFinding[];
  /** Told once the event is durable (the ingest side uses it to acknowledge); the store ignores it otherwise. */
  receipt: DurableReceipt | undefined;
}

export interface DurableReceipt {
  settle(event: Pick<StoredEvent, 'seq' | 'status' | 'findings'>): void;
}
