import { WireCursor } from '../../engine/ingest/frame-scan.js';
import { wireText } from '../../engine/record/decode-report.js';

/** The fields of a stored report that the trade_current projection keeps. */
export interface ProjectionFields {
  counterparty2: string | undefined;
  uniqueProductIdentifier: string | undefined;
  executionTimestamp: string | undefined;
  notionalAmount: string | undefined;
  notionalCurrency: string | undefined;
  assetClass: string | undefined;
}

// Field numbers in proto/swap_report.proto (test/unit/projection-fields.test.ts checks them against the generated code).
const REPORT = { counterparty2: 14, uniqueProductIdentifier: 87, executionTimestamp: 96, leg1: 200, cftcGuidebook: 202 } as const;
const LEG = { notionalAmount: 31, notionalCurrency: 32 } as const;
const GUIDEBOOK = { assetClass: 202 } as const;

/**
 * Reads the projection's six fields from a SwapReport's bytes, skipping the rest. The projector reads back
 * every stored event: decoding whole reports (about 40 strings each) was most of its CPU and garbage, for six
 * strings. The result equals SwapReport.decode's (ts-proto's) for these fields: the last value of a field wins,
 * and a sub-message sent twice replaces the first rather than merging with it. Throws on malformed bytes.
 */
export function scanProjectionFields(report: Buffer): ProjectionFields {
  const out: ProjectionFields = {
    counterparty2: undefined, uniqueProductIdentifier: undefined, executionTimestamp: undefined,
    notionalAmount: undefined, notionalCurrency: undefined, assetClass: undefined,
  };
  const c = new WireCursor(report, 0, report.length);
  for (let field = c.nextLenField(); field !== 0; field = c.nextLenField()) {
    switch (field) {
      case REPORT.counterparty2: out.counterparty2 = wireText(report, c.fieldStart, c.pos); break;
      case REPORT.uniqueProductIdentifier: out.uniqueProductIdentifier = wireText(report, c.fieldStart, c.pos); break;
      case REPORT.executionTimestamp: out.executionTimestamp = wireText(report, c.fieldStart, c.pos); break;
      case REPORT.leg1: scanLeg(report, c.fieldStart, c.pos, out); break;
      case REPORT.cftcGuidebook: scanGuidebook(report, c.fieldStart, c.pos, out); break;
      default: break;
    }
  }
  return out;
}

function scanLeg(buf: Buffer, start: number, end: number, out: ProjectionFields): void {
  out.notionalAmount = undefined;
  out.notionalCurrency = undefined;
  const c = new WireCursor(buf, start, end);
  for (let field = c.nextLenField(); field !== 0; field = c.nextLenField()) {
    if (field === LEG.notionalAmount) out.notionalAmount = wireText(buf, c.fieldStart, c.pos);
    else if (field === LEG.notionalCurrency) out.notionalCurrency = wireText(buf, c.fieldStart, c.pos);
  }
}

function scanGuidebook(buf: Buffer, start: number, end: number, out: ProjectionFields): void {
  out.assetClass = undefined;
  const c = new WireCursor(buf, start, end);
  for (let field = c.nextLenField(); field !== 0; field = c.nextLenField()) {
    if (field === GUIDEBOOK.assetClass) out.assetClass = wireText(buf, c.fieldStart, c.pos);
  }
}
