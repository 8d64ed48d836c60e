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
/** `tooLarge`: rejected for its size alone (it may be well-formed). */
export type JsonItem = { line: number; text: string } | { line: number; error: string; tooLarge?: true };

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
  /** Scanned up to here; the scan is resumable, so it never looks at a character twice. */
  private pos = 0;
  private line = 1;
  /** Inside the top-level array, which opened on arrayLine. */
  private inArray = false;
  private arrayLine = 0;
  // The value being scanned: where it starts in buf and on which line, bracket depth, lexical state.
  private inValue = false;
  private start = 0;
  private startLine = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** A bare token (number, literal, stray word): it ends at whitespace or punctuation. */
  private bare = false;
  /** Larger than maxChars: scanned to its end but not kept. */
  private oversize = false;

  constructor(private readonly maxChars = 16 * 1024 * 1024) {}

  push(text: string): JsonItem[] {
    const keep = this.inValue && !this.oversize ? this.start : this.pos;
    this.buf = keep >= this.buf.length ? text : this.buf.slice(keep) + text;
    this.pos -= keep;
    if (this.inValue && !this.oversize) this.start -= keep;
    return this.scan();
  }

  end(): JsonItem[] {
    const out: JsonItem[] = [];
    if (this.inValue && this.bare) this.emit(out, this.buf.length);
    if (this.inValue) {
      out.push({ line: this.startLine, error: `the JSON value starting here is not closed before the end of the file${this.oversize ? ` (and is larger than ${this.maxChars} characters)` : ''}` });
    } else if (this.inArray) {
      out.push({ line: this.line, error: `the top-level array opened on line ${this.arrayLine} is not closed: the file may be truncated` });
    }
    this.buf = '';
    this.pos = 0;
    this.inValue = this.inArray = this.inString = this.escaped = this.bare = false;
    return out;
  }

  private scan(): JsonItem[] {
    const out: JsonItem[] = [];
    const buf = this.buf;
    const n = buf.length;
    let i = this.pos;
    while (i < n) {
      const c = buf.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.depth === 0) {
            this.emit(out, ++i);
            continue;
          }
        } else if (c === LF) this.line++; // not valid inside a JSON string, but keeps line numbers right
        i++;
      } else if (this.inValue) {
        if (this.bare) {
          if (endsBare(c)) this.emit(out, i); // the delimiter is looked at again, between values
          else i++;
          continue;
        }
        if (c === QUOTE) this.inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          if (--this.depth === 0) {
            this.emit(out, ++i);
            continue;
          }
        } else if (c === LF) this.line++;
        i++;
      } else if (isWs(c)) {
        if (c === LF) this.line++;
        i++;
      } else if (this.inArray && (c === COMMA || c === CLOSE_BRACKET)) {
        if (c === CLOSE_BRACKET) this.inArray = false;
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
        this.depth = c === OPEN_BRACE || c === OPEN_BRACKET ? 1 : 0;
        this.inString = c === QUOTE;
        this.bare = this.depth === 0 && !this.inString;
        i++;
      }
    }
    this.pos = i;
    if (this.inValue && !this.oversize && i - this.start > this.maxChars) this.oversize = true;
    return out;
  }

  private emit(out: JsonItem[], end: number): void {
    this.inValue = false;
    this.bare = false;
    if (this.oversize || end - this.start > this.maxChars) out.push({ line: this.startLine, error: `record larger than ${this.maxChars} characters`, tooLarge: true });
    else out.push({ line: this.startLine, text: this.buf.slice(this.start, end) });
    this.pos = end;
  }
}
