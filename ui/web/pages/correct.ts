/**
 * The correction editor: a form generated from the data-element table (engine/rules/elements.ts, bundled: the
 * same table the browser's rulebook compiles), validated as the analyst types by the engine's own rulebook for
 * the exception's regime; submitted for a supervisor's approval.
 *
 * The stateless rules run here; lifecycle rules need the trade's state and run in the engine when the approved
 * record arrives. The action type is applied as approval will apply it (engine/exceptions/corrections.ts):
 * CORR/EROR/REVI carry no event type.
 */
import { html, useMemo, useState, type VNode } from '../html.js';
import { t } from '../i18n/index.js';
import type { CorrectionAction, ExceptionDetail } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { PageHead } from '../components/layout.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { Badge } from '../components/badge.js';
import { InlineError } from '../components/states.js';
import { ELEMENTS, type DataElement } from '../../../engine/rules/elements.js';
import { RecordField, mandatory, type FormField } from '../components/record-field.js';
import { RepeatingGroup, type GroupSpec } from '../components/repeating-group.js';
import { checkRecord, jsonPathOf, regimeOf, type Finding, type LeiCheck, type Regime, type RecordCheck } from '../rules/browser-rulebook.js';
import { getAt, setAt } from '../rules/json-path.js';
import { addItem, groupMember, itemsOf, removeItem } from '../rules/repeating-groups.js';
import { navigate, tradeHref, type Route } from '../router.js';

type Json = Record<string, unknown>;
const ACTIONS: CorrectionAction[] = ['CORR', 'EROR', 'REVI', 'NEWT'];

/** Sections of the form, by data element number (the Technical Specification's own grouping). */
const SECTIONS: { key: string; from: number; to: number }[] = [
  { key: 'sec.clearing', from: 1, to: 12 }, { key: 'sec.parties', from: 13, to: 25 }, { key: 'sec.event', from: 26, to: 30 },
  { key: 'sec.notional', from: 31, to: 44 }, { key: 'sec.package', from: 45, to: 52 }, { key: 'sec.payments', from: 53, to: 67 },
  { key: 'sec.prices', from: 68, to: 86 }, { key: 'sec.product', from: 87, to: 99 }, { key: 'sec.identifiers', from: 100, to: 106 },
  { key: 'sec.valuation', from: 107, to: 128 },
];

/** The fields of an element outside repeating groups (members of a group are drawn by its RepeatingGroup). */
function plainFieldsOf(element: DataElement): FormField[] {
  const out: FormField[] = [];
  for (const propPath of element.paths) {
    const path = jsonPathOf(propPath);
    if (groupMember(path)) continue;
    if (path.endsWith('[]')) out.push({ path: path.slice(0, -2), propPath, element, scalarList: true });
    else out.push({ path, propPath, element, scalarList: false });
  }
  return out;
}

let groupTable: Map<string, GroupSpec> | undefined;
/** Every repeating group of the data-element table with its members, in table order (built once, on first use). */
function repeatingGroups(): Map<string, GroupSpec> {
  if (groupTable) return groupTable;
  groupTable = new Map();
  for (const element of ELEMENTS) {
    for (const propPath of element.paths) {
      const m = groupMember(jsonPathOf(propPath));
      if (!m) continue;
      let g = groupTable.get(m.group);
      if (!g) groupTable.set(m.group, (g = { group: m.group, members: [] }));
      g.members.push({ element, propPath, field: m.field });
    }
  }
  return groupTable;
}

/** The record with the correction's action type, as approval will send it (event type only on a NEWT). */
function asSent(record: Json, action: CorrectionAction): Json {
  const r: Json = { ...record, actionType: action };
  if (action !== 'NEWT') delete r.eventType;
  return r;
}

