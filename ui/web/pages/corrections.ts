/** Corrections: the maker-checker queue (pending approval first), and each correction's record with approve / return. */
import { html, useEffect, useState } from '../html.js';
import { fmtTime, t } from '../i18n/index.js';
import type { CorrectionDetail, CorrectionItem, CorrectionStatus } from '../../api/contract.js';
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
import { checkRecord, regimeOf, type LeiCheck, type Regime } from '../rules/browser-rulebook.js';
import { diffRecords } from '../rules/json-diff.js';
import { FieldChanges } from '../components/field-changes.js';
import { navigate, tradeHref, withQuery, type Route } from '../router.js';

const STATUSES: CorrectionStatus[] = ['pending_approval', 'approved', 'sent', 'acked', 'nacked', 'rejected'];

export function CorrectionsPage({ route }: { route: Route }) {
  const status = (route.query.get('status') ?? 'pending_approval') as CorrectionStatus;
  const pager = usePager();
  useEffect(() => pager.reset(), [status]);
  const res = useResource(() => api.corrections({ status, limit: 50, cursor: pager.cursor }), [status, pager.cursor]);
  const columns: Column<CorrectionItem>[] = [
    { label: '#', className: 'num', render: (c) => html`<a href=${`/corrections/${c.id}`}>${c.id}</a>` },
    { label: t('col.exception'), className: 'num', render: (c) => html`<a href=${`/exceptions/${c.exceptionId}`}>#${c.exceptionId}</a>` },
    { label: t('col.trade'), className: 'mono clip', render: (c) => (c.tradeKey ? html`<a href=${tradeHref(c.tradeKey)} title=${c.tradeKey}>${c.tradeKey}</a>` : '–') },
    { label: t('col.action'), render: (c) => c.actionType },
    { label: t('col.status'), render: (c) => html`<${Badge} value=${c.status} />` },
    { label: t('col.maker'), render: (c) => c.maker },
    { label: t('col.checker'), render: (c) => c.checker ?? '–' },
    { label: t('col.created'), render: (c) => fmtTime(c.createdAt) },
  ];
  return html`<${PageHead} title=${t('nav.corrections')}>
      <label class="inline">${t('col.status')} <select value=${status} onChange=${(e: Event) => navigate(withQuery('/corrections', { status: (e.target as HTMLSelectElement).value }))}>
        ${STATUSES.map((s) => html`<option value=${s}>${t(`status.${s}`)}</option>`)}</select></label>
    </${PageHead}>
    <${AsyncView} res=${res} isEmpty=${(p: { items: CorrectionItem[] }) => p.items.length === 0} empty=${t('corr.none')}>
      ${(p: { items: CorrectionItem[]; nextCursor: string | null }) => html`
        <${DataTable} label=${t('nav.corrections')} rows=${p.items} columns=${columns} rowKey=${(c: CorrectionItem) => String(c.id)}
          onOpen=${(c: CorrectionItem) => navigate(`/corrections/${c.id}`)} />
        <${Pager} pager=${pager} nextCursor=${p.nextCursor} count=${p.items.length} />`}
    </${AsyncView}>`;
}

