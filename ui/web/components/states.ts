/** The three states every page shows besides its data: loading, empty and error (with a retry). */
import { html, type ComponentChildren } from '../html.js';
import { t } from '../i18n/index.js';
import { ApiError } from '../api/client.js';

export function Loading() {
  return html`<div class="state state-loading" role="status" aria-live="polite"><span class="spinner" aria-hidden="true"></span>${t('state.loading')}</div>`;
}

export function Empty({ children }: { children?: ComponentChildren }) {
  return html`<div class="state state-empty">${children ?? t('state.empty')}</div>`;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'network') return t('error.network');
    if (err.code === 'forbidden') return t('error.forbidden');
    if (err.code === 'unavailable') return `${t('error.unavailable')} ${err.message}`;
    return err.field ? `${err.message} (${err.field})` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export function ErrorView({ error, retry }: { error: unknown; retry?: () => void }) {
  return html`<div class="state state-error" role="alert">
    <strong>${t('state.error')}</strong> <span class="error-text">${errorText(error)}</span>
    ${retry ? html` <button type="button" onClick=${retry}>${t('action.retry')}</button>` : null}
  </div>`;
}

/** A small inline error line under a form or action. */
export function InlineError({ error }: { error: unknown }) {
  return error ? html`<p class="inline-error" role="alert">${errorText(error)}</p>` : null;
}