function ValidationPanel({ check, onJump }: { check: RecordCheck; onJump: (path: string) => void }) {
  const errors = check.findings.filter((f) => f.severity === 'error');
  const warnings = check.findings.filter((f) => f.severity === 'warning');
  return html`<aside class="validation card" aria-live="polite" aria-label=${t('corr.validation')}>
    <h2>${t('corr.validation')}</h2>
    <p class="verdict" data-verdict=${check.status}><${Badge} value=${check.status === 'invalid' ? 'rejected' : check.status} />
      ${t('corr.counts', { errors: errors.length + check.issues.length, warnings: warnings.length })}</p>
    <ul class="findings">
      ${check.issues.map((i) => html`<li class="sev-error"><button type="button" class="link" onClick=${() => onJump(i.path)}><span class="mono">${i.path || '(record)'}</span></button> ${i.message}</li>`)}
      ${[...errors, ...warnings].map((f, i) => html`<li key=${i} class=${`sev-${f.severity}`}><code>${f.rule}</code>
        <button type="button" class="link mono" onClick=${() => onJump(jsonPathOf(f.path))}>${f.path}</button> ${f.message}</li>`)}
    </ul>
    <p class="muted small">${t('corr.statelessNote')}</p>
  </aside>`;
}

function Editor({ detail, regime, leiCheck }: { detail: ExceptionDetail; regime: Regime; leiCheck: LeiCheck }) {
  const x = detail.exception;
  const start = detail.original && Object.keys(detail.original).length > 0 ? detail.original : detail.record ?? {};
  // A rejected NEWT never made the trade: it is sent again as a NEWT; anything else is corrected with a CORR.
  const [action, setActionState] = useState<CorrectionAction>(x.kind === 'validation' && start.actionType === 'NEWT' ? 'NEWT' : 'CORR');
  const [record, setRecord] = useState<Json>(() => asSent(structuredClone(start), action));
  const setAction = (a: CorrectionAction) => {
    setActionState(a);
    setRecord((r) => asSent(r, a));
  };
  const [reason, setReason] = useState('');
  const [showAll, setShowAll] = useState(false);
  const [filter, setFilter] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const check = useMemo(() => checkRecord(record, regime, leiCheck), [record, regime, leiCheck]);
  const byPath = useMemo(() => {
    const m = new Map<string, Finding[]>();
    for (const f of check.findings) {
      const p = jsonPathOf(f.path);
      m.set(p, [...(m.get(p) ?? []), f]);
    }
    return m;
  }, [check]);
  const onChange = (path: string, v: unknown) => setRecord((r) => setAt(r, path, v));
  const [generation, setGeneration] = useState(0);
  const onRemoveItem = (group: string, index: number) => {
    setRecord((r) => removeItem(r, group, index));
    setGeneration((g) => g + 1);
  };
  const jump = (path: string) => {
    setShowAll(true);
    setTimeout(() => document.querySelector<HTMLElement>(`[data-path="${CSS.escape(path)}"]`)?.focus(), 0);
  };
  const needle = filter.trim().toLowerCase();
  const matches = (e: DataElement, path: string): boolean => e.label.toLowerCase().includes(needle) || String(e.de) === needle || path.toLowerCase().includes(needle);
  const visible = (f: FormField): boolean => {
    if (needle) return matches(f.element, f.path);
    return showAll || getAt(record, f.path) !== undefined || mandatory(f.element, regime) || byPath.has(f.path);
  };
  // A group is shown whole (every item, every member) when it has items, a finding, a mandatory member or a match.
  const groupVisible = (g: GroupSpec): boolean => {
    if (needle) return g.members.some((m) => matches(m.element, `${g.group}[].${m.field}`));
    return showAll || itemsOf(record, g.group).length > 0 || g.members.some((m) => mandatory(m.element, regime))
      || [...byPath.keys()].some((p) => p === g.group || p.startsWith(`${g.group}[`));
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const c = await api.createCorrection({ exceptionId: x.id, actionType: action, record, ...(reason.trim() ? { reason: reason.trim() } : {}) });
      navigate(`/corrections/${c.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const blocked = check.status === 'rejected' || check.status === 'invalid';
  // Element 26 (action type) is the Action control above the form.
  const numbered = ELEMENTS.filter((e) => typeof e.de === 'number' && e.de !== 26);
  const others = ELEMENTS.filter((e) => typeof e.de !== 'number');
  const field = (f: FormField): VNode => html`<${RecordField} key=${f.path} field=${f} record=${record} onChange=${onChange} findings=${byPath.get(f.path) ?? []} regime=${regime} />`;
  const section = (title: string, els: readonly DataElement[]) => {
    const parts: VNode[] = [];
    for (const el of els) {
      for (const f of plainFieldsOf(el)) if (visible(f)) parts.push(field(f));
      // A group is drawn once, where its first member is (the other payment's party formats join its items).
      for (const g of repeatingGroups().values()) {
        if (g.members[0]!.element !== el || !groupVisible(g)) continue;
        parts.push(html`<${RepeatingGroup} key=${`group:${g.group}`} spec=${g} count=${itemsOf(record, g.group).length} generation=${generation}
          renderField=${field} onAdd=${() => setRecord((r) => addItem(r, g.group))} onRemove=${(i: number) => onRemoveItem(g.group, i)} />`);
      }
    }
    if (parts.length === 0) return null;
    return html`<fieldset class="form-section"><legend>${title}</legend>${parts}</fieldset>`;
  };
  return html`<${PageHead} title=${t('corr.editTitle', { id: x.id })}>
      ${x.tradeKey ? html`<a href=${tradeHref(x.tradeKey, x.counterparty1)} class="mono">${x.tradeKey}</a>` : null}<span class="muted">${regime}</span>
    </${PageHead}>
    <form class="editor" onSubmit=${submit} aria-label=${t('corr.editTitle', { id: x.id })}>
      <div class="editor-main">
        <div class="card editor-controls">
          <label>${t('col.action')}<select name="actionType" value=${action} onChange=${(e: Event) => setAction((e.target as HTMLSelectElement).value as CorrectionAction)}>
            ${ACTIONS.map((a) => html`<option value=${a}>${a}</option>`)}</select></label>
          <label class="grow">${t('corr.find')}<input data-search type="search" value=${filter} placeholder=${t('corr.findHint')}
            onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} /></label>
          <label class="check"><input type="checkbox" checked=${showAll} onChange=${(e: Event) => setShowAll((e.target as HTMLInputElement).checked)} /> ${t('corr.showAll')}</label>
        </div>
        ${SECTIONS.map((s) => section(t(s.key as 'sec.clearing'), numbered.filter((e) => (e.de as number) >= s.from && (e.de as number) <= s.to)))}
        ${section(t('sec.other'), others)}
        <div class="card">
          <label>${t('form.reason')}<textarea name="reason" value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLTextAreaElement).value)}></textarea></label>
          <${InlineError} error=${error} />
          <div class="form-actions">
            ${blocked ? html`<span class="muted small">${t('corr.fixFirst')}</span>` : null}
            <a class="button" href=${`/exceptions/${x.id}`}>${t('action.cancel')}</a>
            <button type="submit" class="primary" disabled=${busy || blocked}>${t('corr.submit')}</button>
          </div>
        </div>
      </div>
      <${ValidationPanel} check=${check} onJump=${jump} />
    </form>`;
}

export function CorrectPage({ route }: { route: Route }) {
  const id = Number(route.params.id);
  const res = useResource(async () => {
    const detail = await api.exception(id);
    // The engine's regime and LEI strictness, so the browser judges as the engine will.
    const el = await api.elements(detail.exception.regime ?? undefined);
    return { detail, regime: regimeOf(detail.exception.regime, el.regime), leiCheck: el.leiCheck };
  }, [id]);
  return html`<${AsyncView} res=${res}>${(d: { detail: ExceptionDetail; regime: Regime; leiCheck: LeiCheck }) =>
    html`<${Editor} detail=${d.detail} regime=${d.regime} leiCheck=${d.leiCheck} />`}</${AsyncView}>`;
}
