import { NO_HISTORY, type LifecycleStatus, type TradeState } from '../engine/rules/index.js';
import { StringCodes } from '../engine/string-codes.js';
import { widened } from '../engine/typed-arrays.js';
import { asciiString } from '../engine/record/decode-report.js';

/** What a judge needs of a counterparty's trades: a Map<string, TradeState> is one; TradeTable is the compact one. */
export interface TradeStates {
  get(tradeKey: string): TradeState | undefined;
  set(tradeKey: string, state: TradeState): void;
}

const STATUSES: readonly LifecycleStatus[] = ['live', 'errored', 'terminated'];
const STATUS_CODE: Record<LifecycleStatus, number> = { live: 0, errored: 1, terminated: 2 };
const INITIAL_CAPACITY = 16;

/**
 * Short ASCII strings (timestamps) in fixed-width byte slots; anything longer or non-ASCII in a side map. The
 * common case costs the GC nothing: the bytes live in an ArrayBuffer, not in string objects.
 */
class TextColumn {
  private static readonly WIDTH = 32; // asciiString reads up to 32 bytes; an ISO timestamp with offset and microseconds has 32
  private static readonly ABSENT = 255;
  private static readonly OVERFLOW = 254;
  private bytes: Buffer;
  private lengths: Uint8Array;
  private readonly overflow = new Map<number, string>();

  constructor(capacity: number) {
    this.bytes = Buffer.alloc(capacity * TextColumn.WIDTH);
    this.lengths = new Uint8Array(capacity).fill(TextColumn.ABSENT);
  }

  grow(capacity: number): void {
    const bytes = Buffer.alloc(capacity * TextColumn.WIDTH);
    this.bytes.copy(bytes);
    this.bytes = bytes;
    const lengths = new Uint8Array(capacity).fill(TextColumn.ABSENT);
    lengths.set(this.lengths);
    this.lengths = lengths;
  }

  set(slot: number, s: string | undefined): void {
    if (this.overflow.size > 0) this.overflow.delete(slot);
    if (s === undefined) {
      this.lengths[slot] = TextColumn.ABSENT;
      return;
    }
    const at = slot * TextColumn.WIDTH;
    if (s.length <= TextColumn.WIDTH) {
      let ascii = true;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) {
          ascii = false;
          break;
        }
        this.bytes[at + i] = c;
      }
      if (ascii) {
        this.lengths[slot] = s.length;
        return;
      }
    }
    this.lengths[slot] = TextColumn.OVERFLOW;
    this.overflow.set(slot, s);
  }

  get(slot: number): string | undefined {
    const len = this.lengths[slot]!;
    if (len === TextColumn.ABSENT) return undefined;
    if (len === TextColumn.OVERFLOW) return this.overflow.get(slot);
    const at = slot * TextColumn.WIDTH;
    // Not bytes.toString('latin1'): a native call per short string was 3% of the main thread in a replay profile.
    return asciiString(this.bytes, at, at + len)!;
  }
}

/**
 * A counterparty actor's live trades, stored by column. A Map of TradeState objects held four heap objects per trade
 * (the state, its key and two timestamps) for the GC to trace on every full collection, and those pauses grew with the
 * trades held: at a million trades they were the engine's acknowledgement-latency tail. Here a trade is one key string
 * and a slot number in the index; its fields are in typed arrays and fixed-width byte slots outside the V8 heap. get()
 * builds a short-lived TradeState (cheap young-generation garbage); set() writes its fields back. Hand-written because
 * no npm package offers string-keyed columnar records; it holds only what judging the next event needs (TradeState
 * without history: the history is in the event log).
 */
export class TradeTable implements TradeStates {
  private readonly slots = new Map<string, number>();
  private capacity = INITIAL_CAPACITY;
  private versions = new Int32Array(INITIAL_CAPACITY);
  private statuses = new Uint8Array(INITIAL_CAPACITY);
  private actionCodes = new Uint32Array(INITIAL_CAPACITY);
  private counterpartyCodes = new Uint32Array(INITIAL_CAPACITY);
  private readonly actions = new StringCodes();
  private readonly counterparties = new StringCodes();
  private readonly executionTimestamps = new TextColumn(INITIAL_CAPACITY);
  private readonly lastEventTimestamps = new TextColumn(INITIAL_CAPACITY);

  get size(): number {
    return this.slots.size;
  }

  get(tradeKey: string): TradeState | undefined {
    const slot = this.slots.get(tradeKey);
    if (slot === undefined) return undefined;
    return {
      tradeKey,
      counterparty1: this.counterparties.value(this.counterpartyCodes[slot]!),
      executionTimestamp: this.executionTimestamps.get(slot),
      status: STATUSES[this.statuses[slot]!]!,
      version: this.versions[slot]!,
      lastEventTimestamp: this.lastEventTimestamps.get(slot),
      lastActionType: this.actions.value(this.actionCodes[slot]!) ?? '',
      history: NO_HISTORY,
    };
  }

  set(tradeKey: string, state: TradeState): void {
    let slot = this.slots.get(tradeKey);
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot === this.capacity) this.grow();
      this.slots.set(tradeKey, slot);
    }
    this.versions[slot] = state.version;
    this.statuses[slot] = STATUS_CODE[state.status];
    this.actionCodes[slot] = this.actions.code(state.lastActionType);
    this.counterpartyCodes[slot] = this.counterparties.code(state.counterparty1);
    this.executionTimestamps.set(slot, state.executionTimestamp);
    this.lastEventTimestamps.set(slot, state.lastEventTimestamp);
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.versions = widened(this.versions, capacity);
    this.statuses = widened(this.statuses, capacity);
    this.actionCodes = widened(this.actionCodes, capacity);
    this.counterpartyCodes = widened(this.counterpartyCodes, capacity);
    this.executionTimestamps.grow(capacity);
    this.lastEventTimestamps.grow(capacity);
    this.capacity = capacity;
  }
}
