/**
 * Search: the query prompt (`status:nacked cp:5299… since:2024-04-01 notional>1e9`, parsed by the server and
 * shown back as terms), or plain filters over trades or events. Everything typed is in the URL.
 */
import { html, useEffect, useState } from '../html.js';
import { fmtTime, t } from '../i18n/index.js';
import { TRADE_STATUSES, type EventRow, type TradeRow } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { ApiError } from '../api/client.js';
import { PageHead } from '../components/layout.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Pager, usePager } from '../components/pager.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { Badge } from '../components/badge.js';
import { navigate, tradeHref, withQuery, type Route } from '../router.js';

const FILTERS = ['uti', 'cp', 'product', 'source', 'status', 'since', 'until'] as const;
/** Which filters each list takes (GET /api/trades, GET /api/events). */
const TAKES: Record<'trades' | 'events', readonly Filter[]> = { trades: ['uti', 'cp', 'product', 'status', 'since', 'until'], events: ['uti', 'source', 'status', 'since', 'until'] };
type Filter = (typeof FILTERS)[number];

export const tradeColumns = (): Column<TradeRow>[] => [
  { label: t('col.trade'), className: 'mono clip', render: (r) => html`<a href=${tradeHref(r.tradeKey, r.counterparty1)} title=${r.tradeKey}>${r.tradeKey}</a>` },
  { label: t('col.cp1'), className: 'mono', render: (r) => r.counterparty1 },
  { label: t('col.product'), render: (r) => r.product ?? r.assetClass ?? '–' },
  { label: t('col.notional'), className: 'num', render: (r) => (r.notional ? `${r.notional} ${r.notionalCurrency ?? ''}` : '–') },
  { label: t('col.version'), className: 'num', render: (r) => r.version ?? '–' },
  { label: t('col.lifecycle'), render: (r) => html`<${Badge} value=${r.lifecycle} />` },
  { label: t('col.status'), render: (r) => html`<${Badge} value=${r.lastStatus} />` },
  { label: t('col.action'), render: (r) => r.actionType ?? '–' },
  { label: t('col.executed'), render: (r) => fmtTime(r.executionAt) },
  { label: t('col.lastEvent'), render: (r) => fmtTime(r.lastEventAt) },
];

const eventColumns = (): Column<EventRow>[] => [
  { label: t('col.event'), className: 'mono', render: (r) => `${r.sourceId}#${r.seq}` },
  { label: t('col.received'), render: (r) => fmtTime(r.receivedAt) },
  { label: t('col.trade'), className: 'mono clip', render: (r) => (r.tradeKey ? html`<a href=${tradeHref(r.tradeKey, r.counterparty1)} title=${r.tradeKey}>${r.tradeKey}</a>` : '–') },
  { label: t('col.action'), render: (r) => r.actionType ?? '–' },
  { label: t('col.status'), render: (r) => html`<${Badge} value=${r.status} />` },
  { label: t('col.version'), className: 'num', render: (r) => r.version ?? '–' },
  { label: t('col.lifecycle'), render: (r) => html`<${Badge} value=${r.lifecycle} />` },
];

function QueryPrompt({ q, onRun }: { q: string; onRun: (q: string) => void }) {
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  return html`<form class="query" role="search" onSubmit=${(e: Event) => { e.preventDefault(); onRun(text.trim()); }}>
    <label class="sr-only" for="q">${t('search.query')}</label>
    <input id="q" data-search class="query-input mono" placeholder=${t('search.placeholder')} value=${text} autocomplete="off" spellcheck=${false}
      onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} />
    <button type="submit" class="primary">${t('search.run')}</button>
  </form>`;
}

function Filters({ values, tab, onApply }: { values: Record<Filter, string>; tab: string; onApply: (v: Record<Filter, string>) => void }) {
  const [v, setV] = useState(values);
  useEffect(() => setV(values), [JSON.stringify(values)]);
  const field = (name: Filter, label: string, type = 'text') => html`<label>${label}
    <input name=${name} type=${type} value=${v[name]} onInput=${(e: Event) => setV({ ...v, [name]: (e.target as HTMLInputElement).value })} /></label>`;
  const statuses = tab === 'events' ? ['accepted', 'accepted_with_warnings', 'rejected'] : TRADE_STATUSES;
  return html`<form class="filters" onSubmit=${(e: Event) => { e.preventDefault(); onApply(v); }}>
    ${field('uti', t('col.trade'))}
    ${tab === 'events' ? field('source', t('col.source')) : html`${field('cp', t('col.cp1'))}${field('product', t('col.product'))}`}
    <label>${t('col.status')}<select name="status" value=${v.status} onChange=${(e: Event) => setV({ ...v, status: (e.target as HTMLSelectElement).value })}>
      <option value="">${t('filter.any')}</option>${statuses.map((s) => html`<option value=${s}>${s}</option>`)}</select></label>
    ${field('since', t('filter.since'), 'date')}
    ${field('until', t('filter.until'), 'date')}
    <button type="submit">${t('filter.apply')}</button>
  </form>`;
}

