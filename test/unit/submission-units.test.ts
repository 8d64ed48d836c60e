// Pure parts of the submission path: stable ids, backoff with jitter, the wire format, and the simulated
// repository's checks (schema, permission, core rules, per-UTI sequence).
import { describe, expect, it } from 'vitest';
import { submissionId } from '../../engine/submission/ids.js';
import { backoffDelay } from '../../engine/submission/retry.js';
import { outcomesOf, parseBatchFileName, batchFileName } from '../../engine/submission/wire.js';
import { batchRequestBody, bodyLines, getBit, laneOf, LineBuffer, recordLine, recordOfLine, setBit } from '../../engine/submission/batch-body.js';
import { createReportBuilder } from '../../engine/reports/index.js';
import { BatchProcessor } from '../../loadtest/sdr-sim/processor.js';
import { flattenJson, parseBody } from '../../loadtest/sdr-sim/records.js';
import { RepositoryState } from '../../loadtest/sdr-sim/state.js';
import { CLIENT, DEALER, OTHER_SUBMITTER, tradeReport } from '../support/trades.js';

describe('submission ids and retries', () => {
  it('derive the same id for the same event and regime, another for another', () => {
    expect(submissionId('cftc-part45', 'fep1', 7)).toBe(submissionId('cftc-part45', 'fep1', 7));
    expect(submissionId('cftc-part45', 'fep1', 7)).not.toBe(submissionId('cftc-part43', 'fep1', 7));
    expect(submissionId('cftc-part45', 'fep1', 7)).not.toBe(submissionId('cftc-part45', 'fep1', 8));
    expect(submissionId('ktfc', 'a', 1)).toMatch(/^S[A-Za-z0-9_-]{26}$/);
  });

  it('back off exponentially up to the cap, with full jitter', () => {
    const policy = { baseMs: 100, maxMs: 5_000, maxAttempts: 10 };
    expect([1, 2, 3, 4, 7, 20].map((a) => backoffDelay(policy, a, () => 0.999999))).toEqual([99, 199, 399, 799, 4999, 4999]);
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
    const samples = Array.from({ length: 2000 }, () => backoffDelay(policy, 4));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(800);
    expect(new Set(samples).size).toBeGreaterThan(100); // spread, not synchronised
  });
});

describe('wire format', () => {
  it('splices JSON payloads into a batch body and reads results back', () => {
    const body = batchRequestBody('B1', 'cftc-part45', DEALER, LineBuffer.of([recordLine('json', 'S1', '{"a":1.50}'), recordLine('json', 'S2', '{"b":"x\\ny"}')]));
    expect(body.toString()).toBe(`{"batchId":"B1","regime":"cftc-part45","submitter":"${DEALER}","records":[{"submissionId":"S1","record":{"a":1.50}},{"submissionId":"S2","record":{"b":"x\\ny"}}]}`);
    expect(JSON.parse(body.toString()).records).toHaveLength(2);
    expect(batchRequestBody('B2', 'ktfc', undefined, new LineBuffer()).toString()).toBe('{"batchId":"B2","regime":"ktfc","records":[]}');
    expect(outcomesOf({ batchId: 'B1', status: 'complete', results: [{ submissionId: 'S1', status: 'NACK', errors: [{ code: 'X', message: 'y' }] }] }))
      .toEqual({ batchId: 'B1', complete: true, outcomes: [{ submissionId: 'S1', outcome: 'NACK', codes: [{ code: 'X', message: 'y' }], batchId: 'B1' }] });
    expect(outcomesOf({ batchId: 'B1', status: 'processing' }).complete).toBe(false);
    expect(() => outcomesOf({ batchId: 'B1', status: 'complete', results: [{ submissionId: 'S1', status: 'MAYBE' }] })).toThrow();
    expect(parseBatchFileName(batchFileName('B-x-1', 'ktfc', 'csv'))).toEqual({ batchId: 'B-x-1', regime: 'ktfc', format: 'csv' });
  });
});

