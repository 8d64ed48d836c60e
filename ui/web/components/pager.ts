/**
 * Keyset pages: the server hands an opaque cursor for the next page; going back pops the cursors walked. The
 * filters are in the URL; the cursors walked are kept in the page (a cursor is only good for one query).
 */
import { html, useState } from '../html.js';
import { t } from '../i18n/index.js';

export interface PagerState {
  cursor: string | undefined;
  next: (cursor: string) => void;
  back: () => void;
  reset: () => void;
  depth: number;
}

export function usePager(initial?: string): PagerState {
  const [stack, setStack] = useState<(string | undefined)[]>([initial]);
  return {
    cursor: stack[stack.length - 1],
    depth: stack.length - 1,
    next: (c) => setStack((s) => [...s, c]),
    back: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([undefined]),
  };
}

export function Pager({ pager, nextCursor, count }: { pager: PagerState; nextCursor: string | null | undefined; count: number }) {
  return html`<nav class="pager" aria-label=${t('pager.label')}>
    <button type="button" disabled=${pager.depth === 0} onClick=${pager.back}>${t('pager.previous')}</button>
    <span class="muted">${t('pager.page', { page: pager.depth + 1, count })}</span>
    <button type="button" class="next-page" disabled=${!nextCursor} onClick=${() => nextCursor && pager.next(nextCursor)}>${t('pager.next')}</button>
  </nav>`;
}
