/** One exception: what went wrong (codes or findings), the record, its corrections and audit trail; assign, correct. */
import { html, useState } from '../html.js';
import { fmtTime, t } from '../i18n/index.js';
import type { ExceptionDetail } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { hasRole, session } from '../api/session.js';
import { PageHead } from '../components/layout.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { Badge } from '../components/badge.js';
import { InlineError } from '../components/states.js';
import { tradeHref, type Route } from '../router.js';

const nonEmpty = (r: Record<string, unknown> | null): r is Record<string, unknown> => r !== null && Object.keys(r).length > 0;

export function ExceptionPage({ route }: { route: Route }) {
  const id = Number(route.params.id);
  const res = useResource(() => api.exception(id), [id]);
  const [error, setError] = useState<unknown>(undefined);
  const me = session().user?.username ?? null;
  const assign = async (assignee: string | null) => {
    setError(undefined);
    try {
      await api.assignException(id, { assignee });
      res.reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<${AsyncView} res=${res}>${(d: ExceptionDetail) => {
    const x = d.exception;
    const canCorrect = hasRole('analyst') && x.status === 'open';
    return html`<${PageHead} title=${t('exc.title', { id: x.id })}>
        ${hasRole('analyst') && x.status !== 'closed' ? html`<button type="button" onClick=${() => assign(x.assignee === me ? null : me)}>${x.assignee === me ? t('exc.unassign') : t('exc.assignMe')}</button>` : null}
        ${canCorrect ? html`<a class="button primary" href=${`/exceptions/${x.id}/correct`}>${t('exc.correct')}</a>` : null}
      </${PageHead}>
      <${InlineError} error=${error} />
      <dl class="summary card">
        <div><dt>${t('col.kind')}</dt><dd><${Badge} value=${x.kind} /></dd></div>
        <div><dt>${t('col.status')}</dt><dd><${Badge} value=${x.status} /></dd></div>
        <div><dt>${t('col.trade')}</dt><dd class="mono">${x.tradeKey ? html`<a href=${tradeHref(x.tradeKey, x.counterparty1)} title=${x.tradeKey}>${x.tradeKey}</a>` : '–'}</dd></div>
        <div><dt>${t('col.regime')}</dt><dd>${x.regime ?? '–'} ${x.repository ? `→ ${x.repository}` : ''}</dd></div>
        <div><dt>${t('col.submission')}</dt><dd class="mono">${x.submissionId ?? '–'}</dd></div>
        <div><dt>${t('col.assignee')}</dt><dd>${x.assignee ?? t('exc.unassigned')}</dd></div>
        <div><dt>${t('col.opened')}</dt><dd>${fmtTime(x.openedAt)}</dd></div>
        ${x.closedAt ? html`<div><dt>${t('col.closed')}</dt><dd>${fmtTime(x.closedAt)} ${x.closedReason ?? ''}</dd></div>` : null}
      </dl>
      <section class="card"><h2>${t('col.codes')}</h2>
        <ul class="codes">${x.codes.map((c, i) => {
          const o = c as Record<string, unknown>;
          return html`<li key=${i}><code>${String(o.code ?? o.rule ?? '')}</code> ${o.path ? html`<span class="mono small">${String(o.path)}</span>` : null} ${String(o.message ?? '')}</li>`;
        })}</ul></section>
      ${d.corrections.length ? html`<section class="card"><h2>${t('nav.corrections')}</h2><ul class="plain">${d.corrections.map((c) => html`<li key=${c.id}>
        <a href=${`/corrections/${c.id}`}>#${c.id}</a> ${c.actionType} <${Badge} value=${c.status} /> <span class="muted small">${c.maker}${c.checker ? ` → ${c.checker}` : ''} · ${fmtTime(c.createdAt)}</span>
        ${c.reason ? html`<span class="small"> — ${c.reason}</span>` : null}</li>`)}</ul></section>` : null}
      ${nonEmpty(d.original) ? html`<section class="card"><h2>${t('exc.original')}</h2><pre class="json">${JSON.stringify(d.original, null, 2)}</pre></section>` : null}
      ${nonEmpty(d.record) ? html`<section class="card"><h2>${t('exc.record')}</h2><pre class="json">${JSON.stringify(d.record, null, 2)}</pre></section>` : null}
      ${d.audit.length ? html`<section class="card"><h2>${t('exc.audit')}</h2><table class="data-table"><thead><tr><th>${t('col.at')}</th><th>${t('col.actor')}</th><th>${t('col.action')}</th><th>${t('col.entity')}</th></tr></thead>
        <tbody>${d.audit.map((a) => html`<tr key=${a.id}><td>${fmtTime(a.at)}</td><td>${a.actor}</td><td>${a.action}</td><td class="mono">${a.entity} ${a.entityId}</td></tr>`)}</tbody></table></section>` : null}`;
  }}</${AsyncView}>`;
}
