/**
 * `swaprep validate` (engine/cli/validate.ts) on temporary files: output lines, statuses, summary, exit codes,
 * bad JSON lines, stdin, --stateful and --lei-check.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runValidate } from '../fixtures/rules/validate-cli.js';
import { irSwap45, LEI, mutate, type Json } from '../fixtures/rules/records.js';

const dir = mkdtempSync(join(tmpdir(), 'swaprep-validate-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const jsonl = (records: readonly (Json | string)[]) => records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
const modi = (changes: Json = {}) =>
  mutate(irSwap45(), { actionType: 'MODI', amendmentIndicator: false, eventTimestamp: '2024-04-02T10:00:00Z', reportingTimestamp: '2024-04-02T10:05:00Z', ...changes });

describe('swaprep validate', () => {
  it('accepts a valid record (pretty-printed JSON file), one line with the documented keys, exit 0', async () => {
    const p = file('one.json', JSON.stringify(irSwap45(), null, 2));
    const r = await runValidate([p]);
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(1);
    expect(Object.keys(r.lines[0]!)).toEqual(['file', 'index', 'uti', 'actionType', 'status', 'findings']);
    expect(r.lines[0]).toEqual({ file: p, index: 0, uti: `${LEI.dealer}IRS0001`, actionType: 'NEWT', status: 'accepted', findings: [] });
    expect(r.stderr).toMatch(/1 records, 1 accepted \(0 with warnings\), 0 rejected/);
  });

  it('reads a JSON array, names the broken rule and field, exit 1', async () => {
    const p = file('array.json', JSON.stringify([irSwap45(), mutate(irSwap45(), { 'leg1.notionalCurrency': 'USX' })]));
    const r = await runValidate(['--regime', 'cftc-part45', p]);
    expect(r.code).toBe(1);
    expect(r.lines.map((l) => [l.index, l.status])).toEqual([[0, 'accepted'], [1, 'rejected']]);
    expect(r.lines[1]!.findings).toEqual([
      { rule: 'FMT-CURRENCY', element: '32', path: 'leg1.notionalCurrency', severity: 'error', message: 'leg1.notionalCurrency "USX" is not an ISO 4217 currency code' },
    ]);
    expect(r.stderr).toMatch(/2 records, 1 accepted .*1 rejected/);
    expect(r.stderr).toMatch(/top rules: FMT-CURRENCY 1/);
  });

  it('turns a line that is not JSON, and a record that is not a SwapReport, into rejected records (JSONL)', async () => {
    const p = file('mixed.jsonl', jsonl([irSwap45(), '{"actionType": "NEWT", ', mutate(irSwap45(), { bogus: 1 }), irSwap45()]));
    const r = await runValidate([p]);
    expect(r.code).toBe(1);
    expect(r.lines.map((l) => l.status)).toEqual(['accepted', 'rejected', 'rejected', 'accepted']);
    expect(r.lines[1]).toMatchObject({ index: 1, uti: null, actionType: null });
    expect(r.lines[1]!.findings.map((f) => f.rule)).toEqual(['FILE-SYNTAX']);
    expect(r.lines[2]!.findings).toMatchObject([{ rule: 'FILE-SCHEMA', path: 'bogus', severity: 'error' }]);
  });

  it('reads standard input for -, sniffing JSONL', async () => {
    const r = await runValidate(['-'], jsonl([irSwap45(), irSwap45()]));
    expect(r.code).toBe(0);
    expect(r.lines.map((l) => [l.file, l.index])).toEqual([['-', 0], ['-', 1]]);
  });

  it('sniffs a file without a known extension (JSON array)', async () => {
    const p = file('records.txt', `\n  ${JSON.stringify([irSwap45()])}`);
    expect((await runValidate([p])).lines).toHaveLength(1);
  });

  it('exits 2 when an input cannot be read, and on bad usage', async () => {
    const missing = await runValidate([join(dir, 'missing.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
    expect((await runValidate(['--regime', 'emir', 'x.json'])).code).toBe(2);
    expect((await runValidate(['--lei-check', 'maybe', 'x.json'])).code).toBe(2);
    expect((await runValidate([])).code).toBe(2);
    const help = await runValidate(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: swaprep validate/);
  });

  it('--lei-check: dummy LEIs reject by default, warn, or pass unnoticed', async () => {
    const p = file('dummy.json', JSON.stringify(mutate(irSwap45(), { reportSubmittingEntityID: 'DUMMY0000000000LEI01' })));
    const error = await runValidate([p]);
    expect(error.code).toBe(1);
    expect(error.lines[0]!.findings.map((f) => [f.rule, f.severity])).toEqual([['FMT-LEI-CHECKSUM', 'error']]);
    const warn = await runValidate(['--lei-check', 'warn', p]);
    expect(warn.code).toBe(0);
    expect(warn.lines[0]!.status).toBe('accepted');
    expect(warn.lines[0]!.findings.map((f) => [f.rule, f.severity])).toEqual([['FMT-LEI-CHECKSUM', 'warning']]);
    expect(warn.stderr).toMatch(/1 accepted \(1 with warnings\)/);
    const off = await runValidate(['--lei-check', 'off', p]);
    expect(off.lines[0]!.findings).toEqual([]);
  });

  it('--stateful applies the lifecycle across the inputs in order', async () => {
    const a = file('day1.jsonl', jsonl([irSwap45(), modi()]));
    const b = file('day2.jsonl', jsonl([irSwap45(), modi({ uniqueTransactionIdentifier: `${LEI.dealer}IRS0002` })]));
    const r = await runValidate(['--stateful', a, b]);
    expect(r.code).toBe(1);
    expect(r.lines.map((l) => [l.file === a ? 'a' : 'b', l.status, l.findings.map((f) => f.rule).join()])).toEqual([
      ['a', 'accepted', ''],
      ['a', 'accepted', ''],
      ['b', 'rejected', 'LC-DUP-NEWT'],
      ['b', 'rejected', 'LC-UNKNOWN-TRADE'],
    ]);
    // Without --stateful the same records are all valid.
    expect((await runValidate([a, b])).code).toBe(0);
  });

  it('validates other regimes', async () => {
    const p = file('ktfc.json', JSON.stringify(mutate(irSwap45(), { uniqueProductIdentifier: 'QZ3HXD0QWPVZ' })));
    const r = await runValidate(['--regime', 'ktfc', p]);
    expect(r.lines[0]!.findings).toEqual([]);
    const p43 = await runValidate(['--regime', 'cftc-part43', p]);
    expect(p43.lines[0]!.findings.some((f) => f.rule === 'NA-P43' && f.severity === 'warning')).toBe(true);
  });
});
