/** Submissions to the repositories: status, attempts, deadlines; filter by status, regime, repository or trade. */
import { html, useEffect } from '../html.js';
import { fmtTime, t } from '../i18n/index.js';
import type { SubmissionItem, SubmissionQuery } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { PageHead } from '../components/layout.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Pager, usePager } from '../components/pager.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { Badge } from '../components/badge.js';
import { navigate, tradeHref, withQuery, type Route } from '../router.js';

export function SubmissionsPage({ route }: { route: Route }) {
  const q: SubmissionQuery = {
    status: (route.query.get('status') || undefined) as SubmissionQuery['status'],
    regime: route.query.get('regime') || undefined,
    tradeKey: route.query.get('tradeKey') || undefined,
  };
  const pager = usePager();
  useEffect(() => pager.reset(), [route.href]);
  const res = useResource(() => api.submissions({ ...q, limit: 50, cursor: pager.cursor }), [route.href, pager.cursor]);
  const set = (k: string, v: string) => navigate(withQuery('/submissions', { ...q, [k]: v }));
  const columns: Column<SubmissionItem>[] = [
    { label: t('col.submission'), className: 'mono small', render: (s) => s.id },
    { label: t('col.trade'), className: 'mono clip', render: (s) => (s.tradeKey ? html`<a href=${tradeHref(s.tradeKey, s.counterparty1)} title=${s.tradeKey}>${s.tradeKey}</a>` : '–') },
    { label: t('col.action'), render: (s) => s.actionType ?? '–' },
    { label: t('col.regime'), render: (s) => `${s.regime} → ${s.repository}` },
    { label: t('col.status'), render: (s) => html`<${Badge} value=${s.status} />` },
    { label: t('col.attempts'), className: 'num', render: (s) => s.attempts },
    { label: t('col.dueAt'), render: (s) => html`${fmtTime(s.dueAt)} ${s.deadlineState !== 'open' ? html`<${Badge} value=${s.deadlineState} />` : null}` },
    { label: t('col.settled'), render: (s) => fmtTime(s.settledAt) },
    { label: t('col.error'), className: 'clip small', render: (s) => s.lastError ?? '' },
  ];
  return html`<${PageHead} title=${t('nav.submissions')} />
    <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>${t('col.status')}<select value=${q.status ?? ''} onChange=${(e: Event) => set('status', (e.target as HTMLSelectElement).value)}>
        <option value="">${t('filter.any')}</option>${['pending', 'sent', 'acked', 'nacked', 'failed'].map((s) => html`<option value=${s}>${s}</option>`)}</select></label>
      <label>${t('col.regime')}<select value=${q.regime ?? ''} onChange=${(e: Event) => set('regime', (e.target as HTMLSelectElement).value)}>
        <option value="">${t('filter.any')}</option>${['cftc-part45', 'cftc-part43', 'ktfc'].map((s) => html`<option value=${s}>${s}</option>`)}</select></label>
      <label>${t('col.trade')}<input data-search value=${q.tradeKey ?? ''} onChange=${(e: Event) => set('tradeKey', (e.target as HTMLInputElement).value)} /></label>
    </form>
    <${AsyncView} res=${res} isEmpty=${(p: { items: SubmissionItem[] }) => p.items.length === 0} empty=${t('subs.none')}>
      ${(p: { items: SubmissionItem[]; nextCursor: string | null }) => html`
        <${DataTable} label=${t('nav.submissions')} rows=${p.items} columns=${columns} rowKey=${(s: SubmissionItem) => s.id}
          onOpen=${(s: SubmissionItem) => s.tradeKey && navigate(tradeHref(s.tradeKey, s.counterparty1))} />
        <${Pager} pager=${pager} nextCursor=${p.nextCursor} count=${p.items.length} />`}
    </${AsyncView}>`;
}
