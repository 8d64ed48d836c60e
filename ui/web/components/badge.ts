/** A status word as a coloured pill; the colour follows the word's meaning (good, bad, pending, neutral). */
import { html } from '../html.js';
import { t, type MsgKey } from '../i18n/index.js';

const TONE: Record<string, string> = {
  accepted: 'good', acked: 'good', live: 'good', confirmed: 'bad', closed: 'neutral', approved: 'good', resolved: 'neutral', ACK: 'good',
  accepted_with_warnings: 'warn', warning: 'warn', pending: 'pending', pending_approval: 'pending', sent: 'pending', correcting: 'pending',
  open: 'warn', acknowledged: 'neutral', dismissed: 'neutral', info: 'neutral',
  rejected: 'bad', nacked: 'bad', failed: 'bad', errored: 'bad', error: 'bad', critical: 'bad', NACK: 'bad', missed: 'bad', terminated: 'neutral',
};

/** The translated word when the table has `status.<value>`, else the value itself (codes such as NEWT). */
export function statusLabel(value: string): string {
  const key = `status.${value}` as MsgKey;
  const text = t(key);
  return text === undefined ? value : text;
}

export function Badge({ value }: { value: string | null | undefined }) {
  if (!value) return html`<span class="muted">–</span>`;
  return html`<span class=${`badge tone-${TONE[value] ?? 'neutral'}`} data-status=${value}>${statusLabel(value)}</span>`;
}
