/**
 * The search prompt's query language, parsed without I/O:
 *
 *   status:nacked cp:5299… since:2024-04-01 until:2024-05-01 notional>1e9 uti:ABC123 product:InterestRate source:fep1
 *
 * Terms are separated by spaces and combined with AND. A term is `field op value` with op `:` or `=` (equals;
 * `cp:` and `uti:` values ending in `*` or `…` match a prefix) or, for notional, `>`, `>=`, `<`, `<=`. Values
 * may be double-quoted. A bare word is a UTI, or a counterparty prefix when it looks like one. Every error names
 * the token and where it starts.
 */
import { TRADE_STATUSES, type ParsedQuery, type QueryField, type QueryOp, type QueryTerm } from '../../api/contract.js';

export class QueryError extends Error {
  constructor(message: string, readonly token: string, readonly at: number) {
    super(message);
  }
}

const FIELDS: Record<string, QueryField> = {
  status: 'status', cp: 'cp', counterparty: 'cp', counterparty1: 'cp', uti: 'uti', product: 'product',
  since: 'since', from: 'since', until: 'until', to: 'until', notional: 'notional', source: 'source',
};
const TERM = /^([A-Za-z][A-Za-z0-9]*)(>=|<=|:|=|>|<)(.*)$/s;
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const MAX_TERMS = 20;

/** Splits q into tokens with their offsets; double quotes group spaces into one value. */
function tokenize(q: string): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  let i = 0;
  while (i < q.length) {
    while (i < q.length && /\s/.test(q[i]!)) i++;
    if (i >= q.length) break;
    const start = i;
    let inQuote = false;
    while (i < q.length && (inQuote || !/\s/.test(q[i]!))) {
      if (q[i] === '"') inQuote = !inQuote;
      i++;
    }
    const text = q.slice(start, i);
    if (inQuote) throw new QueryError(`unterminated quote in "${text}"`, text, start);
    out.push({ text, at: start });
  }
  return out;
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

export function parseQuery(q: string): ParsedQuery {
  if (q.length > 2000) throw new QueryError('the query is longer than 2000 characters', q.slice(0, 20), 0);
  const tokens = tokenize(q);
  if (tokens.length > MAX_TERMS) throw new QueryError(`at most ${MAX_TERMS} terms`, tokens[MAX_TERMS]!.text, tokens[MAX_TERMS]!.at);
  const terms: QueryTerm[] = [];
  const seen = new Set<QueryField>();
  for (const t of tokens) {
    const m = TERM.exec(t.text);
    let term: QueryTerm;
    if (!m || t.text.startsWith('"')) {
      const value = unquote(t.text);
      if (value.includes('"')) throw new QueryError(`stray quote in "${t.text}"`, t.text, t.at);
      // A bare word: an LEI-looking prefix (digits and capitals, ending in * or …) is a counterparty, else a UTI.
      term = { field: /^[0-9A-Z]{4,19}[*…]$/.test(value) ? 'cp' : 'uti', op: ':', value, at: t.at, text: t.text };
    } else {
      const field = FIELDS[m[1]!.toLowerCase()];
      if (!field) throw new QueryError(`unknown field "${m[1]}" (known: ${[...new Set(Object.values(FIELDS))].join(', ')})`, t.text, t.at);
      const op = m[2] as QueryOp;
      const value = unquote(m[3]!);
      if (value === '') throw new QueryError(`"${t.text}" has no value`, t.text, t.at);
      term = { field, op, value, at: t.at, text: t.text };
    }
    check(term);
    if (term.field !== 'notional' && seen.has(term.field)) throw new QueryError(`${term.field} is given twice`, t.text, t.at);
    seen.add(term.field);
    terms.push(term);
  }
  return { terms, canonical: terms.map(canonicalTerm).join(' ') };
}

function check(t: QueryTerm): void {
  const fail = (why: string) => {
    throw new QueryError(why, t.text, t.at);
  };
  const comparison = t.op === '>' || t.op === '>=' || t.op === '<' || t.op === '<=';
  if (t.field === 'notional') {
    if (!NUMBER.test(t.value)) fail(`notional needs a number, not "${t.value}"`);
    if (!Number.isFinite(Number(t.value))) fail(`notional "${t.value}" is out of range`);
    return;
  }
  if (comparison) fail(`${t.field} takes ":" (only notional compares with ${t.op})`);
  switch (t.field) {
    case 'status':
      if (!(TRADE_STATUSES as readonly string[]).includes(t.value.toLowerCase())) fail(`status "${t.value}" is not one of ${TRADE_STATUSES.join(', ')}`);
      t.value = t.value.toLowerCase();
      return;
    case 'since':
    case 'until':
      if (!DATE.test(t.value) || Number.isNaN(Date.parse(t.value.length === 10 ? t.value + 'T00:00:00Z' : t.value))) fail(`${t.field} needs a date (YYYY-MM-DD) or an ISO timestamp, not "${t.value}"`);
      return;
    default:
      if (t.value.length > 200) fail(`${t.field} value is longer than 200 characters`);
  }
}

function canonicalTerm(t: QueryTerm): string {
  const v = /[\s"]/.test(t.value) ? `"${t.value.replace(/"/g, '')}"` : t.value;
  return `${t.field}${t.op === '=' ? ':' : t.op}${v}`;
}

/** A value ending in `*` or `…` asks for a prefix match; returns the prefix, or undefined for an exact match. */
export function prefixOf(value: string): string | undefined {
  return value.endsWith('*') || value.endsWith('…') ? value.slice(0, -1) : undefined;
}
