// The canonical record schema against the CFTC data element table and against the generated ts-proto code.
import { describe, expect, it } from 'vitest';
import * as gen from '../../proto/gen/swap_report.js';
import { buildSchema, tsProtoPropertyName, type FieldSpec, type MessageSpec } from '../../engine/record/schema.js';

type ExpectedKind = 'text' | 'decimal' | 'bool' | 'int32' | 'price' | 'barrierPrice' | 'struct';

// Transcribed from shared/spec/cftc-data-elements.tsv (number, json_path, kind from the format column), one row per
// JSON path; leg2 rows are omitted (checked by mirroring leg1) and ".<notation>" is cut (checked as a PriceFormat).
// Elements 107-115, 117-123 and 125-128 have json_path "(none)" in the table and are not listed.
const SPEC_ROWS: ReadonlyArray<readonly [string, string, ExpectedKind]> = [
  ['1', 'cleared', 'text'],
  ['2', 'centralCounterparty', 'text'],
  ['3', 'clearingAccountOrigin', 'text'],
  ['4', 'clearingMember', 'text'],
  ['5', 'clearingSwapUSIs[]', 'text'],
  ['6', 'clearingSwapUTIs[]', 'text'],
  ['7', 'originalSwapUSI', 'text'],
  ['8', 'originalSwapUTI', 'text'],
  ['9', 'originalSwapSDRIdentifier', 'text'],
  ['10', 'clearingReceiptTimestamp', 'text'],
  ['11', 'clearingExceptionsAndExemptionsCounterparty1[]', 'text'],
  ['12', 'clearingExceptionsAndExemptionsCounterparty2[]', 'text'],
  ['13', 'counterparty1', 'text'],
  ['14', 'counterparty2', 'text'],
  ['15', 'counterparty2IdentifierSource', 'text'],
  ['16', 'counterparty1FinancialEntityIndicator', 'bool'],
  ['17', 'counterparty2FinancialEntityIndicator', 'bool'],
  ['18', 'buyerIdentifier', 'text'],
  ['19', 'sellerIdentifier', 'text'],
  ['20', 'leg1.payerIdentifier', 'text'],
  ['21', 'leg1.receiverIdentifier', 'text'],
  ['22', 'reportSubmittingEntityID', 'text'],
  ['23', 'counterparty1FederalEntityIndicator', 'bool'],
  ['24', 'counterparty2FederalEntityIndicator', 'bool'],
  ['25', 'customBasketIndicator', 'bool'],
  ['26', 'actionType', 'text'],
  ['27', 'eventType', 'text'],
  ['28', 'amendmentIndicator', 'bool'],
  ['29', 'eventIdentifier', 'text'],
  ['30', 'eventTimestamp', 'text'],
  ['31', 'leg1.notionalAmount', 'decimal'],
  ['32', 'leg1.notionalCurrency', 'text'],
  ['33', 'leg1.notionalAmountSchedule[].value', 'decimal'],
  ['34', 'leg1.notionalAmountSchedule[].effectiveDate', 'text'],
  ['35', 'leg1.notionalAmountSchedule[].endDate', 'text'],
  ['36', 'callAmount', 'decimal'],
  ['37', 'callCurrency', 'text'],
  ['38', 'putAmount', 'decimal'],
  ['39', 'putCurrency', 'text'],
  ['40', 'leg1.notionalQuantity', 'decimal'],
  ['41', 'leg1.quantityFrequency', 'text'],
  ['42', 'leg1.quantityFrequencyMultiplier', 'int32'],
  ['43', 'leg1.quantityUnitOfMeasure', 'text'],
  ['44', 'leg1.totalNotionalQuantity', 'decimal'],
  ['45', 'packageIndicator', 'bool'],
  ['46', 'packageIdentifier', 'text'],
  ['47', 'packageTransactionPrice', 'price'],
  ['48', 'packageTransactionPriceCurrency', 'text'],
  ['49', 'packageTransactionPriceNotation', 'text'],
  ['50', 'packageTransactionSpread', 'price'],
  ['51', 'packageTransactionSpreadCurrency', 'text'],
  ['52', 'packageTransactionSpreadNotation', 'text'],
  ['53', 'leg1.periodicPayment.fixedRateDayCountConvention', 'text'],
  ['53', 'leg1.periodicPayment.floatingRateDayCountConvention', 'text'],
  ['54', 'leg1.fixingDate', 'text'],
  ['55', 'leg1.periodicPayment.floatingRateResetFrequencyPeriod', 'text'],
  ['56', 'leg1.periodicPayment.floatingRateResetFrequencyMultiplier', 'int32'],
  ['57', 'otherPayment[].paymentType', 'text'],
  ['58', 'otherPayment[].amount', 'decimal'],
  ['59', 'otherPayment[].currency', 'text'],
  ['60', 'otherPayment[].date', 'text'],
  ['61', 'otherPayment[].payer', 'text'],
  ['62', 'otherPayment[].receiver', 'text'],
  ['63', 'leg1.periodicPayment.fixedRatePaymentFrequencyPeriod', 'text'],
  ['63', 'leg1.periodicPayment.floatingRatePaymentFrequencyPeriod', 'text'],
  ['64', 'leg1.periodicPayment.fixedRatePaymentFrequencyPeriodMultiplier', 'int32'],
  ['64', 'leg1.periodicPayment.floatingRatePaymentFrequencyPeriodMultiplier', 'int32'],
  ['65', 'exchangeRate', 'decimal'],
  ['66', 'exchangeRateBasis', 'text'],
  ['67', 'leg1.fixedRate', 'decimal'],
  ['68', 'postPricedSwapIndicator', 'bool'],
  ['69', 'price', 'price'],
  ['70', 'priceCurrency', 'text'],
  ['71', 'priceNotation', 'text'],
  ['72', 'priceUnitOfMeasure', 'text'],
  ['73', 'leg1.spread', 'price'],
  ['74', 'leg1.spreadCurrency', 'text'],
  ['75', 'leg1.spreadNotation', 'text'],
  ['76', 'strikePrice', 'price'],
  ['77', 'strikePriceCurrency', 'text'],
  ['78', 'strikePriceNotation', 'text'],
  ['79', 'optionPremiumAmount', 'decimal'],
  ['80', 'optionPremiumCurrency', 'text'],
  ['81', 'optionPremiumPaymentDate', 'text'],
  ['82', 'firstExerciseDate', 'text'],
  ['83', 'cdSIndexAttachmentPoint', 'decimal'],
  ['84', 'cdSIndexDetachmentPoint', 'decimal'],
  ['85', 'indexFactor', 'decimal'],
  ['86', 'embeddedOptionType', 'text'],
  ['87', 'uniqueProductIdentifier', 'text'],
  ['88', 'finalContractualSettlementDate', 'text'],
  ['89', 'leg1.settlementCurrency', 'text'],
  ['90', 'settlementLocation', 'text'],
  ['91', 'allocationIndicator', 'text'],
  ['92', 'nonStandardizedTermIndicator', 'bool'],
  ['93', 'blockTradeElectionIndicator', 'bool'],
  ['94', 'effectiveDate', 'text'],
  ['95', 'expirationDate', 'text'],
  ['96', 'executionTimestamp', 'text'],
  ['97', 'reportingTimestamp', 'text'],
  ['98', 'platformIdentifier', 'text'],
  ['99', 'primeBrokerageTransactionIndicator', 'bool'],
  ['100', 'priorUSI', 'text'],
  ['101', 'priorUTI', 'text'],
  ['102', 'uniqueSwapIdentifier', 'text'],
  ['103', 'uniqueTransactionIdentifier', 'text'],
  ['104', 'jurisdiction', 'text'],
  ['105', 'newSDRIdentifier', 'text'],
  ['106', 'leg1.nextFloatingReferenceResetDate', 'text'],
  ['116', 'initialMarginCollateralPortfolioCode', 'text'],
  ['124', 'variationMarginCollateralPortfolioCode', 'text'],
  ['TR', 'cftcGuidebook.optionType', 'text'],
  ['TR', 'cftcGuidebook.optionStyle', 'text'],
  ['TR', 'cftcGuidebook.assetClass', 'text'],
  ['TR', 'cftcGuidebook.mandatoryClearingIndicator', 'bool'],
  ['TR', 'cftcGuidebook.maturityDateOfTheUnderlier', 'text'],
  ['TR', 'cftcGuidebook.largeNotionalOffFacilitySwapElectionIndicator', 'bool'],
  ['TR', 'cftcGuidebook.sefOrDcmIndicator', 'bool'],
  ['TR', 'cftcGuidebook.sefOrDcmAnonymousExecutionIndicator', 'bool'],
  ['TR', 'cftcGuidebook.messageType', 'text'],
  ['TR', 'cftcGuidebook.settlementType', 'text'],
  ['TR', 'cftcGuidebook.sdMspIndicatorParty1', 'bool'],
  ['TR', 'cftcGuidebook.sdMspIndicatorParty2', 'bool'],
  ['TR', 'cftcGuidebook.physicalCommodityIndicator', 'bool'],
  ['X', 'clearingTimestamp', 'text'],
  ['X', 'countryOfTheCounterparty2', 'text'],
  ['X', 'executionAgentCounterparty1', 'text'],
  ['X', 'executionAgentCounterparty2', 'text'],
  ['X', 'counterparty2Name', 'text'],
  ['X', 'earlyTerminationDate', 'text'],
  ['X', 'traderLocation', 'text'],
  ['X', 'barrier._single', 'barrierPrice'],
  ['X', 'barrier.upper', 'barrierPrice'],
  ['X', 'barrier.lower', 'barrierPrice'],
  ['X', 'priceSchedule[].price', 'price'],
  ['X', 'priceSchedule[].effectiveDate', 'text'],
  ['X', 'priceSchedule[].endDate', 'text'],
  ['X', 'strikePriceSchedule[].price', 'price'],
  ['X', 'strikePriceSchedule[].effectiveDate', 'text'],
  ['X', 'strikePriceSchedule[].endDate', 'text'],
  ['NR', 'nonReportable.counterparty1Format', 'text'],
  ['NR', 'nonReportable.counterparty2Format', 'text'],
  ['NR', 'nonReportable.buyerIdentifierFormat', 'text'],
  ['NR', 'nonReportable.sellerIdentifierFormat', 'text'],
  ['NR', 'leg1.payerIdentifierFormat', 'text'],
  ['NR', 'leg1.receiverIdentifierFormat', 'text'],
  ['NR', 'otherPayment[].payerFormat', 'text'],
  ['NR', 'otherPayment[].receiverFormat', 'text'],
  ['NR', 'nonReportable.instrumentType', 'text'],
  ['NR', 'nonReportable.underlyingAssetType', 'text'],
  ['NR', 'nonReportable.notionalSchedule', 'text'],
  ['NR', 'nonReportable.preUpiData', 'struct'],
  ['NR', 'nonReportable.postUpiData', 'struct'],
  ['NR', 'nonReportable.enrichment', 'struct'],
];

