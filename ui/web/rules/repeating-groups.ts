/**
 * Repeating groups in the correction editor: the record keeps them as arrays of items in the canonical JSON shape
 * (`otherPayment: [{...}, {...}]`, `leg1.notionalAmountSchedule: [...]`; proto/swap_report.proto's repeated
 * messages), so adding and removing an item is an array edit at the group's path. Pure functions on copies:
 * the editor's state is never changed in place.
 */
import { getAt, setAt } from './json-path.js';

type Json = Record<string, unknown>;

/** A group member's JSON path split at its item marker: "leg1.notionalAmountSchedule[].value" → group and field. */
export interface GroupMember {
  /** The array's path in the record ("leg1.notionalAmountSchedule"). */
  group: string;
  /** The path inside one item ("value"; may itself be dotted, e.g. "price.monetary"). */
  field: string;
}

/**
 * Splits a path at its item marker `[].`; undefined for a path outside any group of messages (a scalar list such
 * as `clearingSwapUTIs[]` has no `[].`: it is edited as one comma-separated value, not item by item).
 */
export function groupMember(path: string): GroupMember | undefined {
  const at = path.indexOf('[].');
  if (at < 0) return undefined;
  return { group: path.slice(0, at), field: path.slice(at + 3) };
}

/** The path of one item's field: itemPath("otherPayment", 1, "amount") = "otherPayment[1].amount". */
export function itemPath(group: string, index: number, field: string): string {
  return `${group}[${index}].${field}`;
}

/** The group's items (none when the record has no such array). */
export function itemsOf(record: Json, group: string): unknown[] {
  const v = getAt(record, group);
  return Array.isArray(v) ? v : [];
}

/** A copy of `record` with an empty item appended to the group (the array created when missing). */
export function addItem(record: Json, group: string): Json {
  return setAt(record, group, [...structuredClone(itemsOf(record, group)), {}]);
}

/**
 * A copy of `record` without the group's item at `index`; the later items move up one place. Removing the
 * last item removes the array itself (the record then reads as if the group had never been reported).
 */
export function removeItem(record: Json, group: string, index: number): Json {
  const items = itemsOf(record, group);
  if (!Number.isInteger(index) || index < 0 || index >= items.length) return structuredClone(record);
  const kept = structuredClone(items.filter((_, i) => i !== index));
  return setAt(record, group, kept.length > 0 ? kept : undefined);
}
