import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { parseJsonLossless, reportFromJson } from '../../engine/record/json.js';
import { CORPUS_DIR } from './corpus.js';

/** An LEI with valid ISO 17442 check digits from an 18-character prefix (ISO 7064 MOD 97-10). */
export function lei(prefix18: string): string {
  const p = prefix18.toUpperCase().padEnd(18, '0').slice(0, 18);
  const digits = [...(p + '00')].map((c) => (c >= 'A' ? String(c.charCodeAt(0) - 55) : c)).join('');
  let rem = 0;
  for (const d of digits) rem = (rem * 10 + Number(d)) % 97;
  return p + String(98 - rem).padStart(2, '0');
}

const BASE = (() => {
  const res = reportFromJson(parseJsonLossless(readFileSync(join(CORPUS_DIR, 'cftc-part45', 'rates', 'IR-CCS-Fixed-Fixed-ex01.json'), 'utf8')));
  if (!res.ok) throw new Error('corpus record does not decode');
  return res.report;
})();

export const DEALER = lei('5493001KJTIIGC8Y1R');
export const CLIENT = lei('213800WAVVOPS85N2K');
export const OTHER_SUBMITTER = lei('254900OPPU84GM83MG');

/** A cross-currency swap from the corpus, made clean for the Part 45 rulebook, with the given identity and times. */
export function tradeReport(opts: { uti: string; actionType?: string; counterparty1?: string; submitter?: string; executionTimestamp?: string; notional?: string }): SwapReport {
  const r = SwapReport.fromPartial(BASE);
  const cp1 = opts.counterparty1 ?? DEALER;
  const exec = opts.executionTimestamp ?? '2024-04-02T13:22:10Z';
  r.actionType = opts.actionType ?? 'NEWT';
  r.uniqueTransactionIdentifier = opts.uti;
  r.counterparty1 = cp1;
  r.counterparty2 = CLIENT;
  r.reportSubmittingEntityID = opts.submitter ?? cp1;
  r.executionTimestamp = exec;
  r.eventTimestamp = exec;
  r.reportingTimestamp = exec;
  r.eventIdentifier = undefined;
  r.jurisdiction = 'CFTC';
  r.cftcGuidebook = { ...r.cftcGuidebook!, mandatoryClearingIndicator: false, sdMspIndicatorParty1: true, sdMspIndicatorParty2: false };
  r.leg1 = { ...r.leg1!, payerIdentifier: cp1, receiverIdentifier: CLIENT, notionalAmount: opts.notional ?? r.leg1!.notionalAmount };
  r.leg2 = { ...r.leg2!, payerIdentifier: CLIENT, receiverIdentifier: cp1 };
  return r;
}

export function encodeReport(r: SwapReport): Uint8Array {
  return SwapReport.encode(r).finish();
}
