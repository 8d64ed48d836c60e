/**
 * The engine's rulebook and record codec, running in the browser: the correction editor validates what the
 * analyst types with exactly the checks the engine will apply (engine/rules compiled here, engine/record's
 * JSON codec with the schema the build exported). Nothing here talks to the server.
 */
import schemaTable from 'swaprep:record-schema';
import { compileRulebook, REGIMES, statusOf, type Finding, type Regime, type Rulebook } from '../../../engine/rules/index.js';
import { createRecordCodec, type JsonIssue, type RecordCodec } from '../../../engine/record/json-codec.js';
import type { FieldKind, FieldSpec, MessageSpec } from '../../../engine/record/schema-types.js';

export type { Finding, Regime };

/** The regime to validate with: the given one when it names a regime, else the engine's default. */
export function regimeOf(value: string | null | undefined, fallback: Regime): Regime {
  return (REGIMES as readonly string[]).includes(value ?? '') ? (value as Regime) : fallback;
}

/** Rebuilds the schema tree from the build's table (messages referenced by type name). */
function schemaFromTable(): MessageSpec {
  const built = new Map<string, MessageSpec>();
  const visit = (typeName: string): MessageSpec => {
    const seen = built.get(typeName);
    if (seen) return seen;
    const row = schemaTable.messages[typeName];
    if (!row) throw new Error(`record schema lacks ${typeName}`);
    const fields: FieldSpec[] = [];
    const spec: MessageSpec = { typeName, fields };
    built.set(typeName, spec);
    for (const f of row.fields) {
      fields.push({ jsonName: f.jsonName, prop: f.prop, number: f.number, repeated: f.repeated, kind: f.kind as FieldKind, ...(f.message ? { message: visit(f.message) } : {}) });
    }
    return spec;
  };
  return visit(schemaTable.root);
}

let codec: RecordCodec | undefined;
const books = new Map<string, Rulebook>();
export type LeiCheck = 'error' | 'warn' | 'off';

export function recordCodec(): RecordCodec {
  return (codec ??= createRecordCodec(recordCodecSchema()));
}

/** One rulebook per regime and LEI strictness (the engine's, from GET /api/elements), compiled on first use (a few ms). */
export function rulebook(regime: Regime, leiCheck: LeiCheck): Rulebook {
  const key = `${regime}/${leiCheck}`;
  let b = books.get(key);
  if (!b) books.set(key, (b = compileRulebook({ regime, leiCheck })));
  return b;
}

export interface RecordCheck {
  /** Structural problems (unknown field, wrong JSON type): the record cannot be judged until they are fixed. */
  issues: JsonIssue[];
  findings: Finding[];
  status: 'accepted' | 'accepted_with_warnings' | 'rejected' | 'invalid';
}

/** Judges a flat DRR-shaped record as the engine's stateless rulebook would. */
export function checkRecord(record: Record<string, unknown>, regime: Regime, leiCheck: LeiCheck): RecordCheck {
  const decoded = recordCodec().reportFromJson(record);
  if (!decoded.ok) return { issues: decoded.issues, findings: [], status: 'invalid' };
  const findings = rulebook(regime, leiCheck).validate(decoded.report);
  return { issues: [], findings, status: statusOf(findings) };
}

/**
 * The record's JSON path for a rulebook path (property names, as engine/rules writes them): they differ where
 * ts-proto renamed a field (DRR's `barrier._single` is the property `barrier.single`). `[]` and `[3]` kept.
 */
export function jsonPathOf(propPath: string): string {
  let spec: MessageSpec | undefined = recordCodecSchema();
  const out: string[] = [];
  for (const part of propPath.split('.')) {
    const m = /^([^[]+)(\[\d*\])?$/.exec(part);
    const name = m?.[1] ?? part;
    const field: FieldSpec | undefined = spec?.fields.find((f) => f.prop === name);
    out.push((field?.jsonName ?? name) + (m?.[2] ?? ''));
    spec = field?.message;
  }
  return out.join('.');
}

let schemaTree: MessageSpec | undefined;
function recordCodecSchema(): MessageSpec {
  return (schemaTree ??= schemaFromTable());
}

/** The schema field a rulebook path names (indexes and `[]` ignored), or undefined. */
export function schemaFieldAt(propPath: string): FieldSpec | undefined {
  let spec: MessageSpec | undefined = recordCodecSchema();
  let field: FieldSpec | undefined;
  for (const part of propPath.split('.')) {
    const name = part.replace(/\[\d*\]$/, '');
    field = spec?.fields.find((f) => f.prop === name);
    if (!field) return undefined;
    spec = field.message;
  }
  return field;
}
