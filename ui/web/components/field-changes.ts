/** The differences between two versions of a trade: path, value before, value after. */
import { html } from '../html.js';
import { t } from '../i18n/index.js';
import type { FieldChange } from '../../api/contract.js';

const show = (v: unknown): string => (v === null || v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v));

export function FieldChanges({ changes }: { changes: FieldChange[] }) {
  if (changes.length === 0) return html`<p class="muted small">${t('trade.noChanges')}</p>`;
  return html`<table class="diff" aria-label=${t('trade.changes')}>
    <thead><tr><th>${t('trade.field')}</th><th>${t('trade.before')}</th><th>${t('trade.after')}</th></tr></thead>
    <tbody>${changes.map((c) => html`<tr key=${c.path}>
      <td class="mono">${c.path}</td><td class=${`mono ${c.before === null || c.before === undefined ? 'muted' : 'del'}`}>${show(c.before)}</td>
      <td class=${`mono ${c.after === null || c.after === undefined ? 'muted' : 'ins'}`}>${show(c.after)}</td>
    </tr>`)}</tbody>
  </table>`;
}
