/** Messages between ScoringService (the engine's main thread) and the scoring thread. */
import type { ScoringStats } from './scoring-core.js';
import type { TopFeature } from './explain.js';

/** A flagged event, as the engine hears of it (its review item is already stored). */
export interface FlaggedEvent {
  sourceId: string;
  seq: number;
  tradeKey: string | undefined;
  versionId: string;
  score: number;
  topFeatures: TopFeature[];
}

export type FromService =
  /** Packed events (event-pack.ts) and the durable watermark of their sources (see arrival-order.ts). */
  | { type: 'events'; buffer: ArrayBuffer; sourceIds: string[]; watermarks: number[] }
  | { type: 'activate'; id: number; versionId: string }
  | { type: 'flush'; id: number }
  | { type: 'stop'; id: number };

export type ToService =
  | { type: 'ready'; stats: ScoringStats; activeVersion: string | undefined }
  | { type: 'startFailed'; error: string }
  /** `received`: events unpacked so far; `written`: events whose result is stored (sweeps included). */
  | { type: 'progress'; received: number; written: number; stats: ScoringStats & { activeVersion?: string } }
  | { type: 'flagged'; events: FlaggedEvent[] }
  | { type: 'reply'; id: number; error?: string };
