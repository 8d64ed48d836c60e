/**
 * Invalid records: each defect breaks one rule the CFTC Part 45 rulebook enforces (with LEI check digits
 * as errors) and names the field, so a test can check that the record was rejected for that field.
 */
import { corruptLeiCheck } from './lei.js';
import type { DefectKind, DefectLabel } from './labels.js';
import type { Random } from './random.js';

type Json = Record<string, unknown>;

const REQUIRED = ['counterparty2', 'executionTimestamp', 'effectiveDate', 'cleared', 'jurisdiction', 'uniqueTransactionIdentifier'] as const;

/** Required fields of the valuation and collateral messages (engine/rules/messages.ts). */
const MESSAGE_REQUIRED: Readonly<Record<string, readonly string[]>> = {
  VALU: ['valuationAmount', 'valuationCurrency', 'valuationMethod', 'valuationTimestamp'],
  MARU: ['affiliatedCounterpartyForMarginAndCapitalIndicator', 'collateralisationCategory', 'initialMarginCollateralPortfolioCode', 'variationMarginCollateralPortfolioCode'],
};

/**
 * Applies `kind` to the record in place and says which field is at fault. Valuation (VALU) and collateral
 * (MARU) messages carry other fields than a transaction, so a defect that has no field to break there
 * becomes one that does (the label names what was actually planted).
 */
export function plantDefect(r: Random, kind: DefectKind, rec: Json): DefectLabel {
  const message = MESSAGE_REQUIRED[String(rec.actionType)];
  if (message) return plantMessageDefect(r, kind, rec, message);
  return plantTransactionDefect(r, kind, rec);
}

function plantMessageDefect(r: Random, kind: DefectKind, rec: Json, required: readonly string[]): DefectLabel {
  const valuation = rec.actionType === 'VALU';
  switch (kind) {
    case 'missing-required': {
      const path = r.pick(required);
      delete rec[path];
      return { kind, path };
    }
    case 'bad-lei-check':
      rec.counterparty2 = corruptLeiCheck(String(rec.counterparty2));
      return { kind, path: 'counterparty2' };
    case 'uti-too-long':
      rec.uniqueTransactionIdentifier = String(rec.uniqueTransactionIdentifier) + 'X'.repeat(40);
      return { kind, path: 'uniqueTransactionIdentifier' };
    case 'negative-notional':
      if (!valuation) {
        rec.initialMarginPostedPreHaircut = '-' + String(rec.initialMarginPostedPreHaircut);
        return { kind, path: 'initialMarginPostedPreHaircut' };
      }
      return plantMessageDefect(r, 'bad-currency', rec, required);
    case 'bad-date':
      if (valuation) {
        rec.valuationTimestamp = r.pick(['2024-13-01T00:00:00Z', '2024-04-01 10:00:00', '20240401T100000Z']);
        return { kind, path: 'valuationTimestamp' };
      }
      return plantMessageDefect(r, 'bad-currency', rec, required);
    case 'bad-currency':
    case 'bad-action-event':
    case 'event-before-execution': {
      const path = valuation ? 'valuationCurrency' : 'currencyOfInitialMarginPosted';
      rec[path] = r.pick(['XYZ', 'US', 'usd', 'EURO']);
      return { kind: 'bad-currency', path };
    }
  }
}

function plantTransactionDefect(r: Random, kind: DefectKind, rec: Json): DefectLabel {
  const leg1 = rec.leg1 as Json | undefined;
  switch (kind) {
    case 'missing-required': {
      const path = r.pick(REQUIRED);
      delete rec[path];
      return { kind, path };
    }
    case 'bad-lei-check':
      rec.counterparty2 = corruptLeiCheck(String(rec.counterparty2));
      return { kind, path: 'counterparty2' };
    case 'bad-currency':
      if (leg1?.notionalCurrency !== undefined) {
        leg1.notionalCurrency = r.pick(['XYZ', 'US', 'usd', 'EURO']);
        return { kind, path: 'leg1.notionalCurrency' };
      }
      rec.valuationCurrency = 'XYZ';
      return { kind, path: 'valuationCurrency' };
    case 'bad-date':
      rec.effectiveDate = r.pick(['2024-13-01', '2024-02-30', '20240401', '01/04/2024']);
      return { kind, path: 'effectiveDate' };
    case 'negative-notional':
      if (leg1?.notionalAmount !== undefined) {
        leg1.notionalAmount = '-' + String(leg1.notionalAmount);
        return { kind, path: 'leg1.notionalAmount' };
      }
      rec.counterparty2 = corruptLeiCheck(String(rec.counterparty2));
      return { kind: 'bad-lei-check', path: 'counterparty2' };
    case 'bad-action-event':
      // An event type the action does not allow (or one on an action that takes none).
      // NEWT and MODI never take ETRM; TERM never takes TRAD; VALU, MARU, CORR and EROR take none at all.
      rec.eventType = rec.actionType === 'NEWT' || rec.actionType === 'MODI' ? 'ETRM' : 'TRAD';
      return { kind, path: 'eventType' };
    case 'uti-too-long':
      rec.uniqueTransactionIdentifier = String(rec.uniqueTransactionIdentifier) + 'X'.repeat(40);
      return { kind, path: 'uniqueTransactionIdentifier' };
    case 'event-before-execution': {
      const exec = Date.parse(String(rec.executionTimestamp));
      rec.eventTimestamp = new Date(exec - 3_600_000).toISOString().replace('.000Z', 'Z');
      return { kind, path: 'eventTimestamp' };
    }
  }
}
