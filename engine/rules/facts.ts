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

/** Bit per asset class, so a rule's "asset class is X or Y" is one mask test. */
export const ASSET_BIT: Readonly<Record<AssetClass, number>> = { InterestRate: 1, Credit: 2, Equity: 4, Commodity: 8, ForeignExchange: 16 };

/** The guidebook's asset class names (a switch: comparisons, no hashing of the record's string). */
function guidebookAssetBit(name: unknown): number {
  switch (name) {
    case 'InterestRate': return ASSET_BIT.InterestRate;
    case 'Credit': return ASSET_BIT.Credit;
    case 'Equity': return ASSET_BIT.Equity;
    case 'Commodity': return ASSET_BIT.Commodity;
    case 'ForeignExchange': return ASSET_BIT.ForeignExchange;
    default: return 0;
  }
}

/** The UPI record's (ANNA DSB) asset class names. */
function upiAssetBit(name: unknown): number {
  switch (name) {
    case 'Rates': return ASSET_BIT.InterestRate;
    case 'Credit': return ASSET_BIT.Credit;
    case 'Equity': return ASSET_BIT.Equity;
    case 'Commodities': return ASSET_BIT.Commodity;
    case 'Foreign_Exchange': return ASSET_BIT.ForeignExchange;
    default: return 0;
  }
}

export interface Facts {
  /** Asset classes the record declares, as ASSET_BIT bits: the guidebook's and the UPI record's. */
  readonly assets: number;
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
  /**
   * Whether the record says its instrument type (UPI record, helper, or an option style), its delivery type
   * (UPI record or guidebook settlement type) and its underlier type. Rules of the form "C if UPI.[x] = ...,
   * else {blank}" impose nothing when x is not given at all: the UPI data sits in non-reportable helpers,
   * and a record without them is not at fault for lacking what the rule would need.
   */
  readonly instrumentKnown: boolean;
  readonly deliveryKnown: boolean;
  readonly underlierKnown: boolean;
}

function obj(v: unknown): Rec | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function factsOf(r: Rec): Facts {
  const gb = obj(r['cftcGuidebook']);
  const nr = obj(r['nonReportable']);
  // The UPI record is a free-form object, usually absent: skip its look-ups then.
  const post = nr === undefined ? undefined : obj(nr['postUpiData']);
  const header = post === undefined ? undefined : obj(post['Header']);
  const attributes = post === undefined ? undefined : obj(post['Attributes']);
  const derived = post === undefined ? undefined : obj(post['Derived']);

  const nrInstrument = str(nr?.['instrumentType']);
  const instrumentType = str(header?.['InstrumentType']) ?? nrInstrument;
  const optionStyle = gb?.['optionStyle'];
  const deliveryType = str(attributes?.['DeliveryType']);
  const settlementType = str(gb?.['settlementType']);
  const underlyingAssetType = str(derived?.['UnderlyingAssetType']) ?? str(nr?.['underlyingAssetType']);

  return {
    assets: guidebookAssetBit(gb?.['assetClass']) | upiAssetBit(header?.['AssetClass']),
    instrumentType,
    underlyingAssetType,
    option: optionStyle !== undefined || instrumentType === 'Option' || nrInstrument === 'Option',
    notPostPriced: r['postPricedSwapIndicator'] === false,
    cashDelivery: deliveryType === 'CASH' || settlementType === 'CASH',
    notionalSchedule: str(attributes?.['NotionalSchedule']) ?? str(nr?.['notionalSchedule']),
    messageKind: messageKindOf(r['actionType']),
    instrumentKnown: instrumentType !== undefined || optionStyle !== undefined,
    deliveryKnown: deliveryType !== undefined || settlementType !== undefined,
    underlierKnown: underlyingAssetType !== undefined,
  };
}
