// JSON <-> SwapReport for the DRR flat JSON shape (the corpus shape), exact for decimals: the codec of
// ./json-codec.ts bound to the schema read from the descriptor image (see json-codec.ts for why not ts-proto's).
import { createRecordCodec } from './json-codec.js';
import { buildSchema } from './schema.js';

export type { DecodeResult, JsonIssue } from './json-codec.js';
export { parseJsonLossless } from './lossless.js';

const codec = createRecordCodec(buildSchema());

export const reportFromJson = codec.reportFromJson;
export const reportToJson = codec.reportToJson;
export const reportToJsonText = codec.reportToJsonText;
