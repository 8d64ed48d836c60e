/**
 * Each model as an ONNX graph with one input, `features` float32 [N, F], and one output, `score` float32 [N]:
 *
 *   iforest      TreeEnsembleRegressor (ai.onnx.ml, SUM of leaf path lengths / trees) → ·(-ln2 / c(ψ)) → Exp
 *   autoencoder  Sub center → Div scale → Clip → Gemm → Relu → Gemm → Gemm → Relu → Gemm → (out - z)² → ReduceMean
 *   zscore       Sub center → Div scale → Clip → z² → · weights → ReduceMax
 *
 * The graphs compute exactly what the reference scorers in ../models compute; the parity test feeds both
 * the same rows through a real ONNX Runtime session.
 */
import { FEATURES_VERSION } from '../features/table.js';
import type { Autoencoder } from '../models/autoencoder.js';
import type { IsolationForest } from '../models/iforest.js';
import type { Scaler } from '../models/scaler.js';
import type { ZScoreModel } from '../models/zscore.js';
import { attr, encodeModel, floatTensor, floatValue, int64Tensor, ML_DOMAIN, node } from './builder.js';
import type { NodeProto, TensorProto } from '../../proto/gen/onnx.js';

import { INPUT, OUTPUT } from './names.js';

export { INPUT, OUTPUT };

function metadata(kind: string): Record<string, string> {
  return { 'swaprep.model': kind, 'swaprep.features_version': String(FEATURES_VERSION) };
}

export function exportIsolationForest(m: IsolationForest): Uint8Array {
  const treeIds: number[] = [], nodeIds: number[] = [], featureIds: number[] = [], values: number[] = [];
  const modes: string[] = [], trueIds: number[] = [], falseIds: number[] = [], missing: number[] = [];
  const tTree: number[] = [], tNode: number[] = [], tIds: number[] = [], tWeights: number[] = [];
  const T = m.trees.length;
  m.trees.forEach((t, ti) => {
    for (let k = 0; k < t.feature.length; k++) {
      const leaf = t.feature[k]! < 0;
      treeIds.push(ti);
      nodeIds.push(k);
      featureIds.push(leaf ? 0 : t.feature[k]!);
      values.push(leaf ? 0 : t.threshold[k]!);
      modes.push(leaf ? 'LEAF' : 'BRANCH_LT');
      trueIds.push(leaf ? 0 : t.left[k]!);
      falseIds.push(leaf ? 0 : t.right[k]!);
      missing.push(0);
      if (leaf) {
        tTree.push(ti);
        tNode.push(k);
        tIds.push(0);
        // Summing value/T over the trees gives the mean path length directly.
        tWeights.push(t.value[k]! / T);
      }
    }
  });
  const nodes: NodeProto[] = [
    node('TreeEnsembleRegressor', [INPUT], ['path_length'], [
      attr('n_targets', 1),
      attr('aggregate_function', 'SUM'),
      attr('post_transform', 'NONE'),
      attr('nodes_treeids', { ints: treeIds }),
      attr('nodes_nodeids', { ints: nodeIds }),
      attr('nodes_featureids', { ints: featureIds }),
      attr('nodes_values', { floats: values }),
      attr('nodes_modes', modes),
      attr('nodes_truenodeids', { ints: trueIds }),
      attr('nodes_falsenodeids', { ints: falseIds }),
      attr('nodes_missing_value_tracks_true', { ints: missing }),
      attr('target_treeids', { ints: tTree }),
      attr('target_nodeids', { ints: tNode }),
      attr('target_ids', { ints: tIds }),
      attr('target_weights', { floats: tWeights }),
    ], ML_DOMAIN),
    node('Mul', ['path_length', 'neg_ln2_over_c'], ['log_score']),
    node('Exp', ['log_score'], ['score_n1']),
    node('Reshape', ['score_n1', 'flat'], [OUTPUT]),
  ];
  return encodeModel({
    name: 'swaprep_iforest',
    doc: `isolation forest: ${T} trees, subsample ${m.sampleSize}; score = 2^(-mean path length / c(${m.sampleSize}))`,
    nodes,
    initializers: [floatTensor('neg_ln2_over_c', [1], [-Math.LN2 / m.normalizer]), int64Tensor('flat', [1], [-1])],
    inputs: [floatValue(INPUT, ['N', m.features])],
    outputs: [floatValue(OUTPUT, ['N'])],
    usesMl: true,
    metadata: metadata('iforest'),
  });
}

/** Nodes that turn `features` into the clipped standardised `z` (shared by autoencoder and z-score). */
function standardize(s: Scaler, f: number): { nodes: NodeProto[]; initializers: TensorProto[] } {
  return {
    nodes: [node('Sub', [INPUT, 'center'], ['centered']), node('Div', ['centered', 'scale'], ['z_raw']), node('Clip', ['z_raw', 'clip_lo', 'clip_hi'], ['z'])],
    initializers: [
      floatTensor('center', [f], s.center),
      floatTensor('scale', [f], s.scale),
      floatTensor('clip_lo', [], [-s.clip]),
      floatTensor('clip_hi', [], [s.clip]),
    ],
  };
}

export function exportAutoencoder(m: Autoencoder): Uint8Array {
  const f = m.features;
  const std = standardize(m.scaler, f);
  const nodes = [...std.nodes];
  const initializers = [...std.initializers];
  let x = 'z';
  m.layers.forEach((l, k) => {
    initializers.push(floatTensor(`w${k}`, [l.inputs, l.outputs], l.weights), floatTensor(`b${k}`, [l.outputs], l.bias));
    const y = l.relu ? `pre${k}` : `h${k}`;
    nodes.push(node('Gemm', [x, `w${k}`, `b${k}`], [y]));
    if (l.relu) nodes.push(node('Relu', [y], [`h${k}`]));
    x = `h${k}`;
  });
  nodes.push(node('Sub', [x, 'z'], ['residual']), node('Mul', ['residual', 'residual'], ['squared']), node('ReduceMean', ['squared'], [OUTPUT], [attr('axes', { ints: [1] }), attr('keepdims', 0)]));
  return encodeModel({
    name: 'swaprep_autoencoder',
    doc: `autoencoder ${[f, ...m.layers.map((l) => l.outputs)].join(' → ')}; score = mean squared reconstruction error of the standardised row`,
    nodes,
    initializers,
    inputs: [floatValue(INPUT, ['N', f])],
    outputs: [floatValue(OUTPUT, ['N'])],
    metadata: metadata('autoencoder'),
  });
}

export function exportZScore(m: ZScoreModel): Uint8Array {
  const std = standardize(m.scaler, m.features);
  return encodeModel({
    name: 'swaprep_zscore',
    doc: 'robust z-score: largest clipped squared robust z over the deviation features',
    nodes: [
      ...std.nodes,
      node('Mul', ['z', 'z'], ['z2']),
      node('Mul', ['z2', 'feature_weights'], ['weighted']),
      node('ReduceMax', ['weighted'], [OUTPUT], [attr('axes', { ints: [1] }), attr('keepdims', 0)]),
    ],
    initializers: [...std.initializers, floatTensor('feature_weights', [m.features], m.weights)],
    inputs: [floatValue(INPUT, ['N', m.features])],
    outputs: [floatValue(OUTPUT, ['N'])],
    metadata: metadata('zscore'),
  });
}
