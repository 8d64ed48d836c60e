/** Trade detail: lifecycle history with each version's changes, findings, anomaly scores, submissions with every ACK/NACK. */
import { html, useState } from '../html.js';
import { fmtNumber, fmtTime, t } from '../i18n/index.js';
import type { FindingItem, ScoreItem, SubmissionDetail, TradeDetail, TradeEvent } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { PageHead } from '../components/layout.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { Badge } from '../components/badge.js';
import { FieldChanges } from '../components/field-changes.js';
import { useListKeys } from '../keys.js';
import type { Route } from '../router.js';

const eventKey = (e: { sourceId: string; seq: number }) => `${e.sourceId}#${e.seq}`;

function Summary({ d }: { d: TradeDetail }) {
  const tr = d.trade;
  if (!tr) return null;
  const item = (label: string, value: unknown) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`;
  return html`<dl class="summary card">
    ${item(t('col.cp1'), html`<span class="mono">${tr.counterparty1}</span>`)}
    ${item(t('col.cp2'), html`<span class="mono">${tr.counterparty2 ?? '–'}</span>`)}
    ${item(t('col.product'), tr.product ?? tr.assetClass ?? '–')}
    ${item(t('col.notional'), tr.notional ? `${tr.notional} ${tr.notionalCurrency ?? ''}` : '–')}
    ${item(t('col.version'), tr.version ?? '–')}
    ${item(t('col.lifecycle'), html`<${Badge} value=${tr.lifecycle} />`)}
    ${item(t('col.status'), html`<${Badge} value=${tr.lastStatus} />`)}
    ${item(t('col.executed'), fmtTime(tr.executionAt))}
  </dl>`;
}

function History({ events, findings }: { events: TradeEvent[]; findings: FindingItem[] }) {
  const [open, setOpen] = useState<string | null>(events.length > 0 ? eventKey(events[events.length - 1]!) : null);
  const [selected] = useListKeys(events.length, (i) => {
    const k = eventKey(events[i]!);
    setOpen((o) => (o === k ? null : k));
  });
  return html`<section class="card" aria-labelledby="h-history"><h2 id="h-history">${t('trade.history')}</h2>
    <ol class="history">${events.map((e, i) => {
      const k = eventKey(e);
      const mine = findings.filter((f) => f.sourceId === e.sourceId && f.seq === e.seq);
      return html`<li key=${k} data-row=${i} class=${i === selected ? 'selected' : ''}>
        <button type="button" class="history-head" aria-expanded=${open === k} onClick=${() => setOpen(open === k ? null : k)}>
          <span class="mono">${e.version === null ? '—' : `v${e.version}`}</span>
          <b>${e.actionType ?? '?'}</b>${e.eventType ? html`<span class="muted">${e.eventType}</span>` : null}
          <${Badge} value=${e.status} /> <${Badge} value=${e.lifecycle} />
          <span class="muted small">${fmtTime(e.receivedAt)} · ${k}</span>
          <span class="muted small">${t('trade.nChanges', { n: e.changes.length })}${mine.length ? ` · ${t('trade.nFindings', { n: mine.length })}` : ''}</span>
        </button>
        ${open === k ? html`<div class="history-body"><${FieldChanges} changes=${e.changes} />
          ${mine.length ? html`<${Findings} findings=${mine} compact=${true} />` : null}</div>` : null}
      </li>`;
    })}</ol>
  </section>`;
}

function Findings({ findings, compact }: { findings: FindingItem[]; compact?: boolean }) {
  if (findings.length === 0) return html`<p class="muted">${t('trade.noFindings')}</p>`;
  return html`<table class="data-table" aria-label=${t('trade.findings')}>
    <thead><tr>${compact ? null : html`<th>${t('col.event')}</th>`}<th>${t('col.rule')}</th><th>${t('col.element')}</th><th>${t('col.path')}</th><th>${t('col.severity')}</th><th>${t('col.message')}</th></tr></thead>
    <tbody>${findings.map((f, i) => html`<tr key=${i}>${compact ? null : html`<td class="mono">${eventKey(f)}</td>`}<td class="mono">${f.rule}</td><td>${f.element}</td><td class="mono">${f.path}</td>
      <td><${Badge} value=${f.severity} /></td><td>${f.message}</td></tr>`)}</tbody></table>`;
}

function Scores({ scores }: { scores: ScoreItem[] }) {
  if (scores.length === 0) return html`<p class="muted">${t('trade.noScores')}</p>`;
  return html`<div class="scores">${scores.map((s) => html`<div class="score card-inner" key=${eventKey(s)}>
    <div class="score-head"><span class="mono">${eventKey(s)}</span>
      <span class=${`score-value ${s.flagged ? 'tone-bad' : ''}`}>${s.score === null ? t('status.not_scored') : fmtNumber(s.score, 2)}</span>
      ${s.flagged ? html`<${Badge} value="flagged" />` : null}<${Badge} value=${s.reviewState} />
      <span class="muted small">${s.versionId ?? ''} · iforest ${fmtNumber(s.models.iforest, 2)} · autoencoder ${fmtNumber(s.models.autoencoder, 2)} · z ${fmtNumber(s.models.zscore, 2)}</span></div>
    ${s.topFeatures?.length ? html`<table class="features"><thead><tr><th>${t('col.feature')}</th><th class="num">${t('col.value')}</th><th class="num">${t('col.contribution')}</th></tr></thead>
      <tbody>${s.topFeatures.map((f) => html`<tr key=${f.feature}><td class="mono">${f.feature}</td><td class="num">${fmtNumber(f.value, 3)}</td>
        <td class="num"><span class="contrib" style=${`width:${Math.min(100, Math.abs(f.contribution) * 20)}px`}></span>${fmtNumber(f.contribution, 2)}</td></tr>`)}</tbody></table>` : null}
  </div>`)}</div>`;
}

function Submissions({ subs }: { subs: SubmissionDetail[] }) {
  if (subs.length === 0) return html`<p class="muted">${t('trade.noSubmissions')}</p>`;
  return html`${subs.map((s) => html`<div class="submission card-inner" key=${s.id} data-submission=${s.id}>
    <div class="submission-head"><span class="mono">${s.id}</span> <${Badge} value=${s.status} />
      <span>${s.regime} → ${s.repository}</span><span class="muted small">${s.actionType ?? ''} · ${t('col.attempts')} ${s.attempts} · ${t('col.dueAt')} ${fmtTime(s.dueAt)}</span>
      ${s.correctionId ? html`<a href=${`/corrections/${s.correctionId}`}>${t('trade.correction', { id: s.correctionId })}</a>` : null}</div>
    ${s.lastError ? html`<p class="inline-error">${s.lastError}</p>` : null}
    ${s.responses.length === 0 ? html`<p class="muted small">${t('trade.noResponses')}</p>` : html`<ul class="responses">${s.responses.map((r) => html`<li key=${r.id}>
      <${Badge} value=${r.outcome} /> <span class="muted small">${fmtTime(r.receivedAt)}${r.duplicate ? ` · ${t('trade.duplicate')}` : ''}</span>
      ${r.codes.map((c) => html` <code title=${c.message}>${c.code}</code> <span class="small">${c.message}</span>`)}</li>`)}</ul>`}
  </div>`)}`;
}

export function TradePage({ route }: { route: Route }) {
  const tradeKey = route.params.tradeKey ?? '';
  const cp = route.query.get('cp') ?? undefined;
  const res = useResource(() => api.trade(tradeKey, cp), [tradeKey, cp]);
  return html`<${PageHead} title=${t('trade.title', { key: tradeKey })} />
    <${AsyncView} res=${res}>${(d: TradeDetail) => html`
      <${Summary} d=${d} />
      ${d.exceptions.length ? html`<section class="card"><h2>${t('nav.exceptions')}</h2><ul class="plain">${d.exceptions.map((x) => html`<li key=${x.id}>
        <a href=${`/exceptions/${x.id}`}>#${x.id}</a> <${Badge} value=${x.kind} /> <${Badge} value=${x.status} /> <span class="muted small">${fmtTime(x.openedAt)}</span></li>`)}</ul></section>` : null}
      <${History} events=${d.events} findings=${d.findings} />
      <section class="card"><h2>${t('trade.findings')}</h2><${Findings} findings=${d.findings} /></section>
      <section class="card"><h2>${t('trade.scores')}</h2><${Scores} scores=${d.scores} /></section>
      <section class="card"><h2>${t('trade.submissions')}</h2><${Submissions} subs=${d.submissions} /></section>
      ${d.corrections.length ? html`<section class="card"><h2>${t('nav.corrections')}</h2><ul class="plain">${d.corrections.map((c) => html`<li key=${c.id}>
        <a href=${`/corrections/${c.id}`}>#${c.id}</a> ${c.actionType} <${Badge} value=${c.status} /> <span class="muted small">${c.maker}${c.checker ? ` → ${c.checker}` : ''}</span></li>`)}</ul></section>` : null}
    `}</${AsyncView}>`;
}
