/**
 * CSV cells. Files written for people (rejects files, scheduled reports, console downloads) use csvCell: safe to
 * open in a spreadsheet, and quoted per RFC 4180. What goes to a repository (submission batches) uses rfc4180Field:
 * the repository reads values as data, and a changed value would be a misreported one.
 *
 * Formula injection: a spreadsheet runs a cell that starts with = + - @ (or a tab or CR, which some treat the
 * same) as a formula, and a report can carry text a counterparty chose. Such a cell gets a leading `'`, which
 * spreadsheets take as "text" and do not show. A plain number (-5, +0.25, -1.25E3) is left alone: it cannot be a
 * formula, and negative amounts must stay numbers for whoever reads the file.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Anything csvCell may have to change: one test on the hot path (a report file writes millions of cells). */
const NEEDS_WORK = /^[=+\-@\s]|[",\r\n]|\s$/;

/** `v` with a leading `'` when a spreadsheet would take it as a formula; unchanged otherwise. */
export function neutraliseFormula(v: string): string {
  return FORMULA_START.test(v) && !PLAIN_NUMBER.test(v) ? `'${v}` : v;
}

/** RFC 4180 field, value unchanged: quoted only when it holds a comma, quote, CR or LF. */
export function rfc4180Field(v: string): string {
  if (!/[",\r\n]/.test(v)) return v;
  return '"' + v.replace(/"/g, '""') + '"';
}

/**
 * The cell text of `v`: formula-neutralised, then quoted when it holds a comma, quote, CR or LF, or starts or ends
 * with whitespace (which some readers trim from unquoted fields).
 */
export function csvCell(v: string): string {
  if (!NEEDS_WORK.test(v)) return v;
  const s = neutraliseFormula(v);
  if (!/[",\r\n]/.test(s) && s === s.trim()) return s;
  return '"' + s.replace(/"/g, '""') + '"';
}
