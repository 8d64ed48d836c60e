// With no validation thread (SWAPREP_VALIDATION_THREADS=0, as on one CPU) the judge decodes and checks each report on
// the main thread: the same findings, statuses and trade versions end up in the event log as with the threads
// (tcp-ingest.test.ts runs the default).
import { describe, expect, it } from 'vitest';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { useTestEngine, TEST_SOURCES } from '../support/engine.js';
import { DEALER_LEI, makeReport, makeValidReport } from '../support/reports.js';

const t = useTestEngine({ validationThreads: 0 });

describe('judging without validation threads', () => {
  it('stores rulebook findings and applies lifecycles as with them', async () => {
    const c = await FepTcpClient.connect(t.engine.tcpPort);
    const from = (await c.hello('fep1', TEST_SOURCES.fep1)) + 1;
    const uti = 'INLINE0001';
    const actions = ['NEWT', 'MODI', 'TERM', 'MODI'];
    let seq = from;
    for (let i = 0; i < actions.length; i++) {
      // A bare report (fails the rulebook) beside each event of the trade.
      c.sendBatch(seq, [makeReport(70_000 + i), makeValidReport({ uti, actionType: actions[i]!, minute: i })]);
      seq += 2;
    }
    await c.waitForAck(seq - 1);
    const { rows } = await t.db.query<{ seq: string; version: number | null; action_type: string; status: string }>(
      'SELECT seq, version, action_type, status FROM event_log WHERE source_id = $1 AND seq >= $2 ORDER BY seq', ['fep1', from]);
    expect(rows.filter((_, i) => i % 2 === 1).map((r) => [r.action_type, r.version, r.status])).toEqual([
      ['NEWT', 1, 'accepted'], ['MODI', 2, 'accepted'], ['TERM', 3, 'accepted'], ['MODI', null, 'rejected'],
    ]);
    expect(rows.filter((_, i) => i % 2 === 0).every((r) => r.status === 'rejected' && r.version === null)).toBe(true);
    const rules = await t.db.query<{ seq: string; rule: string }>('SELECT DISTINCT seq, rule FROM finding WHERE source_id = $1 AND seq >= $2', ['fep1', from]);
    // Every bare report has the Part 45 required-field findings; the last MODI the lifecycle's.
    for (let i = 0; i < actions.length; i++) expect(rules.rows).toContainEqual({ seq: String(from + 2 * i), rule: 'REQ-P45' });
    expect(rules.rows.filter((r) => r.seq === String(from + 7)).map((r) => r.rule)).toEqual(['LC-AFTER-EROR-TERM']);
    const state = await t.db.query<{ lifecycle: string; version: number }>('SELECT lifecycle, version FROM trade_state WHERE trade_key = $1', [DEALER_LEI + uti]);
    expect(state.rows[0]).toEqual({ lifecycle: 'terminated', version: 3 });
    await c.close();
  });
});
