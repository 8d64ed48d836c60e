/** FEP sources: who is connected, how fast they send, what was last acknowledged (live from the WebSocket). */
import { html } from '../html.js';
import { fmtNumber, fmtTime, t } from '../i18n/index.js';
import type { ListResponse, SourceItem } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { useTopic } from '../api/live.js';
import { PageHead } from '../components/layout.js';
import { DataTable, type Column } from '../components/data-table.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { Badge } from '../components/badge.js';
import { navigate, withQuery } from '../router.js';

export function SourcesPage() {
  const res = useResource(() => api.sources(), []);
  const live = useTopic('sources');
  const view = live ? { ...res, data: live, error: undefined } : res;
  const columns: Column<SourceItem>[] = [
    { label: t('col.source'), className: 'mono', render: (s) => s.sourceId },
    { label: t('col.connection'), render: (s) => html`<${Badge} value=${s.connected ? 'connected' : 'disconnected'} />` },
    { label: t('col.rate'), className: 'num', render: (s) => `${fmtNumber(s.eventsPerSecond, 1)}/s` },
    { label: t('col.lastAdmitted'), className: 'num', render: (s) => s.lastAdmittedSeq ?? '–' },
    { label: t('col.lastAcked'), className: 'num', render: (s) => s.lastAckedSeq },
    { label: t('col.lastAckAt'), render: (s) => fmtTime(s.lastAckAt) },
    { label: t('col.pending'), className: 'num', render: (s) => s.pending },
    { label: t('col.created'), render: (s) => fmtTime(s.createdAt) },
  ];
  return html`<${PageHead} title=${t('nav.sources')} />
    <${AsyncView} res=${view} isEmpty=${(d: ListResponse<SourceItem>) => d.items.length === 0} empty=${t('sources.none')}>
      ${(d: ListResponse<SourceItem>) => html`<${DataTable} label=${t('nav.sources')} rows=${d.items} columns=${columns} rowKey=${(s: SourceItem) => s.sourceId}
        onOpen=${(s: SourceItem) => navigate(withQuery('/search', { tab: 'events', source: s.sourceId }))} />`}
    </${AsyncView}>`;
}
