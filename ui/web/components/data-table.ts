/**
 * A dense table of rows: j/k select, Enter or a click opens, x ticks a row when the table is selectable.
 * Columns are small render functions, so pages decide how each cell looks.
 */
import { html, type ComponentChildren } from '../html.js';
import { useListKeys } from '../keys.js';

export interface Column<T> {
  label: string;
  render: (row: T) => ComponentChildren;
  className?: string;
}

export function DataTable<T>({ rows, columns, onOpen, rowKey, selectable, picked, onPick, label }: {
  rows: T[];
  columns: Column<T>[];
  onOpen?: (row: T) => void;
  rowKey: (row: T) => string;
  selectable?: boolean;
  picked?: ReadonlySet<string>;
  onPick?: (key: string, on: boolean) => void;
  label: string;
}) {
  const toggle = (i: number) => {
    const row = rows[i];
    if (row && onPick) onPick(rowKey(row), !picked?.has(rowKey(row)));
  };
  const [selected, setSelected] = useListKeys(rows.length, (i) => rows[i] && onOpen?.(rows[i]), selectable ? { x: toggle } : {});
  return html`<div class="table-wrap"><table class="data-table" aria-label=${label}>
    <thead><tr>
      ${selectable ? html`<th class="pick"><span class="sr-only">✓</span></th>` : null}
      ${columns.map((c) => html`<th class=${c.className ?? ''} scope="col">${c.label}</th>`)}
    </tr></thead>
    <tbody>
      ${rows.map((row, i) => {
        const key = rowKey(row);
        return html`<tr key=${key} data-row=${i} data-key=${key} class=${`${i === selected ? 'selected' : ''} ${onOpen ? 'openable' : ''}`}
            aria-selected=${i === selected}
            onClick=${(e: MouseEvent) => {
              setSelected(i);
              if ((e.target as HTMLElement).closest('input,button,a')) return;
              onOpen?.(row);
            }}>
          ${selectable
            ? html`<td class="pick"><input type="checkbox" aria-label=${key} checked=${picked?.has(key) ?? false}
                onChange=${(e: Event) => onPick?.(key, (e.target as HTMLInputElement).checked)} /></td>`
            : null}
          ${columns.map((c) => html`<td class=${c.className ?? ''}>${c.render(row)}</td>`)}
        </tr>`;
      })}
    </tbody>
  </table></div>`;
}