describe('batch bodies', () => {
  it('keep each record as one line, exactly as sent, and give it back by its position', () => {
    const csv = [recordLine('csv', 'S1', 'a,"b\nc",d'), recordLine('csv', 'S2', 'e,f')];
    const stored = LineBuffer.of(csv).bytes().toString();
    expect(stored).toBe('S1,a,"b\nc",d\nS2,e,f\n');
    expect(bodyLines('csv', stored)).toEqual(csv); // a quoted newline stays inside its record
    expect(recordOfLine('csv', 'S2', bodyLines('csv', stored)[1]!)).toBe('e,f');
    const json = [recordLine('json', 'S3', '{"x":1}')];
    const buffer = LineBuffer.of(json);
    expect(recordOfLine('json', 'S3', bodyLines('json', buffer.bytes().toString())[0]!)).toBe('{"x":1}');
    expect(buffer.line(0)).toBe(json[0]);
    expect(LineBuffer.of(['a\u0000b', 'é']).bytes().toString()).toBe('a\uFFFDb\né\n'); // text cannot hold NUL
    expect(() => recordOfLine('json', 'S4', json[0]!)).toThrow(/S4/);
  });

  it('keep lines across chunks of a megabyte, each whole, in order', () => {
    const lines = Array.from({ length: 3_000 }, (_, i) => recordLine('json', `S${i}`, `{"n":${i},"pad":"${'x'.repeat(700 + (i % 13))}"}`));
    const buffer = LineBuffer.of(lines);
    expect(buffer.parts().length).toBeGreaterThan(1);
    expect(buffer.count).toBe(3_000);
    expect([0, 1_400, 1_500, 2_999].map((i) => buffer.line(i))).toEqual([0, 1_400, 1_500, 2_999].map((i) => lines[i]));
    expect(buffer.bytes().toString()).toBe(lines.join('\n') + '\n');
    expect(JSON.parse(batchRequestBody('B', 'ktfc', undefined, buffer).toString()).records.map((r: { submissionId: string }) => r.submissionId))
      .toEqual(lines.map((_, i) => `S${i}`));
  });

  it('number answered records as PostgreSQL get_bit does, and put a trade always in the same lane', () => {
    const bits = new Uint8Array(2);
    setBit(bits, 0);
    setBit(bits, 9);
    expect([...bits]).toEqual([0b00000001, 0b00000010]);
    expect([0, 1, 9].map((i) => getBit(bits, i))).toEqual([true, false, true]);
    expect(laneOf('UTI-1', 4)).toBe(laneOf('UTI-1', 4));
    expect(new Set(Array.from({ length: 200 }, (_, i) => laneOf(`UTI-${i}`, 4)))).toEqual(new Set([0, 1, 2, 3]));
    expect(laneOf('UTI-1', 1)).toBe(0);
  });
});

