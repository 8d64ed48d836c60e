/**
 * Strict validation of request bodies and query parameters with valibot (small, typed, and its issues carry the
 * path of the offending field). Every failure becomes a 400 naming the field.
 */
import * as v from 'valibot';
import { badRequest, jsonBody, type RawRequest } from './http.js';
import { ROLES, type Role } from '../api/contract.js';

type AnySchema = v.GenericSchema<unknown, unknown>;

/** The first issue as one clear sentence: `field "x": expected string, got 1` or `unknown field "x"`. */
function describe(issues: readonly v.BaseIssue<unknown>[], where: string): never {
  const issue = issues[0]!;
  const path = v.getDotPath(issue);
  if (issue.type === 'strict_object' && issue.expected === 'never') {
    throw badRequest(`unknown field "${path}" in the ${where}`, path ?? undefined);
  }
  if (path === null) throw badRequest(`the ${where} must be ${issue.expected === 'Object' ? 'a JSON object' : issue.expected ?? 'valid'}, not ${issue.received}`);
  const message = issue.received === 'undefined' ? `field "${path}" is required (${issue.expected})` : `field "${path}": ${issue.message.replace(/^Invalid \w+: /, '')}`;
  throw badRequest(`${message} in the ${where}`, path);
}

export function parseBody<S extends AnySchema>(req: RawRequest, schema: S): v.InferOutput<S> {
  const r = v.safeParse(schema, jsonBody(req));
  if (!r.success) describe(r.issues, 'request body');
  return r.output;
}

/** Validates query parameters (all strings): unknown names are refused like unknown body fields. */
export function parseQuery<S extends AnySchema>(req: RawRequest, schema: S): v.InferOutput<S> {
  const obj: Record<string, string> = {};
  for (const [k, val] of req.query) {
    if (k in obj) throw badRequest(`query parameter "${k}" is given twice`, k);
    obj[k] = val;
  }
  const r = v.safeParse(schema, obj);
  if (!r.success) describe(r.issues, 'query');
  return r.output;
}

export const str = (max = 200) => v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(max, `must be at most ${max} characters`));
export const role = v.picklist(ROLES as unknown as Role[]);
/** A query-string integer. */
export const qInt = (min: number, max: number) =>
  v.pipe(v.string(), v.regex(/^\d+$/, 'must be a whole number'), v.transform(Number), v.number(), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`));
export const pageQuery = { limit: v.optional(qInt(1, 200)), cursor: v.optional(v.pipe(v.string(), v.maxLength(1000))) };
export const id = v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1, 'must be positive'));

/** A date (YYYY-MM-DD, taken as 00:00 UTC) or an ISO timestamp, as epoch ms. */
export function parseTime(value: string, field: string): Date {
  const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value);
  const t = ok ? Date.parse(value.length === 10 ? value + 'T00:00:00Z' : value) : NaN;
  if (Number.isNaN(t)) throw badRequest(`"${value}" is not a date (YYYY-MM-DD) or an ISO timestamp`, field);
  return new Date(t);
}

export function pathId(raw: string, field = 'id'): number {
  if (!/^\d{1,15}$/.test(raw)) throw badRequest(`"${raw}" is not a numeric id`, field);
  return Number(raw);
}
