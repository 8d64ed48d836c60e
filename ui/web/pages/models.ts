/** Anomaly models: versions with their evaluation metrics; an admin activates one. */
import { html, useState } from '../html.js';
import { fmtNumber, fmtTime, t } from '../i18n/index.js';
import type { ListResponse, ModelItem } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { hasRole } from '../api/session.js';
import { PageHead } from '../components/layout.js';
import { DataTable, type Column } from '../components/data-table.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { Badge } from '../components/badge.js';
import { InlineError } from '../components/states.js';

/** The headline figures of a version's evaluation, whatever nesting the manifest used. */
function headline(metrics: Record<string, unknown>): [string, number][] {
  const out: [string, number][] = [];
  const walk = (prefix: string, v: unknown, depth: number) => {
    if (out.length >= 6 || depth > 2) return;
    if (typeof v === 'number') out.push([prefix, v]);
    else if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x, depth + 1);
  };
  walk('', metrics, 0);
  return out;
}

export function ModelsPage() {
  const res = useResource(() => api.models(), []);
  const [error, setError] = useState<unknown>(undefined);
  const activate = async (m: ModelItem) => {
    setError(undefined);
    try {
      await api.activateModel(m.versionId);
      res.reload();
    } catch (err) {
      setError(err);
    }
  };
  const columns: Column<ModelItem>[] = [
    { label: t('col.version'), className: 'mono', render: (m) => m.versionId },
    { label: t('col.status'), render: (m) => (m.active ? html`<${Badge} value="active" />` : null) },
    { label: t('col.created'), render: (m) => fmtTime(m.createdAt) },
    { label: t('col.trainedOn'), render: (m) => `${m.source} · f${m.featuresVersion}` },
    { label: t('col.metrics'), className: 'small', render: (m) => headline(m.metrics).map(([k, v]) => html`<span class="metric"><span class="muted">${k}</span> ${fmtNumber(v, 3)}</span>`) },
    { label: '', render: (m) => (!m.active && hasRole('admin') ? html`<button type="button" class="small" onClick=${() => void activate(m)}>${t('models.activate')}</button>` : null) },
  ];
  return html`<${PageHead} title=${t('nav.models')} />
    <${InlineError} error=${error} />
    <${AsyncView} res=${res} isEmpty=${(d: ListResponse<ModelItem>) => d.items.length === 0} empty=${t('models.none')}>
      ${(d: ListResponse<ModelItem>) => html`<${DataTable} label=${t('nav.models')} rows=${d.items} columns=${columns} rowKey=${(m: ModelItem) => m.versionId} />`}
    </${AsyncView}>`;
}
