/**
 * Small helpers over the ONNX messages generated from proto/onnx.proto (ts-proto, @bufbuild/protobuf wire
 * writer), so that each model's exporter reads as its graph: nodes, initializers, inputs and outputs.
 * No Python, no onnx package: a model file is `ModelProto.encode(...)`.
 */
import {
  AttributeProto,
  AttributeProto_AttributeType as AttrType,
  GraphProto,
  ModelProto,
  NodeProto,
  TensorProto,
  TensorProto_DataType as DataType,
  ValueInfoProto,
} from '../../proto/gen/onnx.js';

/** IR version 8 (ONNX 1.10+): old enough for any current ONNX Runtime, new enough for opset 17. */
export const IR_VERSION = 8;
/** Default-domain operator set: ReduceMean still takes `axes` as an attribute here (an input from 18). */
export const OPSET = 17;
/** ai.onnx.ml operator set with TreeEnsembleRegressor's float attributes. */
export const ML_OPSET = 3;
export const ML_DOMAIN = 'ai.onnx.ml';

export type AttrValue = number | string | readonly number[] | readonly string[] | { floats: readonly number[] } | { ints: readonly number[] };

const text = new TextEncoder();

/**
 * One attribute. Plain numbers are INT when integral and FLOAT otherwise, which is ambiguous for a float
 * attribute with an integral value: pass `{ floats: [v] }`-style wrappers, or use `floatAttr`, when it matters.
 */
export function attr(name: string, value: AttrValue): AttributeProto {
  if (typeof value === 'string') return AttributeProto.fromPartial({ name, type: AttrType.STRING, s: text.encode(value) });
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? AttributeProto.fromPartial({ name, type: AttrType.INT, i: value })
      : AttributeProto.fromPartial({ name, type: AttrType.FLOAT, f: value });
  }
  if ('floats' in value) return AttributeProto.fromPartial({ name, type: AttrType.FLOATS, floats: [...value.floats] });
  if ('ints' in value) return AttributeProto.fromPartial({ name, type: AttrType.INTS, ints: [...value.ints] });
  if (value.length > 0 && typeof value[0] === 'string') {
    return AttributeProto.fromPartial({ name, type: AttrType.STRINGS, strings: (value as readonly string[]).map((s) => text.encode(s)) });
  }
  return AttributeProto.fromPartial({ name, type: AttrType.INTS, ints: [...(value as readonly number[])] });
}

export function floatAttr(name: string, value: number): AttributeProto {
  return AttributeProto.fromPartial({ name, type: AttrType.FLOAT, f: value });
}

export function node(opType: string, inputs: string[], outputs: string[], attributes: AttributeProto[] = [], domain = ''): NodeProto {
  return NodeProto.fromPartial({ opType, input: inputs, output: outputs, attribute: attributes, domain, name: `${opType}_${outputs[0] ?? ''}` });
}

/** A float32 constant, stored as raw little-endian bytes. */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`tensor ${name}: ${values.length} values for dims [${dims.join(',')}]`);
  const raw = new Uint8Array(count * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < count; i++) view.setFloat32(i * 4, values[i]!, true);
  return TensorProto.fromPartial({ name, dims, dataType: DataType.FLOAT, rawData: raw });
}

export function int64Tensor(name: string, dims: number[], values: readonly number[]): TensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return TensorProto.fromPartial({ name, dims, dataType: DataType.INT64, rawData: raw });
}

/** A float32 tensor value with dimensions given as numbers or symbolic names ("N" for the batch). */
export function floatValue(name: string, dims: (number | string)[]): ValueInfoProto {
  return ValueInfoProto.fromPartial({
    name,
    type: {
      value: {
        $case: 'tensorType',
        value: {
          elemType: DataType.FLOAT,
          shape: { dim: dims.map((d) => ({ value: typeof d === 'number' ? { $case: 'dimValue' as const, value: d } : { $case: 'dimParam' as const, value: d } })) },
        },
      },
    },
  });
}

export interface ModelSpec {
  name: string;
  doc: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  usesMl?: boolean;
  metadata?: Record<string, string>;
}

/** The encoded .onnx file. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const graph = GraphProto.fromPartial({
    name: spec.name,
    docString: spec.doc,
    node: spec.nodes,
    initializer: spec.initializers,
    input: spec.inputs,
    output: spec.outputs,
  });
  const model = ModelProto.fromPartial({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }, ...(spec.usesMl ? [{ domain: ML_DOMAIN, version: ML_OPSET }] : [])],
    producerName: 'swaprep',
    producerVersion: '1',
    domain: 'swaprep.scoring',
    modelVersion: 1,
    docString: spec.doc,
    graph,
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return ModelProto.encode(model).finish();
}
