// The shape of the canonical record, read once from the protobuf descriptor image.
//
// Why a descriptor image and not a hand list: swap_report.proto is the single source of truth for ~170 field
// names, JSON names, kinds and nesting; reading them from `buf build` output keeps the JSON codec, the
// generated ts-proto types and the .proto from drifting apart. This is the only module of engine/record that
// does I/O, and only at load time (one small synchronous read).
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFileRegistry, fromBinary, getOption, ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';

export type { FieldKind, FieldSpec, MessageSpec } from './schema-types.js';
import type { FieldKind, FieldSpec, MessageSpec } from './schema-types.js';

export const SWAP_REPORT_TYPE = 'swaprep.record.SwapReport';
const DECIMAL_OPTION = 'swaprep.record.decimal_text';
const STRUCT_TYPE = 'google.protobuf.Struct';
const DESCRIPTOR_IMAGE = 'proto/gen/descriptors.binpb';

/** The project root: the nearest directory at or above this module that holds package.json (works from src and dist). */
export function findProjectRoot(startUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(startUrl));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(startUrl)}`);
    dir = parent;
  }
}

/**
 * ts-proto's property naming (its `snakeToCamel`, default option snakeToCamel=keys,json): split on '_', keep each
 * word's case as written when the name has any lower-case letter, upper-case the first letter of every word but
 * the first. Replicated here so the codec writes the properties the generated interfaces declare.
 */
export function tsProtoPropertyName(protoName: string): string {
  if (!protoName.includes('_')) return protoName;
  const hasLower = /[a-z]/.test(protoName);
  return protoName
    .split('_')
    .map((word, i) => {
      const w = hasLower ? word : word.toLowerCase();
      return i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1);
    })
    .join('');
}

function loadRegistry(root: string) {
  const path = join(root, DESCRIPTOR_IMAGE);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: run \`npm run build:proto\` first (${(e as Error).message})`);
  }
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
}

/** Builds the MessageSpec tree for `rootType` (memoised per message, so shared messages like PriceFormat are one object). */
export function buildSchema(root: string = findProjectRoot(), rootType: string = SWAP_REPORT_TYPE): MessageSpec {
  const registry = loadRegistry(root);
  const decimalOption = registry.getExtension(DECIMAL_OPTION);
  if (!decimalOption) throw new Error(`${DESCRIPTOR_IMAGE} lacks the ${DECIMAL_OPTION} option: stale image?`);
  const desc = registry.getMessage(rootType);
  if (!desc) throw new Error(`${DESCRIPTOR_IMAGE} lacks ${rootType}`);

  const done = new Map<string, MessageSpec>();
  const isDecimal = (f: DescField): boolean => getOption(f, decimalOption) === true;

  const visit = (m: DescMessage): MessageSpec => {
    const seen = done.get(m.typeName);
    if (seen) return seen;
    const fields: FieldSpec[] = [];
    const spec: MessageSpec = { typeName: m.typeName, fields };
    done.set(m.typeName, spec); // before the fields: a message may (indirectly) contain itself
    for (const f of m.fields) fields.push(fieldSpec(m, f));
    return spec;
  };

  const fieldSpec = (m: DescMessage, f: DescField): FieldSpec => {
    const where = `${m.typeName}.${f.name}`;
    const base = { jsonName: f.jsonName, prop: tsProtoPropertyName(f.name), number: f.number };
    // Only the field shapes the record uses are supported; anything else is a schema change the codec must learn.
    const scalarKind = (scalar: ScalarType | undefined): FieldKind => {
      if (scalar === ScalarType.STRING) return isDecimal(f) ? 'decimal' : 'text';
      if (scalar === ScalarType.BOOL) return 'bool';
      if (scalar === ScalarType.INT32) return 'int32';
      throw new Error(`${where}: unsupported scalar type ${String(scalar)}`);
    };
    const messageKind = (msg: DescMessage): Pick<FieldSpec, 'kind' | 'message'> =>
      msg.typeName === STRUCT_TYPE ? { kind: 'struct' } : { kind: 'message', message: visit(msg) };
    switch (f.fieldKind) {
      case 'scalar':
        return { ...base, repeated: false, kind: scalarKind(f.scalar) };
      case 'message':
        return { ...base, repeated: false, ...messageKind(f.message) };
      case 'list':
        if (f.listKind === 'scalar') return { ...base, repeated: true, kind: scalarKind(f.scalar) };
        if (f.listKind === 'message') return { ...base, repeated: true, ...messageKind(f.message) };
        throw new Error(`${where}: unsupported list kind ${f.listKind}`);
      default:
        throw new Error(`${where}: unsupported field kind ${f.fieldKind} (the record uses no enums, maps or oneofs)`);
    }
  };

  return visit(desc);
}