function ReturnDialog({ id, onDone, onClose }: { id: number; onDone: () => void; onClose: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  return html`<${Dialog} title=${t('corr.returnTitle', { id })} onClose=${onClose}>
    <form onSubmit=${async (e: Event) => {
      e.preventDefault();
      try {
        await api.returnCorrection(id, { reason: reason.trim() });
        onDone();
      } catch (err) {
        setError(err);
      }
    }}>
      <label>${t('form.reason')}<textarea required value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLTextAreaElement).value)}></textarea></label>
      <${InlineError} error=${error} />
      <div class="form-actions"><button type="button" onClick=${onClose}>${t('action.cancel')}</button><button type="submit" class="danger">${t('corr.return')}</button></div>
    </form></${Dialog}>`;
}

export function CorrectionPage({ route }: { route: Route }) {
  const id = Number(route.params.id);
  const res = useResource(async () => {
    const c = await api.correction(id);
    // The exception's original event, to show the supervisor what the maker changed.
    const [exc, el] = await Promise.all([api.exception(c.exceptionId).catch(() => undefined), api.elements(c.regime ?? undefined)]);
    return { ...c, original: exc?.original ?? null, checkRegime: regimeOf(c.regime, el.regime), leiCheck: el.leiCheck };
  }, [id]);
  const [returning, setReturning] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [sent, setSent] = useState<boolean | undefined>(undefined);
  const approve = async () => {
    setError(undefined);
    try {
      const r = await api.approveCorrection(id);
      setSent(r.sent);
      res.reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<${AsyncView} res=${res}>${(c: CorrectionDetail & { original: Record<string, unknown> | null; checkRegime: Regime; leiCheck: LeiCheck }) => {
    const me = session().user?.username;
    const mayDecide = hasRole('supervisor') && c.status === 'pending_approval';
    const check = checkRecord(c.record, c.checkRegime, c.leiCheck);
    return html`<${PageHead} title=${t('corr.title', { id: c.id })}>
        ${mayDecide && me !== c.maker ? html`<button type="button" class="primary" onClick=${approve}>${t('corr.approve')}</button>
          <button type="button" class="danger" onClick=${() => setReturning(true)}>${t('corr.return')}</button>` : null}
        ${mayDecide && me === c.maker ? html`<span class="muted small">${t('corr.ownNote')}</span>` : null}
      </${PageHead}>
      <${InlineError} error=${error} />
      ${sent !== undefined ? html`<p class="notice" role="status">${t(sent ? 'corr.approvedSent' : 'corr.approvedQueued')}</p>` : null}
      <dl class="summary card">
        <div><dt>${t('col.status')}</dt><dd><${Badge} value=${c.status} /></dd></div>
        <div><dt>${t('col.action')}</dt><dd>${c.actionType}</dd></div>
        <div><dt>${t('col.exception')}</dt><dd><a href=${`/exceptions/${c.exceptionId}`}>#${c.exceptionId}</a></dd></div>
        <div><dt>${t('col.trade')}</dt><dd class="mono">${c.tradeKey ? html`<a href=${tradeHref(c.tradeKey)} title=${c.tradeKey}>${c.tradeKey}</a>` : '–'}</dd></div>
        <div><dt>${t('col.maker')}</dt><dd>${c.maker}</dd></div>
        <div><dt>${t('col.checker')}</dt><dd>${c.checker ?? '–'}</dd></div>
        <div><dt>${t('col.created')}</dt><dd>${fmtTime(c.createdAt)}</dd></div>
        <div><dt>${t('col.submission')}</dt><dd class="mono">${c.submissionId ?? '–'}</dd></div>
      </dl>
      ${c.reason ? html`<p class="card"><b>${t('form.reason')}:</b> ${c.reason}</p>` : null}
      <section class="card"><h2>${t('corr.validation')}</h2>
        <p><${Badge} value=${check.status === 'invalid' ? 'rejected' : check.status} /> ${t('corr.counts', { errors: check.findings.filter((f) => f.severity === 'error').length + check.issues.length, warnings: check.findings.filter((f) => f.severity === 'warning').length })}</p></section>
      ${c.original ? html`<section class="card"><h2>${t('corr.changes')}</h2><${FieldChanges} changes=${diffRecords(c.original, c.record)} /></section>` : null}
      <section class="card"><h2>${t('corr.record')}</h2><pre class="json">${JSON.stringify(c.record, null, 2)}</pre></section>
      ${returning ? html`<${ReturnDialog} id=${c.id} onClose=${() => setReturning(false)} onDone=${() => { setReturning(false); res.reload(); }} />` : null}`;
  }}</${AsyncView}>`;
}
