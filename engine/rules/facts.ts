/**
 * Facts about a record that many conditions ask for (asset class, option or not, clearing case...),
 * derived once per record instead of once per condition.
 *
 * The Technical Specification phrases these on the UPI (`UPI.[Instrument type] = Option`); DRR's model
 * stands in with guidebook fields (`cftcGuidebook.optionStyle` present, `cftcGuidebook.assetClass`). We
 * accept either source, as DRR does for most rules, so a record carrying only one of them is judged the same.
 */
import { messageKindOf } from './messages.js';
import type { Rec } from './types.js';

export type AssetClass = 'InterestRate' | 'Credit' | 'Equity' | 'Commodity' | 'ForeignExchange';

/** UPI (ANNA DSB) asset class names mapped to the guidebook's. */
const UPI_ASSET: Readonly<Record<string, AssetClass>> = {
  Rates: 'InterestRate',
  Credit: 'Credit',
  Equity: 'Equity',
  Commodities: 'Commodity',
  Foreign_Exchange: 'ForeignExchange',
};

export interface Facts {
  /** Asset class per the guidebook; undefined when absent or not one of the five. */
  readonly guidebookAsset: AssetClass | undefined;
  /** Asset class per the UPI record (nonReportable.postUpiData.Header.AssetClass). */
  readonly upiAsset: AssetClass | undefined;
  /** UPI instrument type (post-UPI record, else the nonReportable helper): Swap, Option, Forward, Other. */
  readonly instrumentType: string | undefined;
  /** UPI underlier type (post-UPI derived data, else the nonReportable helper): Index, Index_Tranche, Fixed_Fixed... */
  readonly underlyingAssetType: string | undefined;
  /** UPI.[Instrument type] = Option, or the guidebook's option style is given (DRR's stand-in). */
  readonly option: boolean;
  /** [Post-priced swap indicator] = False (absent is not False, as in the model). */
  readonly notPostPriced: boolean;
  /** UPI.[Delivery type] = CASH, or guidebook settlement type CASH. */
  readonly cashDelivery: boolean;
  /** UPI notional schedule (post-UPI attributes, else the nonReportable helper): Constant, Amortizing... */
  readonly notionalSchedule: string | undefined;
  /** 0 transaction, 1 valuation (VALU), 2 collateral (MARU): see messages.ts. */
  readonly messageKind: number;
}

function obj(v: unknown): Rec | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

const GUIDEBOOK_ASSETS: ReadonlySet<string> = new Set(['InterestRate', 'Credit', 'Equity', 'Commodity', 'ForeignExchange']);

export function factsOf(r: Rec): Facts {
  const gb = obj(r['cftcGuidebook']);
  const nr = obj(r['nonReportable']);
  const post = obj(nr?.['postUpiData']);
  const header = obj(post?.['Header']);
  const attributes = obj(post?.['Attributes']);
  const derived = obj(post?.['Derived']);

  const gbAsset = str(gb?.['assetClass']);
  const upiAssetName = str(header?.['AssetClass']);
  const instrumentType = str(header?.['InstrumentType']) ?? str(nr?.['instrumentType']);
  const nrInstrument = str(nr?.['instrumentType']);

  return {
    guidebookAsset: gbAsset !== undefined && GUIDEBOOK_ASSETS.has(gbAsset) ? (gbAsset as AssetClass) : undefined,
    upiAsset: upiAssetName !== undefined ? UPI_ASSET[upiAssetName] : undefined,
    instrumentType,
    underlyingAssetType: str(derived?.['UnderlyingAssetType']) ?? str(nr?.['underlyingAssetType']),
    option: gb?.['optionStyle'] !== undefined || instrumentType === 'Option' || nrInstrument === 'Option',
    notPostPriced: r['postPricedSwapIndicator'] === false,
    cashDelivery: str(attributes?.['DeliveryType']) === 'CASH' || str(gb?.['settlementType']) === 'CASH',
    notionalSchedule: str(attributes?.['NotionalSchedule']) ?? str(nr?.['notionalSchedule']),
    messageKind: messageKindOf(r['actionType']),
  };
}

/** Asset class test on either source (guidebook or UPI record). */
export function isAsset(f: Facts, a: AssetClass): boolean {
  return f.guidebookAsset === a || f.upiAsset === a;
}
