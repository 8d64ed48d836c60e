// The shape of the canonical record as the JSON codec sees it (types only: no I/O, usable in the browser bundle).

/** What a field holds, as far as the JSON codec cares. */
export type FieldKind =
  | 'text' // proto string: any JSON string (code lists, identifiers, dates...)
  | 'decimal' // proto string marked (decimal_text): JSON number or string, kept as exact decimal text
  | 'bool'
  | 'int32'
  | 'message' // nested record message
  | 'struct'; // google.protobuf.Struct: any JSON object, kept as a plain object

export interface FieldSpec {
  /** Key in the DRR JSON (the field's json_name). */
  readonly jsonName: string;
  /** Property name in the ts-proto generated interface (may differ from jsonName: Barrier `_single` -> `single`). */
  readonly prop: string;
  readonly number: number;
  readonly repeated: boolean;
  readonly kind: FieldKind;
  /** Set when kind is 'message'. */
  readonly message?: MessageSpec;
}

export interface MessageSpec {
  /** Fully qualified protobuf name, e.g. "swaprep.record.Leg". */
  readonly typeName: string;
  /** Fields in .proto declaration order. */
  readonly fields: readonly FieldSpec[];
}
