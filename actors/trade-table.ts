import { NO_HISTORY, type LifecycleStatus, type TradeState } from '../engine/rules/index.js';
import { StringCodes } from '../engine/string-codes.js';
import { widened } from '../engine/typed-arrays.js';
import { TradeKeys } from './trade-keys.js';

/** What a judge needs of a counterparty's trades: a Map<string, TradeState> is one; TradeTable is the compact one. */
export interface TradeStates {
  get(tradeKey: string): TradeState | undefined;
  set(tradeKey: string, state: TradeState): void;
}

const STATUSES: readonly LifecycleStatus[] = ['live', 'errored', 'terminated'];
const STATUS_CODE: Record<LifecycleStatus, number> = { live: 0, errored: 1, terminated: 2 };
const INITIAL_CAPACITY = 16;

/**
 * Timestamps in the spec's layout `YYYY-MM-DDThh:mm:ss[.f{1,9}]Z` kept as their digits: YYYYMMDD and hhmmss as two
 * integers, the fraction's digits as a third and its length in a byte, 13 bytes instead of a 32-byte text slot. The
 * digits come back verbatim, so every value in the layout, calendar-valid or not, is returned exactly as given;
 * anything else (another layout, a long fraction) goes to a side map.
 */
class TimestampColumn {
  private static readonly ABSENT = 255;
  private static readonly OVERFLOW = 254;
  /** Character positions of the 8 date digits, the 6 time digits and, for each fraction length, the fraction's. */
  private static readonly DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9];
  private static readonly TIME_DIGITS = [11, 12, 14, 15, 17, 18];
  private static readonly FRACTION_DIGITS = Array.from({ length: 10 }, (_, digits) => Array.from({ length: digits }, (_, i) => 20 + i));
  /** Character codes of the layout for each fraction length, reused by get() (the separators never change). */
  private static readonly texts = Array.from({ length: 10 }, (_, digits) =>
    Array.from(digits === 0 ? '0000-00-00T00:00:00Z' : `0000-00-00T00:00:00.${'0'.repeat(digits)}Z`, (c) => c.charCodeAt(0)));
  private dates: Uint32Array;
  private times: Uint32Array;
  private fractions: Uint32Array;
  /** Fraction digits (0 to 9), or ABSENT / OVERFLOW. */
  private codes: Uint8Array;
  private readonly overflow = new Map<number, string>();

  constructor(capacity: number) {
    this.dates = new Uint32Array(capacity);
    this.times = new Uint32Array(capacity);
    this.fractions = new Uint32Array(capacity);
    this.codes = new Uint8Array(capacity).fill(TimestampColumn.ABSENT);
  }

  grow(capacity: number): void {
    this.dates = widened(this.dates, capacity);
    this.times = widened(this.times, capacity);
    this.fractions = widened(this.fractions, capacity);
    const codes = new Uint8Array(capacity).fill(TimestampColumn.ABSENT);
    codes.set(this.codes);
    this.codes = codes;
  }

  set(slot: number, s: string | undefined): void {
    if (this.overflow.size > 0) this.overflow.delete(slot);
    if (s === undefined) {
      this.codes[slot] = TimestampColumn.ABSENT;
      return;
    }
    const digits = fractionDigits(s);
    const date = digits < 0 ? -1 : digitsAt(s, TimestampColumn.DATE_DIGITS);
    const time = date < 0 ? -1 : digitsAt(s, TimestampColumn.TIME_DIGITS);
    const fraction = time < 0 ? -1 : digitsAt(s, TimestampColumn.FRACTION_DIGITS[digits]!);
    if (fraction >= 0) {
      this.dates[slot] = date;
      this.times[slot] = time;
      this.fractions[slot] = fraction;
      this.codes[slot] = digits;
      return;
    }
    this.codes[slot] = TimestampColumn.OVERFLOW;
    this.overflow.set(slot, s);
  }

  get(slot: number): string | undefined {
    const digits = this.codes[slot]!;
    if (digits === TimestampColumn.ABSENT) return undefined;
    if (digits === TimestampColumn.OVERFLOW) return this.overflow.get(slot);
    const text = TimestampColumn.texts[digits]!;
    writeDigits(text, TimestampColumn.DATE_DIGITS, this.dates[slot]!);
    writeDigits(text, TimestampColumn.TIME_DIGITS, this.times[slot]!);
    writeDigits(text, TimestampColumn.FRACTION_DIGITS[digits]!, this.fractions[slot]!);
    // One short string from char codes: a native call per short string (Buffer.toString) was 3% of the main thread
    // in a replay profile.
    return String.fromCharCode.apply(String, text);
  }
}

/** The decimal digits of s at `positions` as one integer, or -1 when one is not a digit. */
function digitsAt(s: string, positions: readonly number[]): number {
  let v = 0;
  for (let i = 0; i < positions.length; i++) {
    const d = s.charCodeAt(positions[i]!) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Writes v's decimal digits (zero-padded) at `positions` of the char codes in `text`. */
function writeDigits(text: number[], positions: readonly number[], v: number): void {
  for (let i = positions.length - 1; i >= 0; i--) {
    const rest = (v / 10) >>> 0;
    text[positions[i]!] = 48 + v - rest * 10;
    v = rest;
  }
}

/** Fraction digits of a timestamp with the layout's separators (0 for `...ssZ`), or -1 for another layout. */
function fractionDigits(s: string): number {
  const n = s.length;
  if (n < 20 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58 || s.charCodeAt(n - 1) !== 90) return -1;
  if (n === 20) return 0;
  return n >= 22 && n <= 30 && s.charCodeAt(19) === 46 ? n - 21 : -1;
}

/**
 * A counterparty actor's live trades, stored by column. A Map of TradeState objects held four heap objects per trade
 * (the state, its key and two timestamps) for the GC to trace on every full collection, and those pauses grew with the
 * trades held: at a million trades they were the engine's acknowledgement-latency tail. Here a trade is a slot number
 * (trade-keys.ts), and its key and fields are in typed arrays outside the V8 heap. get() builds a short-lived
 * TradeState (cheap young-generation garbage); set() writes its fields back. Hand-written because
 * no npm package offers string-keyed columnar records; it holds only what judging the next event needs (TradeState
 * without history: the history is in the event log).
 */
export class TradeTable implements TradeStates {
  private readonly keys = new TradeKeys();
  private capacity = INITIAL_CAPACITY;
  private versions = new Int32Array(INITIAL_CAPACITY);
  private statuses = new Uint8Array(INITIAL_CAPACITY);
  private actionCodes = new Uint32Array(INITIAL_CAPACITY);
  private counterpartyCodes = new Uint32Array(INITIAL_CAPACITY);
  private readonly actions = new StringCodes();
  private readonly counterparties = new StringCodes();
  private readonly executionTimestamps = new TimestampColumn(INITIAL_CAPACITY);
  private readonly lastEventTimestamps = new TimestampColumn(INITIAL_CAPACITY);

  get size(): number {
    return this.keys.size;
  }

  get(tradeKey: string): TradeState | undefined {
    const slot = this.keys.find(tradeKey);
    if (slot < 0) return undefined;
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
    const slot = this.keys.findOrAdd(tradeKey);
    if (slot === this.capacity) this.grow();
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
