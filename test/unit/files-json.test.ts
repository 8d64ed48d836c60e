import { describe, expect, it } from 'vitest';
import { readAll, summary, tempFile } from '../support/files.js';
import { JsonSplitter, type JsonItem } from '../../engine/ingest/files/json-splitter.js';

const rec = (uti: string) => `{"actionType":"NEWT","uniqueTransactionIdentifier":"${uti}","leg1":{"notionalAmount":1e3}}`;

function split(text: string, step: number, max?: number): JsonItem[] {
  const s = new JsonSplitter(max);
  const out: JsonItem[] = [];
  for (let i = 0; i < text.length; i += step) out.push(...s.push(text.slice(i, i + step)));
  out.push(...s.end());
  return out;
}

describe('JSON reader', () => {
  it('reads a single-record file (pretty-printed, as the corpus is)', async () => {
    const path = tempFile('one.json', JSON.stringify(JSON.parse(rec('U1')), null, 2));
    expect(summary(await readAll(path))).toEqual([[1, 'ok U1']]);
  });

  it('reads an array of records, each at the line where its element starts', async () => {
    const text = `[\n  ${rec('U1')},\n  {\n "actionType": "NEWT",\n "uniqueTransactionIdentifier": "U}2\\"" },\n\n  ${rec('U3')}\n]\n`;
    for (const chunk of [1, 5, 1000]) expect(summary(await readAll(tempFile('arr.json', text), chunk))).toEqual([[2, 'ok U1'], [3, 'ok U}2"'], [7, 'ok U3']]);
  });

  it('rejects bad elements and non-objects, and keeps going', async () => {
    const text = `[${rec('U1')},\n{"actionType": },\n42,\n"text",\n${rec('U5')},]`;
    expect(summary(await readAll(tempFile('bad.json', text)))).toEqual([[1, 'ok U1'], [2, 'FILE-SYNTAX '], [3, 'FILE-SCHEMA '], [4, 'FILE-SCHEMA '], [5, 'ok U5']]);
  });

  it('reports a value or array cut off by the end of the file', async () => {
    expect(summary(await readAll(tempFile('cut.json', `[${rec('U1')},\n${rec('U2').slice(0, 20)}`)))).toEqual([[1, 'ok U1'], [2, 'FILE-SYNTAX ']]);
    expect(summary(await readAll(tempFile('open.json', `[${rec('U1')}\n`)))).toEqual([[1, 'ok U1'], [2, 'FILE-SYNTAX ']]);
  });

  it('reads concatenated top-level records and a BOM', async () => {
    expect(summary(await readAll(tempFile('cat.json', `\uFEFF${rec('U1')}\n${rec('U2')}${rec('U3')}`)))).toEqual([[1, 'ok U1'], [2, 'ok U2'], [2, 'ok U3']]);
  });

  it('skips a value over the size limit without keeping it', () => {
    const big = `{"a":"${'x'.repeat(500)}","b":[{"c":"]}"}]}`;
    for (const step of [7, 100, 10_000]) {
      expect(split(`[${rec('U1')},${big},${rec('U3')}]`, step, 200).map((i) => ('text' in i ? 'ok' : i.error))).toEqual(['ok', 'record larger than 200 characters', 'ok']);
    }
  });
});
