/**
 * Splits a JSON file into its records without parsing the whole file: the file may be one record (a JSON
 * object), an array of records, or several top-level values one after the other. The splitter only tracks
 * brackets and strings to find where each value starts and ends; each value's text is then parsed strictly
 * by the record decoder. A record's line is the line its value starts on.
 *
 * It is lenient about what lies between values (a missing or doubled comma, a trailing comma, a missing
 * final bracket is reported once) because those faults do not make any record ambiguous. A value that
 * never closes is one rejected record at its start line. Memory: only the current value is buffered, and a
 * value over maxChars is skipped (reported, not kept), so a 10 GB file needs no more memory than a small one.
 */
export type JsonItem = { line: number; text: string } | { line: number; error: string };

const QUOTE = 34;
const BACKSLASH = 92;
const LF = 10;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;

const isWs = (c: number) => c === 32 || c === LF || c === 13 || c === 9;
/** Characters that end a bare (unquoted, unbracketed) value such as a number or a stray word. */
const endsBare = (c: number) => isWs(c) || c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE || c === OPEN_BRACE || c === OPEN_BRACKET || c === QUOTE;

export class JsonSplitter {
  private buf = '';
  private pos = 0;
  private line = 1;
  /** Inside the top-level array. */
  private inArray = false;
  /** Where the open array started (for the "not closed" report). */
  private arrayLine = 0;
  // The value being scanned: its start in buf (-1 when skipping an oversize one), line, bracket depth.
  private inValue = false;
  private start = 0;
  private startLine = 0;
  private depth = 0;
  private oversize = false;

  constructor(private readonly maxChars = 16 * 1024 * 1024) {}

  push(text: string): JsonItem[] {
    const keep = this.inValue && !this.oversize ? this.start : this.pos;
    this.buf = this.buf.slice(keep) + text;
    this.pos -= keep;
    if (this.inValue && !this.oversize) this.start -= keep;
    return this.scan(false);
  }

  end(): JsonItem[] {
    const out = this.scan(true);
    if (this.inValue) {
      out.push({ line: this.startLine, error: `the JSON value starting here is not closed before the end of the file${this.oversize ? ` (and is larger than ${this.maxChars} characters)` : ''}` });
    } else if (this.inArray) {
      out.push({ line: this.line, error: `the top-level array opened on line ${this.arrayLine} is not closed: the file may be truncated` });
    }
    this.buf = '';
    this.pos = 0;
    this.inValue = false;
    this.inArray = false;
    return out;
  }

  private scan(final: boolean): JsonItem[] {
    const out: JsonItem[] = [];
    const buf = this.buf;
    const n = buf.length;
    let i = this.pos;
    while (i < n) {
      if (!this.inValue) {
        const c = buf.charCodeAt(i);
        if (isWs(c)) {
          if (c === LF) this.line++;
          i++;
        } else if (c === COMMA && this.inArray) {
          i++;
        } else if (c === CLOSE_BRACKET && this.inArray) {
          this.inArray = false;
          i++;
        } else if (c === OPEN_BRACKET && !this.inArray) {
          this.inArray = true;
          this.arrayLine = this.line;
          i++;
        } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COMMA) {
          out.push({ line: this.line, error: `unexpected ${JSON.stringify(buf[i])} where a record should start` });
          i++;
        } else {
          this.inValue = true;
          this.oversize = false;
          this.start = i;
          this.startLine = this.line;
          this.depth = 0;
          if (c === OPEN_BRACE || c === OPEN_BRACKET) {
            this.depth = 1;
            i++;
          } else if (c === QUOTE) {
            const j = this.stringEnd(i + 1);
            if (j === -1) break;
            i = j + 1;
            this.emit(out, i);
          } else {
            let j = i + 1;
            while (j < n && !endsBare(buf.charCodeAt(j))) j++;
            if (j >= n && !final) break;
            i = j;
            this.emit(out, i);
          }
        }
        continue;
      }
      // Inside an object or array value.
      const c = buf.charCodeAt(i);
      if (c === QUOTE) {
        const j = this.stringEnd(i + 1);
        if (j === -1) {
          i = this.pos; // resume at the string when more text comes
          break;
        }
        i = j + 1;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        this.depth++;
        i++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.depth--;
        i++;
        if (this.depth === 0) this.emit(out, i);
      } else {
        if (c === LF) this.line++;
        i++;
      }
      this.pos = i;
    }
    this.pos = Math.min(i, n);
    if (this.inValue && !this.oversize && this.pos - this.start > this.maxChars) {
      // Too large to keep: scan on to its end without buffering it.
      this.oversize = true;
    }
    return out;
  }

  /** Index of the quote closing a string whose content starts at `from` (counting its line ends), or -1 if not here yet. */
  private stringEnd(from: number): number {
    const buf = this.buf;
    let j = buf.indexOf('"', from);
    while (j !== -1) {
      let k = j - 1;
      while (buf.charCodeAt(k) === BACKSLASH) k--;
      if ((j - 1 - k) % 2 === 0) break;
      j = buf.indexOf('"', j + 1);
    }
    if (j === -1) return -1;
    // Valid JSON strings hold no raw line ends, but broken ones may: keep line numbers right.
    for (let p = buf.indexOf('\n', from); p !== -1 && p < j; p = buf.indexOf('\n', p + 1)) this.line++;
    return j;
  }

  private emit(out: JsonItem[], end: number): void {
    this.inValue = false;
    if (this.oversize) out.push({ line: this.startLine, error: `record larger than ${this.maxChars} characters` });
    else out.push({ line: this.startLine, text: this.buf.slice(this.start, end) });
    this.pos = end;
  }
}
