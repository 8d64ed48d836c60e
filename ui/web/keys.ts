/**
 * Keyboard use: `/` focuses the page's search field, j/k move in the page's main list, Enter opens the selected
 * row, Esc closes a dialog or leaves a field, `g` then a letter goes to a page, `?` shows the keys.
 * Keys typed into a field are the field's (except Esc).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { navigate } from './router.js';

export function isTyping(e: KeyboardEvent): boolean {
  const el = e.target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

export const GO_KEYS: Record<string, string> = {
  d: '/', s: '/search', e: '/exceptions', r: '/review', c: '/corrections', u: '/submissions', a: '/alerts', f: '/sources', m: '/models',
};

/** Installs the page-independent keys once; `onHelp` toggles the key list. */
export function installGlobalKeys(onHelp: () => void): void {
  let goPending = 0;
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'Escape' && isTyping(e)) {
      (e.target as HTMLElement).blur();
      return;
    }
    if (isTyping(e) || e.defaultPrevented) return;
    if (e.key === '/') {
      const search = document.querySelector<HTMLInputElement>('[data-search]');
      if (search) {
        e.preventDefault();
        search.focus();
        search.select();
      }
    } else if (e.key === '?') {
      onHelp();
    } else if (e.key === 'g') {
      goPending = Date.now();
    } else if (goPending && Date.now() - goPending < 1500 && GO_KEYS[e.key]) {
      goPending = 0;
      navigate(GO_KEYS[e.key]!);
    } else {
      goPending = 0;
    }
  });
}

/**
 * j/k/Enter over a list of `count` rows: returns the selected index and a setter. The selected row is scrolled
 * into view (rows carry data-row={index}).
 */
export function useListKeys(count: number, onOpen: (index: number) => void, opts: { x?: (index: number) => void } = {}): [number, (i: number) => void] {
  const [selected, setSelected] = useState(-1);
  const ref = useRef({ count, onOpen, selected, x: opts.x });
  ref.current = { count, onOpen, selected, x: opts.x };
  useEffect(() => {
    if (selected >= count) setSelected(count - 1);
  }, [count]);
  useEffect(() => {
    const handler = (e: KeyboardEvent) => {
      if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey || document.querySelector('dialog[open]')) return;
      const { count: n, selected: s } = ref.current;
      if (n === 0) return;
      let next = s;
      if (e.key === 'j' || e.key === 'ArrowDown') next = Math.min(n - 1, s + 1);
      else if (e.key === 'k' || e.key === 'ArrowUp') next = Math.max(0, s - 1);
      else if (e.key === 'Enter' && s >= 0) {
        e.preventDefault();
        ref.current.onOpen(s);
        return;
      } else if (e.key === 'x' && s >= 0 && ref.current.x) {
        ref.current.x(s);
        return;
      } else return;
      e.preventDefault();
      setSelected(next);
      document.querySelector(`[data-row="${next}"]`)?.scrollIntoView({ block: 'nearest' });
    };
    document.addEventListener('keydown', handler);
    return () => document.removeEventListener('keydown', handler);
  }, []);
  return [selected, setSelected];
}
