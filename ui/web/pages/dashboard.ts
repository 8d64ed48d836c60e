/** Dashboard: the engine live, from the WebSocket's dashboard topic (one snapshot a second), as charts. */
import { html, useEffect, useRef, useState } from '../html.js';
import { fmtNumber, fmtTime, t } from '../i18n/index.js';
import type { DashboardSnapshot } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { useTopic } from '../api/live.js';
import { PageHead } from '../components/layout.js';
import { Bars, TimeChart } from '../components/chart.js';
import { ErrorView, Loading } from '../components/states.js';
import { tradeHref } from '../router.js';

const WINDOW = 300; // points kept: five minutes at one a second

/** The charts' history: one array per series, appended per snapshot, trimmed to the window. */
function useHistory(snap: DashboardSnapshot | undefined) {
  const hist = useRef<Record<string, number[]>>({});
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!snap) return;
    const h = hist.current;
    const push = (k: string, v: number | null) => {
      const a = (h[k] ??= []);
      a.push(v ?? NaN);
      if (a.length > WINDOW) a.shift();
    };
    push('t', Date.parse(snap.at) / 1000);
    push('received', snap.ingest.receivedPerSecond);
    push('stored', snap.ingest.storedPerSecond);
    push('p50', snap.ackLatencyMs.p50);
    push('p99', snap.ackLatencyMs.p99);
    push('inflight', snap.queues.inflightEvents);
    push('storeQueue', snap.queues.storeQueueRows);
    push('subPending', snap.queues.submissionsPending);
    push('dbBusy', snap.pool.dbTotal - snap.pool.dbIdle);
    push('dbWaiting', snap.pool.dbWaiting);
    push('fep', snap.pool.fepConnections);
    push('nackRate', snap.nack.rate === null ? null : snap.nack.rate * 100);
    setVersion((n) => n + 1);
  }, [snap?.at]);
  const s = (...keys: string[]) => keys.map((k) => hist.current[k] ?? []);
  return { version, s };
}

function Tile({ label, value, tone }: { label: string; value: string; tone?: string }) {
  return html`<div class=${`tile tone-${tone ?? 'neutral'}`}><span class="tile-label">${label}</span><span class="tile-value">${value}</span></div>`;
}

export function DashboardPage() {
  const [first, setFirst] = useState<DashboardSnapshot | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const liveSnap = useTopic('dashboard');
  useEffect(() => {
    api.dashboard().then(setFirst, setError);
  }, []);
  const snap = liveSnap ?? first;
  const { s } = useHistory(snap);
  if (!snap) return html`<${PageHead} title=${t('nav.dashboard')} />${error ? html`<${ErrorView} error=${error} />` : html`<${Loading} />`}`;
  const nackPct = snap.nack.rate === null ? '–' : `${fmtNumber(snap.nack.rate * 100, 1)}%`;
  return html`<${PageHead} title=${t('nav.dashboard')}><span class="muted small">${t('dash.updated', { at: fmtTime(snap.at) })}</span></${PageHead}>
    <section class="tiles" aria-label=${t('dash.summary')}>
      <${Tile} label=${t('dash.ingestRate')} value=${`${fmtNumber(snap.ingest.storedPerSecond)}/s`} />
      <${Tile} label=${t('dash.ackP99')} value=${snap.ackLatencyMs.p99 === null ? '–' : `${fmtNumber(snap.ackLatencyMs.p99, 1)} ms`} />
      <${Tile} label=${t('dash.nackRate')} value=${nackPct} tone=${(snap.nack.rate ?? 0) > 0.05 ? 'bad' : 'neutral'} />
      <${Tile} label=${t('dash.deadlinesAtRisk')} value=${fmtNumber(snap.deadlines.atRisk)} tone=${snap.deadlines.atRisk > 0 ? 'warn' : 'neutral'} />
      <${Tile} label=${t('dash.missed')} value=${fmtNumber(snap.deadlines.missed)} tone=${snap.deadlines.missed > 0 ? 'bad' : 'neutral'} />
      <${Tile} label=${t('dash.exceptionsOpen')} value=${fmtNumber(snap.queues.exceptionsOpen)} />
      <${Tile} label=${t('dash.reviewOpen')} value=${fmtNumber(snap.queues.reviewOpen)} />
      <${Tile} label=${t('dash.stored')} value=${fmtNumber(snap.ingest.storedTotal)} />
    </section>
    <section class="charts">
      <${TimeChart} title=${t('dash.ingest')} series=${[t('dash.received'), t('dash.storedRate')]} data=${s('t', 'received', 'stored')} />
      <${TimeChart} title=${t('dash.ackLatency')} series=${['p50', 'p99']} data=${s('t', 'p50', 'p99')} />
      <${TimeChart} title=${t('dash.queues')} series=${[t('dash.inflight'), t('dash.storeQueue'), t('dash.subPending')]} data=${s('t', 'inflight', 'storeQueue', 'subPending')} />
      <${TimeChart} title=${t('dash.pool')} series=${[t('dash.dbBusy'), t('dash.dbWaiting'), t('dash.fep')]} data=${s('t', 'dbBusy', 'dbWaiting', 'fep')} />
      <${TimeChart} title=${t('dash.nackRateChart')} series=${['NACK %']} data=${s('t', 'nackRate')} />
      <${Bars} title=${t('dash.findingsByRule')} rows=${snap.findingsByRule.slice(0, 12).map((f) => ({ label: f.rule, value: f.count, tone: f.severity === 'error' ? 'bad' : 'warn' }))} />
    </section>
    <section class="card">
      <h2>${t('dash.deadlines')}</h2>
      ${snap.deadlines.next.length === 0
        ? html`<p class="muted">${t('dash.noDeadlines')}</p>`
        : html`<table class="data-table"><thead><tr><th>${t('col.submission')}</th><th>${t('col.trade')}</th><th>${t('col.dueAt')}</th></tr></thead>
          <tbody>${snap.deadlines.next.map((d) => html`<tr key=${d.submissionId}><td class="mono">${d.submissionId}</td>
            <td class="mono">${d.tradeKey ? html`<a href=${tradeHref(d.tradeKey)} title=${d.tradeKey}>${d.tradeKey}</a>` : '–'}</td><td>${fmtTime(d.dueAt)}</td></tr>`)}</tbody></table>`}
    </section>`;
}
