/**
 * An incremental CSV parser (RFC 4180: comma-separated, double-quoted fields with "" as an escaped quote,
 * quoted fields may span lines; CRLF or LF line ends; a UTF-8 BOM is dropped by the caller).
 *
 * Why not csv-parse: its error recovery does not suit "a bad line is one rejected record". After a stray
 * character behind a closing quote it keeps parsing in quoted mode and swallows the following good lines,
 * an unclosed quote swallows the rest of the file, and with CRLF inside a quoted field it reports the wrong
 * line. Here every record carries the line it starts on, and a broken record costs only itself:
 *   - a character other than , or a line end after a closing quote: the record is rejected and parsing
 *     resumes on the next line;
 *   - a quote never closed (at end of input, or not within maxRecordChars): the record is rejected and
 *     parsing resumes on the line after the one it started on;
 *   - a quote inside an unquoted field is kept as a literal character (as most producers mean it);
 *   - blank (empty or whitespace-only) lines are not records.
 * Memory: only the current, incomplete record is kept between pushes (bounded by maxRecordChars).
 */
/** `tooLarge`: rejected for its size alone. */
export type CsvItem = { line: number; fields: string[] } | { line: number; error: string; tooLarge?: true };

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** A record that needs more input before it can be parsed. */
const INCOMPLETE = Symbol('incomplete');

export class CsvParser {
  private buf = '';
  /** Start of the current record in buf, and its line number. */
  private pos = 0;
  private line = 1;
  /** Discarding input up to the next line end (the rest of a rejected line that was not all here yet). */
  private skipping = false;

  constructor(private readonly maxRecordChars = 16 * 1024 * 1024) {}

  /** Feeds text; returns every record completed by it. */
  push(text: string): CsvItem[] {
    if (this.skipping) {
      const nl = text.indexOf('\n');
      if (nl === -1) return [];
      text = text.slice(nl + 1);
      this.skipping = false;
      this.line++;
    }
    this.buf = this.pos === 0 ? this.buf + text : this.buf.slice(this.pos) + text;
    this.pos = 0;
    return this.drain(false);
  }

  /** End of input: returns the last record(s). */
  end(): CsvItem[] {
    const out = this.skipping ? [] : this.drain(true);
    this.skipping = false;
    this.buf = '';
    this.pos = 0;
    return out;
  }

  private drain(final: boolean): CsvItem[] {
    const out: CsvItem[] = [];
    while (this.pos < this.buf.length) {
      const r = this.record(final);
      if (r === INCOMPLETE) break;
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /** Parses one record at pos: the item, undefined for a blank line, or INCOMPLETE (needs more input). */
  private record(final: boolean): CsvItem | undefined | typeof INCOMPLETE {
    const buf = this.buf;
    const n = buf.length;
    const startLine = this.line;
    const fields: string[] = [];
    let i = this.pos;
    let lines = 0; // line ends inside quoted fields so far
    for (;;) {
      // At the start of a field.
      if (i < n && buf.charCodeAt(i) === QUOTE) {
        let value = '';
        let j = i + 1;
        for (;;) {
          const q = buf.indexOf('"', j);
          if (q === -1 || q + 1 >= n) {
            // The closing quote (or the character after it) is not here yet.
            if (!final && n - this.pos <= this.maxRecordChars) return INCOMPLETE;
            if (q !== -1 && final) {
              value += buf.slice(j, q);
              lines += countLf(buf, j, q);
              i = q + 1;
              break;
            }
            return this.unterminated(startLine, final);
          }
          value += buf.slice(j, q);
          lines += countLf(buf, j, q);
          if (buf.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            j = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        fields.push(value);
        const c = i < n ? buf.charCodeAt(i) : -1;
        if (c === COMMA) {
          i++;
          continue;
        }
        if (c === LF || c === -1 || (c === CR && (i + 1 >= n || buf.charCodeAt(i + 1) === LF))) {
          if (c === CR && i + 1 >= n && !final) return INCOMPLETE;
          return this.finish(fields, startLine, lines, c === -1 ? n : c === CR ? i + 2 : i + 1);
        }
        return this.broken(startLine + lines, i, `unexpected character ${JSON.stringify(buf[i])} after the closing quote of field ${fields.length}`);
      }
      // An unquoted field: up to the next comma or line end.
      let j = i;
      while (j < n) {
        const c = buf.charCodeAt(j);
        if (c === COMMA || c === LF) break;
        j++;
      }
      if (j >= n && !final) {
        if (n - this.pos > this.maxRecordChars) return { ...this.broken(startLine + lines, j, `record longer than ${this.maxRecordChars} characters`), tooLarge: true };
        return INCOMPLETE;
      }
      // A CR before the line end (or before the end of the input) belongs to the line end, not the field.
      const end = j > i && buf.charCodeAt(j - 1) === CR && (j >= n || buf.charCodeAt(j) === LF) ? j - 1 : j;
      fields.push(buf.slice(i, end));
      if (j < n && buf.charCodeAt(j) === COMMA) {
        i = j + 1;
        continue;
      }
      return this.finish(fields, startLine, lines, j < n ? j + 1 : n);
    }
  }

  private finish(fields: string[], startLine: number, lines: number, next: number): CsvItem | undefined {
    this.pos = next;
    // The record's own line end counts one line (the last record may lack one).
    this.line = startLine + lines + (this.buf.charCodeAt(next - 1) === LF ? 1 : 0);
    if (fields.length === 1 && fields[0]!.trim() === '' && lines === 0) return undefined; // blank line
    return { line: startLine, fields };
  }

  /** Rejects the record at startLine and skips the rest of the physical line where the fault is. */
  private broken(faultLine: number, at: number, message: string): CsvItem {
    const startLine = this.line;
    this.skipLine(at, faultLine);
    return { line: startLine, error: message };
  }

  /** Moves past the line end after `at` (on line `line`), or skips to it in later input if it is not here yet. */
  private skipLine(at: number, line: number): void {
    const nl = this.buf.indexOf('\n', at);
    this.pos = nl === -1 ? this.buf.length : nl + 1;
    this.line = nl === -1 ? line : line + 1;
    this.skipping = nl === -1;
  }

  /** A quote opened at startLine that never closes: reject that record and resume on the next line. */
  private unterminated(startLine: number, final: boolean): CsvItem {
    this.skipLine(this.pos, startLine);
    const why = final ? 'before the end of the file' : `within ${this.maxRecordChars} characters`;
    return { line: startLine, error: `a quoted field is not closed ${why}` };
  }
}

function countLf(s: string, from: number, to: number): number {
  let k = 0;
  for (let p = s.indexOf('\n', from); p !== -1 && p < to; p = s.indexOf('\n', p + 1)) k++;
  return k;
}
