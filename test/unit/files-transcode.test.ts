import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { parseJsonLossless, reportFromJson } from '../../engine/record/json.js';
import { ByteSink, Transcoder } from '../../engine/ingest/files/transcode.js';
import { encodeTask } from '../../engine/ingest/files/decode.js';
import { FlowGenerator } from '../../loadtest/generator.js';
import { flowJsonText } from '../../loadtest/flow-files.js';

const t = new Transcoder();

/** The transcoder's record, or undefined when it declines. */
function fast(text: string): SwapReport | undefined {
  const bytes = Buffer.from(text, 'utf8');
  const sink = new ByteSink(16);
  sink.append(Buffer.from('prefix')); // records are appended after what a chunk already holds
  if (!t.record(bytes, 0, bytes.length, sink)) {
    expect(sink.pos).toBe(6); // a declined record leaves nothing behind
    return undefined;
  }
  return SwapReport.decode(sink.buf.subarray(6, sink.pos));
}

/** The strict path's record as the engine receives it (through protobuf bytes: -0 and 0 are one int32 there). */
function strict(text: string): SwapReport | undefined {
  const r = reportFromJson(parseJsonLossless(text));
  return r.ok ? SwapReport.decode(SwapReport.encode(r.report).finish()) : undefined;
}

const corpus: string[] = [];
const walk = (d: string) => {
  for (const n of readdirSync(d).sort()) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else corpus.push(readFileSync(p, 'utf8'));
  }
};
walk(join(process.cwd(), 'test', 'fixtures', 'drr-6.10'));

describe('JSON to protobuf transcoder', () => {
  it('gives exactly the strict decoder\'s record for generated flows (decimals as numbers and as strings)', () => {
    for (const e of new FlowGenerator({ seed: 4, invalidRate: 0.05, anomalyRate: 0.05 }).take(1500)) {
      for (const text of [flowJsonText(e), JSON.stringify(e.record)]) {
        const f = fast(text);
        expect(f).toBeDefined();
        expect(f).toEqual(strict(text));
      }
    }
  });

  it('gives the strict record or declines, for every corpus file (Struct UPI data declines)', () => {
    let fastCount = 0;
    for (const text of corpus) {
      const f = fast(text);
      if (f) {
        fastCount++;
        expect(f).toEqual(strict(text));
      }
    }
    expect(corpus.length).toBeGreaterThan(400);
    void fastCount;
  });

  it('declines what only the strict path may judge', () => {
    const base = '"actionType":"NEWT","leg1":{"notionalAmount":1e3,"periodicPayment":{"fixedRatePaymentFrequencyPeriodMultiplier":6}}';
    expect(fast(`{${base}}`)).toEqual(strict(`{${base}}`));
    for (const bad of [
      `{${base},"bogus":1}`, // unknown key
      `{${base},"actionType":"MODI"}`, // duplicate key
      `{${base},"actionType":"NEWT"}`, // duplicate key, same value
      '{"actionType":5}', // wrong JSON type
      '{"actionType":"N\\u0045WT"}', // escape
      '{"counterparty2Name":"Société"}', // non-ASCII
      '{"leg1":{"notionalAmount":01}}', // not a JSON number
      '{"leg1":{"notionalAmount":1.}}',
      '{"leg1":{"periodicPayment":{"fixedRatePaymentFrequencyPeriodMultiplier":6.0}}}', // int32 that is not an integer
      '{"leg1":{"periodicPayment":{"fixedRatePaymentFrequencyPeriodMultiplier":2147483648}}}',
      '{"clearingSwapUTIs":["A",null]}', // null element
      '{"nonReportable":{"preUpiData":{}}}', // Struct
      `{${base}} x`, // trailing garbage
      `[{${base}}]`,
      '{"actionType":"NEWT"',
    ]) {
      expect(fast(bad), bad).toBeUndefined();
    }
  });

  it('writes nulls as absent, empty arrays and objects as protobuf does, negative int32 in ten bytes, long nested lengths', () => {
    for (const text of [
      '{"actionType":null,"clearingSwapUTIs":[],"leg1":{},"leg2":null}',
      '{"leg1":{"periodicPayment":{"fixedRatePaymentFrequencyPeriodMultiplier":-5}}}',
      '{"leg1":{"periodicPayment":{"fixedRatePaymentFrequencyPeriodMultiplier":-0}}}',
      `{"cftcGuidebook":{"messageType":"${'M'.repeat(300)}"},"leg1":{"payerIdentifier":"${'P'.repeat(20000)}"}}`,
      ' \r\n{ "actionType" : "NEWT" , "eventType":"TRAD" } \n',
    ]) {
      expect(fast(text), text.slice(0, 80)).toEqual(strict(text));
    }
    const bytes = Buffer.from('{"leg1":{"periodicPayment":{"fixedRatePaymentFrequencyPeriodMultiplier":-5}}}');
    const sink = new ByteSink();
    t.record(bytes, 0, bytes.length, sink);
    expect(Buffer.from(sink.take())).toEqual(Buffer.from(SwapReport.encode(strict(bytes.toString())!).finish()));
  });

  it('falls back to the strict path inside a task, keeping file order and lines', () => {
    const lines = ['{"actionType":"NEWT","uniqueTransactionIdentifier":"A"}', '{"uniqueTransactionIdentifier":"Bé"}', 'oops', '', '{"uniqueTransactionIdentifier":"C","nonReportable":{"enrichment":{"x":1}}}'];
    const chunk = encodeTask({ kind: 'jsonl', bytes: new Uint8Array(Buffer.from(lines.join('\n'))), firstLine: 10 });
    expect([...chunk.lines]).toEqual([10, 11, 14]);
    let from = 0;
    const utis = [...chunk.ends].map((end) => {
      const r = SwapReport.decode(chunk.bytes.subarray(from, end));
      from = end;
      return r.uniqueTransactionIdentifier;
    });
    expect(utis).toEqual(['A', 'Bé', 'C']);
    expect(chunk.rejects.map((r) => [r.line, r.issues[0]!.rule])).toEqual([[12, 'FILE-SYNTAX']]);
  });
});
