/** Alerts: active ones first (live from the WebSocket), acknowledge. */
import { html, useEffect, useState } from '../html.js';
import { fmtTime, t } from '../i18n/index.js';
import type { AlertItem, AlertQuery } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { hasRole } from '../api/session.js';
import { useTopic } from '../api/live.js';
import { PageHead } from '../components/layout.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Pager, usePager } from '../components/pager.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { Badge } from '../components/badge.js';
import { InlineError } from '../components/states.js';
import { withQuery, type Route } from '../router.js';

export function AlertsPage({ route }: { route: Route }) {
  const status = (route.query.get('status') ?? 'active') as NonNullable<AlertQuery['status']>;
  const pager = usePager();
  const [error, setError] = useState<unknown>(undefined);
  const summary = useTopic('alerts');
  useEffect(() => pager.reset(), [status]);
  const res = useResource(() => api.alerts({ status, limit: 50, cursor: pager.cursor }), [status, pager.cursor, summary?.open, summary?.acknowledged]);
  const ack = async (a: AlertItem) => {
    setError(undefined);
    try {
      await api.acknowledgeAlert(a.id);
      res.reload();
    } catch (err) {
      setError(err);
    }
  };
  const columns: Column<AlertItem>[] = [
    { label: t('col.severity'), render: (a) => html`<${Badge} value=${a.severity} />` },
    { label: t('col.title'), className: 'wrap', render: (a) => html`<b>${a.title}</b> <span class="mono muted small">${a.rule}</span>` },
    { label: t('col.status'), render: (a) => html`<${Badge} value=${a.status} />` },
    { label: t('col.occurrences'), className: 'num', render: (a) => a.occurrences },
    { label: t('col.first'), render: (a) => fmtTime(a.firstAt) },
    { label: t('col.last'), render: (a) => fmtTime(a.lastAt) },
    { label: t('col.acknowledged'), render: (a) => (a.acknowledgedBy ? `${a.acknowledgedBy} · ${fmtTime(a.acknowledgedAt)}` : '–') },
    { label: '', render: (a) => (a.status === 'open' && hasRole('analyst') ? html`<button type="button" class="small" onClick=${() => void ack(a)}>${t('alerts.ack')}</button>` : null) },
  ];
  return html`<${PageHead} title=${t('nav.alerts')}>
      <div class="tabs" role="tablist">${(['active', 'open', 'acknowledged', 'resolved'] as const).map((s) => html`<a role="tab" aria-selected=${status === s} href=${withQuery('/alerts', { status: s === 'active' ? undefined : s })}>${t(`status.${s}`)}</a>`)}</div>
    </${PageHead}>
    <${InlineError} error=${error} />
    <${AsyncView} res=${res} isEmpty=${(p: { items: AlertItem[] }) => p.items.length === 0} empty=${t('alerts.none')}>
      ${(p: { items: AlertItem[]; nextCursor: string | null }) => html`
        <${DataTable} label=${t('nav.alerts')} rows=${p.items} columns=${columns} rowKey=${(a: AlertItem) => String(a.id)} />
        <${Pager} pager=${pager} nextCursor=${p.nextCursor} count=${p.items.length} />`}
    </${AsyncView}>`;
}
