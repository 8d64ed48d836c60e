/** A modal dialog on the native <dialog>: Esc closes it, focus moves into it and back. */
import { html, useEffect, useRef, type ComponentChildren } from '../html.js';

export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const before = document.activeElement as HTMLElement | null;
    d.showModal();
    d.querySelector<HTMLElement>('[autofocus], textarea, input, select, button')?.focus();
    return () => before?.focus?.();
  }, []);
  return html`<dialog ref=${ref} class="dialog" aria-label=${title}
      onCancel=${(e: Event) => { e.preventDefault(); onClose(); }}>
    <header class="dialog-head"><h2>${title}</h2><button type="button" class="close" aria-label="Esc" onClick=${onClose}>×</button></header>
    <div class="dialog-body">${children}</div>
  </dialog>`;
}
