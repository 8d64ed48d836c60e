/** What the store persists for one event: a row of event_log and its rows of finding. */
export type StoredStatus = 'accepted' | 'accepted_with_warnings' | 'rejected';
export type Lifecycle = 'live' | 'errored' | 'terminated';

export interface StoredFinding {
  rule: string;
  element: string;
  path: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface StoredEvent {
  sourceId: string;
  seq: number;
  receivedAtMs: number;
  tradeKey: string | undefined;
  counterparty1: string | undefined;
  actionType: string | undefined;
  eventTimestamp: string | undefined;
  status: StoredStatus;
  /** The trade version the event made, when the trade actor applied it. */
  version: number | undefined;
  lifecycle: Lifecycle | undefined;
  /** The SwapReport protobuf bytes exactly as received. */
  report: Uint8Array;
  findings: readonly StoredFinding[];
  /** Told once the event is durable (the ingest side uses it to acknowledge); the store ignores it otherwise. */
  receipt: DurableReceipt | undefined;
}

export interface DurableReceipt {
  settle(event: Pick<StoredEvent, 'seq' | 'status' | 'findings'>): void;
}
