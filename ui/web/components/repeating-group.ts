/**
 * A repeating group in the correction editor (other payments, a leg's notional amount schedule, price schedules):
 * its items one under the other, each with every member field and a Remove button, then Add an item. The record
 * edits themselves are ui/web/rules/repeating-groups.ts; this only draws them.
 */
import { html, type VNode } from '../html.js';
import { t } from '../i18n/index.js';
import type { DataElement } from '../../../engine/rules/elements.js';
import { itemPath } from '../rules/repeating-groups.js';
import type { FormField } from './record-field.js';

/** A group and its members (the data elements with a path inside its items), in the data-element table's order. */
export interface GroupSpec {
  /** The array's JSON path ("otherPayment", "leg1.notionalAmountSchedule"). */
  group: string;
  members: { element: DataElement; propPath: string; field: string }[];
}

export function RepeatingGroup({ spec, count, generation, renderField, onAdd, onRemove }: {
  spec: GroupSpec;
  /** How many items the record has now. */
  count: number;
  /**
   * Changes whenever items were removed: item blocks are keyed by it, so inputs that keep their own text (JSON
   * prices) are drawn afresh for the item that moved into a removed one's place instead of showing its text.
   */
  generation: number;
  renderField: (field: FormField) => VNode;
  onAdd: () => void;
  onRemove: (index: number) => void;
}) {
  const { group, members } = spec;
  const items = Array.from({ length: count }, (_, i) => i);
  return html`<div class="repeating-group" data-group=${group} role="group" aria-label=${group}>
    <div class="group-head"><span class="mono">${group}</span> <span class="muted small">${t('corr.itemCount', { n: count })}</span></div>
    ${items.map((i) => html`<fieldset key=${`${generation}:${i}`} class="group-item" data-item=${i}>
      <legend><span class="mono">${group}[${i}]</span>
        <button type="button" class="link" data-remove-item=${i} aria-label=${t('corr.removeItem', { item: `${group}[${i}]` })}
          onClick=${() => onRemove(i)}>${t('corr.remove')}</button></legend>
      ${members.map((m) => renderField({ path: itemPath(group, i, m.field), propPath: m.propPath, element: m.element, group, scalarList: false }))}
    </fieldset>`)}
    <div><button type="button" data-add-item=${group} onClick=${onAdd}>${t('corr.addItem')}</button></div>
  </div>`;
}
