/** Renders a resource: loading (first load), error with retry, empty, or the page's content. */
import { html, type ComponentChildren, type VNode } from '../html.js';
import type { Resource } from './use-resource.js';
import { Empty, ErrorView, Loading } from './states.js';

export function AsyncView<T>({ res, isEmpty, empty, children }: {
  res: Resource<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ComponentChildren;
  children: (data: T) => VNode | VNode[] | null;
}) {
  if (res.error !== undefined && res.data === undefined) return html`<${ErrorView} error=${res.error} retry=${res.reload} />`;
  if (res.data === undefined) return html`<${Loading} />`;
  return html`${res.error !== undefined ? html`<${ErrorView} error=${res.error} retry=${res.reload} />` : null}
    ${isEmpty?.(res.data) ? html`<${Empty}>${empty}</${Empty}>` : children(res.data)}`;
}