const schema = buildSchema();

/** Resolves a TSV path like "leg1.notionalAmountSchedule[].value" to the fields along it. */
function resolve(path: string): FieldSpec[] {
  const chain: FieldSpec[] = [];
  let msg: MessageSpec | undefined = schema;
  for (const rawSeg of path.split('.')) {
    const repeated = rawSeg.endsWith('[]');
    const seg = repeated ? rawSeg.slice(0, -2) : rawSeg;
    if (!msg) throw new Error(`${path}: "${seg}" is below a non-message field`);
    const f: FieldSpec | undefined = msg.fields.find((x) => x.jsonName === seg);
    if (!f) throw new Error(`${path}: no field with JSON name "${seg}" in ${msg.typeName}`);
    expect(f.repeated, `${path}: ${seg} repeated`).toBe(repeated);
    chain.push(f);
    msg = f.message;
  }
  return chain;
}

function allMessages(root: MessageSpec): MessageSpec[] {
  const seen = new Map<string, MessageSpec>();
  const visit = (m: MessageSpec): void => {
    if (seen.has(m.typeName)) return;
    seen.set(m.typeName, m);
    for (const f of m.fields) if (f.message) visit(f.message);
  };
  visit(root);
  return [...seen.values()];
}

describe('record schema vs the CFTC data element table', () => {
  const rows = SPEC_ROWS.flatMap(([de, path, kind]) =>
    path.startsWith('leg1.') ? [[de, path, kind] as const, [de, path.replace('leg1.', 'leg2.'), kind] as const] : [[de, path, kind] as const],
  );

  it.each(rows)('DE %s %s is a %s field', (de, path, kind) => {
    const chain = resolve(path);
    const leaf = chain[chain.length - 1] as FieldSpec;
    switch (kind) {
      case 'price': {
        expect(leaf.kind).toBe('message');
        expect(leaf.message?.typeName).toBe('swaprep.record.PriceFormat');
        break;
      }
      case 'barrierPrice':
        expect(leaf.kind).toBe('message');
        expect(leaf.message?.typeName).toBe('swaprep.record.BarrierPrice');
        break;
      default:
        expect(leaf.kind).toBe(kind);
    }
    if (/^\d+$/.test(de)) {
      // A data element sits under its own number (a floating-rate variant under 200 + n).
      expect([Number(de), 200 + Number(de)]).toContain(leaf.number);
      if (leaf.number !== Number(de)) expect(leaf.jsonName).toMatch(/^floating/);
    } else if (de === 'X') {
      expect((chain[0] as FieldSpec).number).toBeGreaterThanOrEqual(200);
    } else {
      expect(leaf.number).toBeGreaterThanOrEqual(200);
    }
  });

  it('PriceFormat has the four notation keys, all exact decimals, numbered by Tech Spec notation code', () => {
    const price = resolve('price')[0]?.message;
    expect(price?.fields.map((f) => [f.jsonName, f.number, f.kind, f.repeated])).toEqual([
      ['monetary', 1, 'decimal', false],
      ['percentage', 2, 'decimal', false],
      ['decimal', 3, 'decimal', false],
      ['basis', 4, 'decimal', false],
    ]);
  });

  it('every field of the record is either listed in the table, a container on a listed path, or one of the 107-128 elements', () => {
    const listed = new Set<string>();
    for (const [, path] of rows) {
      const segs = path.replace(/\[\]/g, '').split('.');
      for (let i = 1; i <= segs.length; i++) listed.add(segs.slice(0, i).join('.'));
    }
    const unlisted: string[] = [];
    const walk = (m: MessageSpec, prefix: string, depth: number): void => {
      for (const f of m.fields) {
        const p = prefix === '' ? f.jsonName : `${prefix}.${f.jsonName}`;
        if (m.typeName === 'swaprep.record.PriceFormat') continue; // the <notation> keys
        if (!listed.has(p)) unlisted.push(`${p}=${f.number}`);
        if (f.message && depth < 4) walk(f.message, p, depth + 1);
      }
    };
    walk(schema, '', 0);
    // barrier.*.{price,notation,currency} come from the TSV format text ("each BarrierPrice {price, notation,
    // currency}"), not from its path column.
    const notModelled = unlisted.filter((p) => !p.startsWith('barrier.'));
    const numbers = notModelled.map((p) => Number(p.split('=')[1]));
    expect(numbers.every((n) => n >= 107 && n <= 128 && n !== 116 && n !== 124)).toBe(true);
    // 107-128 minus 116 and 124 = 20 elements: 18 trade-level, 107 and 108 once per leg.
    expect(notModelled.length).toBe(18 + 2 * 2);
  });

  it('uses proto names that camelCase to the JSON names, so TS properties equal JSON keys (one documented exception)', () => {
    const differing: string[] = [];
    for (const m of allMessages(schema)) for (const f of m.fields) if (f.prop !== f.jsonName) differing.push(`${m.typeName}.${f.jsonName}->${f.prop}`);
    expect(differing).toEqual(['swaprep.record.Barrier._single->single']);
    const top = (json: string) => schema.fields.find((f) => f.jsonName === json)?.prop;
    for (const name of ['reportSubmittingEntityID', 'newSDRIdentifier', 'priorUSI', 'clearingSwapUTIs', 'originalSwapSDRIdentifier', 'cdSIndexAttachmentPoint']) {
      expect(top(name)).toBe(name);
    }
  });

  it('derives the same property names as the generated ts-proto interfaces', () => {
    const fns = gen as unknown as Record<string, { fromPartial(o: object): object } | undefined>;
    for (const m of allMessages(schema)) {
      const short = m.typeName.replace('swaprep.record.', '');
      const generated = fns[short];
      expect(generated, short).toBeDefined();
      // fromPartial({}) starts from ts-proto's createBase*, which lists every property of the interface.
      const keys = Object.keys(generated?.fromPartial({}) ?? {}).sort();
      expect(keys, short).toEqual(m.fields.map((f) => f.prop).sort());
    }
  });

  it('replicates ts-proto snakeToCamel', () => {
    expect(tsProtoPropertyName('report_submitting_entity_ID')).toBe('reportSubmittingEntityID');
    expect(tsProtoPropertyName('cd_S_index_attachment_point')).toBe('cdSIndexAttachmentPoint');
    expect(tsProtoPropertyName('leg1')).toBe('leg1');
    expect(tsProtoPropertyName('ALL_CAPS_NAME')).toBe('allCapsName');
  });
});