export function SearchPage({ route }: { route: Route }) {
  const q = route.query.get('q') ?? '';
  const tab = route.query.get('tab') === 'events' ? 'events' : 'trades';
  const filters = Object.fromEntries(FILTERS.map((f) => [f, route.query.get(f) ?? ''])) as Record<Filter, string>;
  const key = route.href;
  const pager = usePager();
  useEffect(() => pager.reset(), [key]);
  const hasFilters = FILTERS.some((f) => filters[f] !== '');
  const res = useResource(async () => {
    const page = { limit: 50, cursor: pager.cursor };
    if (q) return { kind: 'query' as const, ...(await api.search(q, page)) };
    const f = Object.fromEntries(Object.entries(filters).filter(([k, v]) => v !== '' && TAKES[tab].includes(k as Filter)));
    if (tab === 'events') return { kind: 'events' as const, page: await api.events({ ...f, ...page }) };
    return { kind: 'trades' as const, page: await api.trades({ ...f, ...page }) };
  }, [key, pager.cursor]);
  const queryError = res.error instanceof ApiError && res.error.field === 'q' ? res.error : undefined;
  return html`<${PageHead} title=${t('nav.search')} />
    <${QueryPrompt} q=${q} onRun=${(text: string) => navigate(withQuery('/search', { q: text }))} />
    ${res.data?.kind === 'query' ? html`<div class="parsed" aria-label=${t('search.parsed')}>
      <span class="muted small">${t('search.parsed')}:</span>
      ${res.data.query.terms.length === 0 ? html`<span class="muted small">${t('search.allTrades')}</span>` : null}
      ${res.data.query.terms.map((term) => html`<span class="term" title=${term.text}><b>${term.field}</b>${term.op}<span class="mono">${term.value}</span></span>`)}
      ${res.data.cached ? html`<span class="muted small">${t('search.cached')}</span>` : null}
    </div>` : null}
    ${queryError ? html`<p class="inline-error" role="alert">${queryError.message}${queryError.token ? html` — <code>${queryError.token}</code>` : null}</p>` : null}
    <details class="filter-box" open=${!q && hasFilters}>
      <summary>${t('search.filters')}</summary>
      <div class="tabs" role="tablist">
        ${(['trades', 'events'] as const).map((name) => html`<a role="tab" aria-selected=${tab === name} href=${withQuery('/search', { ...filters, tab: name === 'events' ? 'events' : undefined })}>${t(name === 'trades' ? 'search.trades' : 'search.events')}</a>`)}
      </div>
      <${Filters} values=${filters} tab=${tab} onApply=${(v: Record<Filter, string>) => navigate(withQuery('/search', { ...v, tab: tab === 'events' ? 'events' : undefined }))} />
    </details>
    ${queryError ? null : html`<${AsyncView} res=${res} isEmpty=${(d: NonNullable<typeof res.data>) => d.page.items.length === 0} empty=${t('search.noResults')}>
      ${(d: NonNullable<typeof res.data>) => d.kind === 'events'
        ? html`<${DataTable} label=${t('search.events')} rows=${d.page.items} columns=${eventColumns()} rowKey=${(r: EventRow) => `${r.sourceId}#${r.seq}`}
            onOpen=${(r: EventRow) => r.tradeKey && navigate(tradeHref(r.tradeKey, r.counterparty1))} />
           <${Pager} pager=${pager} nextCursor=${d.page.nextCursor} count=${d.page.items.length} />`
        : html`<${DataTable} label=${t('search.trades')} rows=${d.page.items} columns=${tradeColumns()} rowKey=${(r: TradeRow) => `${r.counterparty1}/${r.tradeKey}`}
            onOpen=${(r: TradeRow) => navigate(tradeHref(r.tradeKey, r.counterparty1))} />
           <${Pager} pager=${pager} nextCursor=${d.page.nextCursor} count=${d.page.items.length} />`}
    </${AsyncView}>`}`;
}
