/**
 * History routing: every page has its own URL (deep links such as /trades/UTI123 work on reload because the
 * static server answers index.html for them). Written here rather than taken from a router library because it
 * is forty lines and the console needs nothing but path patterns and query strings.
 */
import { useEffect, useState } from 'preact/hooks';

export type RouteName =
  | 'login' | 'dashboard' | 'search' | 'trade' | 'exceptions' | 'exception' | 'correct' | 'review' | 'corrections'
  | 'correction' | 'reports' | 'submissions' | 'alerts' | 'sources' | 'models' | 'users' | 'notFound';

const PATTERNS: [RouteName, RegExp][] = [
  ['login', /^\/login$/],
  ['dashboard', /^\/$/],
  ['search', /^\/search$/],
  ['trade', /^\/trades\/(?<tradeKey>[^/]+)$/],
  ['exceptions', /^\/exceptions$/],
  ['exception', /^\/exceptions\/(?<id>\d+)$/],
  ['correct', /^\/exceptions\/(?<id>\d+)\/correct$/],
  ['review', /^\/review$/],
  ['corrections', /^\/corrections$/],
  ['correction', /^\/corrections\/(?<id>\d+)$/],
  ['reports', /^\/reports$/],
  ['submissions', /^\/submissions$/],
  ['alerts', /^\/alerts$/],
  ['sources', /^\/sources$/],
  ['models', /^\/models$/],
  ['users', /^\/users$/],
];

export interface Route {
  name: RouteName;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Path and query, for returning here after logging in. */
  href: string;
}

export function parseLocation(loc: Location = window.location): Route {
  const path = loc.pathname.length > 1 ? loc.pathname.replace(/\/+$/, '') : loc.pathname;
  for (const [name, re] of PATTERNS) {
    const m = re.exec(path);
    if (m) {
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = decodeURIComponent(v);
      return { name, params, query: new URLSearchParams(loc.search), href: loc.pathname + loc.search };
    }
  }
  return { name: 'notFound', params: {}, query: new URLSearchParams(loc.search), href: loc.pathname + loc.search };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((l) => l());
}

/** The current route; re-renders the caller on every navigation. */
export function useRoute(): Route {
  const [route, setRoute] = useState(parseLocation);
  useEffect(() => {
    const l = () => setRoute(parseLocation());
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
  return route;
}

/** A URL with the given query parameters (empty values left out). */
export function withQuery(path: string, query: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Plain <a href="/..."> links navigate in the page (no reload), except with a modifier key or a download. */
export function interceptLinks(): void {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download') || a.origin !== window.location.origin) return;
    if (a.pathname.startsWith('/api/') || a.pathname.startsWith('/auth/')) return;
    e.preventDefault();
    navigate(a.pathname + a.search);
  });
}

export const tradeHref = (tradeKey: string, cp?: string | null): string =>
  withQuery(`/trades/${encodeURIComponent(tradeKey)}`, { cp: cp ?? undefined });
