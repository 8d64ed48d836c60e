/** Exceptions: NACKs, validation rejections and undeliverable submissions; filter, assign, bulk actions. */
import { html, useEffect, useState } from '../html.js';
import { fmtTime, t } from '../i18n/index.js';
import type { BulkExceptionRequest, BulkExceptionResponse, ExceptionItem, ExceptionQuery } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { hasRole, session } from '../api/session.js';
import { PageHead } from '../components/layout.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Pager, usePager } from '../components/pager.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { Badge } from '../components/badge.js';
import { Dialog } from '../components/dialog.js';
import { InlineError } from '../components/states.js';
import { useTopic } from '../api/live.js';
import { navigate, tradeHref, withQuery, type Route } from '../router.js';

/** The first code of an exception, for the list: a NACK code or a finding's rule. */
export function firstCode(codes: unknown[]): string {
  const c = codes[0] as { code?: string; rule?: string; message?: string } | undefined;
  if (!c) return '–';
  return [c.code ?? c.rule, c.message].filter(Boolean).join(' — ');
}

const columns = (): Column<ExceptionItem>[] => [
  { label: '#', className: 'num', render: (x) => html`<a href=${`/exceptions/${x.id}`}>${x.id}</a>` },
  { label: t('col.kind'), render: (x) => html`<${Badge} value=${x.kind} />` },
  { label: t('col.status'), render: (x) => html`<${Badge} value=${x.status} />` },
  { label: t('col.trade'), className: 'mono clip', render: (x) => (x.tradeKey ? html`<a href=${tradeHref(x.tradeKey, x.counterparty1)} title=${x.tradeKey}>${x.tradeKey}</a>` : '–') },
  { label: t('col.action'), render: (x) => x.actionType ?? '–' },
  { label: t('col.regime'), render: (x) => x.regime ?? '–' },
  { label: t('col.codes'), className: 'clip', render: (x) => firstCode(x.codes) },
  { label: t('col.assignee'), render: (x) => x.assignee ?? html`<span class="muted">${t('exc.unassigned')}</span>` },
  { label: t('col.opened'), render: (x) => fmtTime(x.openedAt) },
];

function BulkBar({ ids, done }: { ids: number[]; done: (r: BulkExceptionResponse) => void }) {
  const me = session().user?.username ?? null;
  const [closing, setClosing] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const run = async (body: BulkExceptionRequest) => {
    setError(undefined);
    try {
      done(await api.bulkExceptions(body));
      setClosing(false);
    } catch (err) {
      setError(err);
    }
  };
  return html`<div class="bulk" role="toolbar" aria-label=${t('exc.bulk')}>
    <span>${t('exc.selected', { n: ids.length })}</span>
    <button type="button" onClick=${() => run({ action: 'assign', ids, assignee: me })}>${t('exc.assignMe')}</button>
    <button type="button" onClick=${() => run({ action: 'assign', ids, assignee: null })}>${t('exc.unassign')}</button>
    <button type="button" onClick=${() => setClosing(true)}>${t('exc.close')}</button>
    <${InlineError} error=${error} />
    ${closing ? html`<${Dialog} title=${t('exc.closeTitle', { n: ids.length })} onClose=${() => setClosing(false)}>
      <form onSubmit=${(e: Event) => { e.preventDefault(); void run({ action: 'close', ids, reason }); }}>
        <label>${t('form.reason')}<textarea required value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLTextAreaElement).value)}></textarea></label>
        <${InlineError} error=${error} />
        <div class="form-actions"><button type="submit" class="primary">${t('exc.close')}</button></div>
      </form></${Dialog}>` : null}
  </div>`;
}

export function ExceptionsPage({ route }: { route: Route }) {
  const q: ExceptionQuery = {
    status: (route.query.get('status') ?? 'active') as ExceptionQuery['status'],
    kind: (route.query.get('kind') || undefined) as ExceptionQuery['kind'],
    assignee: route.query.get('assignee') || undefined,
  };
  const pager = usePager();
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [result, setResult] = useState<BulkExceptionResponse | undefined>(undefined);
  const summary = useTopic('exceptions');
  useEffect(() => pager.reset(), [route.href]);
  const res = useResource(() => api.exceptions({ ...q, limit: 50, cursor: pager.cursor }), [route.href, pager.cursor]);
  const set = (k: string, v: string) => navigate(withQuery('/exceptions', { ...q, [k]: v }));
  const canAct = hasRole('analyst');
  return html`<${PageHead} title=${t('nav.exceptions')}>
      ${summary ? html`<span class="muted small">${t('exc.summary', { open: summary.open, correcting: summary.correcting })}</span>` : null}
    </${PageHead}>
    <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>${t('col.status')}<select value=${q.status} onChange=${(e: Event) => set('status', (e.target as HTMLSelectElement).value)}>
        ${['active', 'open', 'correcting', 'closed'].map((s) => html`<option value=${s}>${s}</option>`)}</select></label>
      <label>${t('col.kind')}<select value=${q.kind ?? ''} onChange=${(e: Event) => set('kind', (e.target as HTMLSelectElement).value)}>
        <option value="">${t('filter.any')}</option>${['nack', 'validation', 'undeliverable'].map((s) => html`<option value=${s}>${s}</option>`)}</select></label>
      <label>${t('col.assignee')}<input data-search value=${q.assignee ?? ''} placeholder=${t('exc.assigneeHint')}
        onChange=${(e: Event) => set('assignee', (e.target as HTMLInputElement).value)} /></label>
    </form>
    ${canAct && picked.size > 0 ? html`<${BulkBar} ids=${[...picked].map(Number)} done=${(r: BulkExceptionResponse) => { setResult(r); setPicked(new Set()); res.reload(); }} />` : null}
    ${result ? html`<p class="notice" role="status">${t('exc.bulkDone', { n: result.updated.length, skipped: result.skipped.length })}
      ${result.skipped.map((s) => html` <span class="small">#${s.id}: ${s.reason}</span>`)}</p>` : null}
    <${AsyncView} res=${res} isEmpty=${(p: { items: ExceptionItem[] }) => p.items.length === 0} empty=${t('exc.none')}>
      ${(p: { items: ExceptionItem[]; nextCursor: string | null }) => html`
        <${DataTable} label=${t('nav.exceptions')} rows=${p.items} columns=${columns()} rowKey=${(x: ExceptionItem) => String(x.id)}
          selectable=${canAct} picked=${picked}
          onPick=${(k: string, on: boolean) => setPicked((s) => { const n = new Set(s); if (on) n.add(k); else n.delete(k); return n; })}
          onOpen=${(x: ExceptionItem) => navigate(`/exceptions/${x.id}`)} />
        <${Pager} pager=${pager} nextCursor=${p.nextCursor} count=${p.items.length} />`}
    </${AsyncView}>`;
}