describe('simulated repository checks', () => {
  const builder = createReportBuilder();
  const json = (r: ReturnType<typeof tradeReport>, regime: 'cftc-part45' | 'cftc-part43' = 'cftc-part45') => flattenJson(regime, builder.build(regime, r, 0, 'json').payload);
  const uti = `${DEALER}UNIT1`;

  it('acks a NEWT, answers a resend from memory, and checks the per-UTI sequence', () => {
    const p = new BatchProcessor(new RepositoryState(), new Map());
    expect(p.process('cftc-part45', undefined, [{ submissionId: 'a', parsed: json(tradeReport({ uti })) }])[0]!.status).toBe('ACK');
    expect(p.process('cftc-part45', undefined, [{ submissionId: 'a', parsed: json(tradeReport({ uti })) }])[0]!.status).toBe('ACK');
    expect(p.stats.resent).toBe(1);
    const dup = p.process('cftc-part45', undefined, [{ submissionId: 'b', parsed: json(tradeReport({ uti })) }])[0]!;
    expect(dup.errors.map((e) => e.code)).toEqual(['SEQ-002']);
    const modiUnknown = p.process('cftc-part45', undefined, [{ submissionId: 'c', parsed: json(tradeReport({ uti: `${DEALER}UNIT2`, actionType: 'MODI' })) }])[0]!;
    expect(modiUnknown.errors.map((e) => e.code)).toEqual(['SEQ-001']);
    const term = p.process('cftc-part45', undefined, [{ submissionId: 'd', parsed: json(tradeReport({ uti, actionType: 'TERM' })) }])[0]!;
    expect(term.status).toBe('ACK');
    const modiTerminated = p.process('cftc-part45', undefined, [{ submissionId: 'e', parsed: json(tradeReport({ uti, actionType: 'MODI' })) }])[0]!;
    expect(modiTerminated.errors.map((e) => e.code)).toEqual(['SEQ-003']);
    expect(p.state.report().trades).toEqual([expect.objectContaining({ uti, lifecycle: 'terminated', version: 2, submissionIds: ['a', 'd'] })]);
  });

  it('refuses a submitter not permitted for counterparty 1, unless delegated; a CORR then repairs the rejected NEWT', () => {
    const p = new BatchProcessor(new RepositoryState(), new Map());
    const r = p.process('cftc-part45', undefined, [{ submissionId: 'x', parsed: json(tradeReport({ uti, submitter: OTHER_SUBMITTER })) }])[0]!;
    expect(r.errors.map((e) => e.code)).toEqual(['PRM-001']);
    const repaired = p.process('cftc-part45', undefined, [{ submissionId: 'y', parsed: json(tradeReport({ uti, actionType: 'CORR' })) }])[0]!;
    expect(repaired.status).toBe('ACK');
    const delegated = new BatchProcessor(new RepositoryState(), new Map([[OTHER_SUBMITTER, new Set([DEALER])]]));
    expect(delegated.process('cftc-part45', undefined, [{ submissionId: 'z', parsed: json(tradeReport({ uti, submitter: OTHER_SUBMITTER })) }])[0]!.status).toBe('ACK');
  });

  it('reports schema and core-rule errors with codes', () => {
    const p = new BatchProcessor(new RepositoryState(), new Map());
    const noUti = tradeReport({ uti });
    noUti.uniqueTransactionIdentifier = undefined;
    expect(p.process('cftc-part45', undefined, [{ submissionId: 's1', parsed: json(noUti) }])[0]!.errors.map((e) => e.code)).toEqual(['SCH-001']);
    const badLei = tradeReport({ uti, counterparty1: 'not-an-lei', submitter: 'not-an-lei' });
    badLei.counterparty2 = CLIENT;
    expect(p.process('cftc-part45', undefined, [{ submissionId: 's2', parsed: json(badLei) }])[0]!.errors.map((e) => e.code)).toEqual(['COR-004']);
    expect(p.process('cftc-part45', undefined, [{ submissionId: 's3', parsed: flattenJson('cftc-part45', '{"bogus": 1}') }])[0]!.errors[0]!.code).toBe('SCH-002');
    expect(p.process('cftc-part43', undefined, [{ submissionId: 's4', parsed: json(tradeReport({ uti, notional: '900000000' }), 'cftc-part43') }])[0]!.status).toBe('ACK');
    // Part 43 is reported unmasked (17 CFR 43.3(a)): a capped "250000000+" is the SDR's public value, not a report's.
    const capped = json(tradeReport({ uti: `${uti}C` }), 'cftc-part43');
    if (!capped.ok) throw new Error('record did not decode');
    capped.row.set('Notional amount-Leg 1', '250000000+'); // as a CSV cell would carry it
    expect(p.process('cftc-part43', undefined, [{ submissionId: 's5', parsed: capped }])[0]!.errors.map((e) => e.code)).toEqual(['COR-003']);
  });
});

describe('simulated repository parsing', () => {
  it('parses natively, but keeps a number a double cannot hold digit for digit', () => {
    expect(parseBody('{"records":[{"a":"x","n":12.5}]}')).toEqual({ records: [{ a: 'x', n: 12.5 }] });
    const exact = parseBody('{"records":[{"n":12345678901234567890.12345}]}') as { records: { n: { toString(): string } }[] };
    expect(exact.records[0]!.n.toString()).toBe('12345678901234567890.12345');
  });

  it('takes the checked columns of a JSON record by their element paths', () => {
    const builder = createReportBuilder();
    const r = tradeReport({ uti: `${DEALER}COLS`, submitter: OTHER_SUBMITTER, notional: '1250000.5' });
    const parsed = flattenJson('cftc-part45', JSON.parse(builder.build('cftc-part45', r, 0, 'json').payload));
    if (!parsed.ok) throw new Error('record did not decode');
    expect(Object.fromEntries(parsed.row)).toMatchObject({
      'Action type': 'NEWT',
      'Unique transaction identifier (UTI)': `${DEALER}COLS`,
      'Counterparty 1 (reporting counterparty)': DEALER,
      'Submitter identifier': OTHER_SUBMITTER,
      'Notional amount-Leg 1': '1250000.5',
    });
  });
});
