import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFlowFile } from '../../loadtest/flow-files.js';
import { readRecords } from '../../engine/ingest/files/read-records.js';
import { FlowGenerator } from '../../loadtest/generator.js';

const cli = join(process.cwd(), 'dist', 'engine', 'cli', 'main.js');

describe('generated files', () => {
  it('valid records pass `swaprep validate --lei-check error --stateful` (JSONL written as DRR does: decimals as numbers)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'swaprep-gen-')), 'flow.jsonl');
    await writeFlowFile(path, 2000, { seed: 11, invalidRate: 0, anomalyRate: 0.02 });
    expect(readFileSync(path, 'utf8').split('\n')[0]).toMatch(/"notionalAmount":\d/);
    const r = spawnSync(process.execPath, [cli, 'validate', '--lei-check', 'error', '--stateful', path], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const rejected = r.stdout.split('\n').filter((l) => l.includes('"status":"rejected"'));
    expect(rejected.slice(0, 3)).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('reads back as the same records from JSONL, a JSON array and CSV, with labels at the right lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swaprep-gen-'));
    const expected = [...new FlowGenerator({ seed: 12, invalidRate: 0.05 }).take(300)];
    for (const name of ['flow.jsonl', 'flow.json', 'flow.csv']) {
      const path = join(dir, name);
      const result = await writeFlowFile(path, 300, { seed: 12, invalidRate: 0.05 });
      const records = [];
      for await (const r of readRecords(path)) records.push(r);
      expect(records.length).toBe(300);
      records.forEach((r, i) => {
        expect('report' in r ? r.report.uniqueTransactionIdentifier : r.issues).toEqual(expected[i]!.report.uniqueTransactionIdentifier);
        if ('report' in r) expect(r.report.leg1?.notionalAmount).toEqual(expected[i]!.report.leg1?.notionalAmount);
      });
      const labels = readFileSync(result.labelsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; n: number });
      expect(labels.length).toBe(result.invalid + result.anomalies);
      for (const l of labels) expect(records[l.n]!.line).toBe(l.line);
    }
  });
});
