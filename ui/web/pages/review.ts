/** Review queue: events the anomaly models flagged; an analyst confirms or dismisses each, with a reason (a training label). */
import { html, useEffect, useState } from '../html.js';
import { fmtNumber, fmtTime, t } from '../i18n/index.js';
import type { ReviewItem, ReviewQuery } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { hasRole } from '../api/session.js';
import { PageHead } from '../components/layout.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Pager, usePager } from '../components/pager.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { Badge } from '../components/badge.js';
import { Dialog } from '../components/dialog.js';
import { InlineError } from '../components/states.js';
import { navigate, tradeHref, withQuery, type Route } from '../router.js';

type Verdict = 'confirmed' | 'dismissed';

function Decide({ item, verdict, onDone, onClose }: { item: ReviewItem; verdict: Verdict; onDone: () => void; onClose: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api.decideReview({ sourceId: item.sourceId, seq: item.seq, verdict, reason: reason.trim() });
      onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<${Dialog} title=${t(verdict === 'confirmed' ? 'review.confirmTitle' : 'review.dismissTitle', { event: `${item.sourceId}#${item.seq}` })} onClose=${onClose}>
    <form onSubmit=${submit}>
      <label>${t('form.reason')}<textarea name="reason" required value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLTextAreaElement).value)}></textarea></label>
      <${InlineError} error=${error} />
      <div class="form-actions"><button type="button" onClick=${onClose}>${t('action.cancel')}</button>
        <button type="submit" class=${verdict === 'confirmed' ? 'danger' : 'primary'} disabled=${busy}>${t(verdict === 'confirmed' ? 'review.confirm' : 'review.dismiss')}</button></div>
    </form></${Dialog}>`;
}

export function ReviewPage({ route }: { route: Route }) {
  const state = (route.query.get('state') ?? 'open') as NonNullable<ReviewQuery['state']>;
  const pager = usePager();
  const [deciding, setDeciding] = useState<{ item: ReviewItem; verdict: Verdict } | undefined>(undefined);
  useEffect(() => pager.reset(), [state]);
  const res = useResource(() => api.review({ state, limit: 50, cursor: pager.cursor }), [state, pager.cursor]);
  const canDecide = hasRole('analyst') && state === 'open';
  const columns: Column<ReviewItem>[] = [
    { label: t('col.event'), className: 'mono', render: (r) => `${r.sourceId}#${r.seq}` },
    { label: t('col.trade'), className: 'mono clip', render: (r) => (r.tradeKey ? html`<a href=${tradeHref(r.tradeKey)} title=${r.tradeKey}>${r.tradeKey}</a>` : '–') },
    { label: t('col.score'), className: 'num', render: (r) => html`<b>${fmtNumber(r.score, 2)}</b>` },
    { label: t('col.topFeatures'), className: 'clip', render: (r) => r.topFeatures.slice(0, 3).map((f) => html`<span class="feature mono">${f.feature} <span class="muted">${fmtNumber(f.contribution, 2)}</span></span>`) },
    { label: t('col.model'), className: 'mono small', render: (r) => r.versionId },
    { label: t('col.flagged'), render: (r) => fmtTime(r.createdAt) },
    { label: t('col.status'), render: (r) => html`<${Badge} value=${r.state} />` },
    ...(canDecide ? [{ label: '', render: (r: ReviewItem) => html`<span class="row-actions">
      <button type="button" class="danger small" onClick=${() => setDeciding({ item: r, verdict: 'confirmed' })}>${t('review.confirm')}</button>
      <button type="button" class="small" onClick=${() => setDeciding({ item: r, verdict: 'dismissed' })}>${t('review.dismiss')}</button></span>` }] : []),
  ];
  return html`<${PageHead} title=${t('nav.review')}>
      <div class="tabs" role="tablist">${(['open', 'confirmed', 'dismissed'] as const).map((s) => html`<a role="tab" aria-selected=${state === s} href=${withQuery('/review', { state: s === 'open' ? undefined : s })}>${t(`status.${s}`)}</a>`)}</div>
    </${PageHead}>
    <${AsyncView} res=${res} isEmpty=${(p: { items: ReviewItem[] }) => p.items.length === 0} empty=${t('review.none')}>
      ${(p: { items: ReviewItem[]; nextCursor: string | null }) => html`
        <${DataTable} label=${t('nav.review')} rows=${p.items} columns=${columns} rowKey=${(r: ReviewItem) => `${r.sourceId}#${r.seq}`}
          onOpen=${(r: ReviewItem) => r.tradeKey && navigate(tradeHref(r.tradeKey))} />
        <${Pager} pager=${pager} nextCursor=${p.nextCursor} count=${p.items.length} />`}
    </${AsyncView}>
    ${deciding ? html`<${Decide} item=${deciding.item} verdict=${deciding.verdict} onClose=${() => setDeciding(undefined)}
      onDone=${() => { setDeciding(undefined); res.reload(); }} />` : null}`;
}
