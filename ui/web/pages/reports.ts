/** Reports: the report files made on schedule or on demand, with a download link each. */
import { html, useEffect } from '../html.js';
import { fmtNumber, fmtTime, t } from '../i18n/index.js';
import type { ReportFileItem } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { accessToken } from '../api/client.js';
import { PageHead } from '../components/layout.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Pager, usePager } from '../components/pager.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { navigate, withQuery, type Route } from '../router.js';

/** A plain link cannot send the bearer header: the download URL takes the token as ?access_token= (contract). */
async function download(r: ReportFileItem): Promise<void> {
  const token = await accessToken();
  const sep = r.downloadUrl.includes('?') ? '&' : '?';
  window.location.assign(`${r.downloadUrl}${sep}access_token=${encodeURIComponent(token ?? '')}`);
}

export function ReportsPage({ route }: { route: Route }) {
  const kind = route.query.get('kind') ?? '';
  const pager = usePager();
  useEffect(() => pager.reset(), [kind]);
  const res = useResource(() => api.reports({ kind: kind || undefined, limit: 50, cursor: pager.cursor }), [kind, pager.cursor]);
  const columns: Column<ReportFileItem>[] = [
    { label: '#', className: 'num', render: (r) => r.id },
    { label: t('col.kind'), render: (r) => r.kind },
    { label: t('col.date'), render: (r) => r.reportDate },
    { label: t('col.format'), render: (r) => r.format },
    { label: t('col.rows'), className: 'num', render: (r) => fmtNumber(r.rows) },
    { label: t('col.size'), className: 'num', render: (r) => `${fmtNumber(r.bytes / 1024, 1)} KiB` },
    { label: t('col.created'), render: (r) => `${fmtTime(r.createdAt)} · ${r.createdBy}` },
    { label: 'SHA-256', className: 'mono small clip', render: (r) => r.sha256.slice(0, 16) },
    { label: '', render: (r) => html`<button type="button" class="small" onClick=${() => void download(r)}>${t('action.download')}</button>` },
  ];
  return html`<${PageHead} title=${t('nav.reports')}>
      <label class="inline">${t('col.kind')} <input data-search value=${kind} onChange=${(e: Event) => navigate(withQuery('/reports', { kind: (e.target as HTMLInputElement).value }))} /></label>
    </${PageHead}>
    <${AsyncView} res=${res} isEmpty=${(p: { items: ReportFileItem[] }) => p.items.length === 0} empty=${t('reports.none')}>
      ${(p: { items: ReportFileItem[]; nextCursor: string | null }) => html`
        <${DataTable} label=${t('nav.reports')} rows=${p.items} columns=${columns} rowKey=${(r: ReportFileItem) => String(r.id)} onOpen=${(r: ReportFileItem) => void download(r)} />
        <${Pager} pager=${pager} nextCursor=${p.nextCursor} count=${p.items.length} />`}
    </${AsyncView}>`;
}
