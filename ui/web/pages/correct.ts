/**
 * The correction editor: a form generated from the data-element table (engine/rules/elements.ts, bundled: the
 * same table the browser's rulebook compiles), validated as the analyst types by the engine's own rulebook for
 * the exception's regime; submitted for a supervisor's approval.
 *
 * The stateless rules run here; lifecycle rules need the trade's state and run in the engine when the approved
 * record arrives. The action type is applied as approval will apply it (engine/exceptions/corrections.ts):
 * CORR/EROR/REVI carry no event type.
 */
import { html, useMemo, useState } from '../html.js';
import { t } from '../i18n/index.js';
import type { CorrectionAction, ExceptionDetail } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { PageHead } from '../components/layout.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { Badge } from '../components/badge.js';
import { InlineError } from '../components/states.js';
import { ELEMENTS, type DataElement } from '../../../engine/rules/elements.js';
import { checkRecord, jsonPathOf, regimeOf, schemaFieldAt, type Finding, type LeiCheck, type Regime, type RecordCheck } from '../rules/browser-rulebook.js';
import { getAt, itemCount, setAt } from '../rules/json-path.js';
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

/** One input of the form: a JSON path of the record and the element it belongs to. */
interface FormField {
  path: string;
  /** The element's path as the rulebook writes it (property names, `[]` for items). */
  propPath: string;
  element: DataElement;
  /** For repeated groups: the group's path, to add an item. */
  group?: string;
  scalarList: boolean;
}

function fieldsOf(element: DataElement, record: Json): FormField[] {
  const out: FormField[] = [];
  for (const propPath of element.paths) {
    const path = jsonPathOf(propPath);
    const groupAt = path.indexOf('[].');
    if (groupAt >= 0) {
      const group = path.slice(0, groupAt);
      const rest = path.slice(groupAt + 3);
      const n = itemCount(record, group);
      if (n === 0) out.push({ path: `${group}[0].${rest}`, propPath, element, group, scalarList: false });
      for (let i = 0; i < n; i++) out.push({ path: `${group}[${i}].${rest}`, propPath, element, group, scalarList: false });
    } else if (path.endsWith('[]')) {
      out.push({ path: path.slice(0, -2), propPath, element, scalarList: true });
    } else {
      out.push({ path, propPath, element, scalarList: false });
    }
  }
  return out;
}

/** The record with the correction's action type, as approval will send it (event type only on a NEWT). */
function asSent(record: Json, action: CorrectionAction): Json {
  const r: Json = { ...record, actionType: action };
  if (action !== 'NEWT') delete r.eventType;
  return r;
}

function mandatory(e: DataElement, regime: Regime): boolean {
  return regime === 'cftc-part43' ? e.p43 === 'M' : e.p45 === 'M';
}

function Input({ field, record, onChange, findings, regime }: { field: FormField; record: Json; onChange: (path: string, v: unknown) => void; findings: Finding[]; regime: Regime }) {
  const value = getAt(record, field.path);
  const spec = schemaFieldAt(field.propPath);
  const kind = spec?.kind ?? 'text';
  const fmt = field.element.format;
  const id = `f-${field.path}`;
  const invalid = findings.some((f) => f.severity === 'error');
  const common = { id, name: field.path, 'aria-invalid': invalid, 'aria-describedby': findings.length ? `${id}-msg` : undefined, 'data-path': field.path };
  let input;
  if (field.scalarList) {
    const text = Array.isArray(value) ? value.join(', ') : '';
    input = html`<input ...${common} value=${text} placeholder="A, B"
      onChange=${(e: Event) => { const v = (e.target as HTMLInputElement).value.split(',').map((s) => s.trim()).filter(Boolean); onChange(field.path, v.length ? v : undefined); }} />`;
  } else if (kind === 'bool') {
    input = html`<select ...${common} value=${value === true ? 'true' : value === false ? 'false' : ''}
      onChange=${(e: Event) => { const v = (e.target as HTMLSelectElement).value; onChange(field.path, v === '' ? undefined : v === 'true'); }}>
      <option value="">–</option><option value="true">true</option><option value="false">false</option></select>`;
  } else if (fmt.kind === 'code') {
    const codes = [...new Set([...fmt.codes, ...Object.values(fmt.byRegime ?? {}).flat()])];
    const cur = typeof value === 'string' ? value : '';
    input = html`<select ...${common} value=${cur} onChange=${(e: Event) => onChange(field.path, (e.target as HTMLSelectElement).value || undefined)}>
      <option value="">–</option>${cur && !codes.includes(cur) ? html`<option value=${cur}>${cur}</option>` : null}
      ${codes.map((c) => html`<option value=${c}>${c}</option>`)}</select>`;
  } else if (kind === 'message' || kind === 'struct') {
    input = html`<${JsonInput} common=${common} value=${value} onChange=${(v: unknown) => onChange(field.path, v)} />`;
  } else {
    const text = value === undefined || value === null ? '' : String(value);
    input = html`<input ...${common} class=${kind === 'decimal' || kind === 'int32' ? 'mono num-input' : 'mono'} value=${text} autocomplete="off" spellcheck=${false}
      placeholder=${fmt.kind === 'timestamp' ? 'YYYY-MM-DDThh:mm:ssZ' : fmt.kind === 'date' ? 'YYYY-MM-DD' : ''}
      onInput=${(e: Event) => {
        const raw = (e.target as HTMLInputElement).value;
        // int32 must be a JSON number; text that is not an integer stays text so the codec names the problem.
        const v = raw === '' ? undefined : kind === 'int32' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
        onChange(field.path, v);
      }} />`;
  }
  return html`<div class=${`form-field ${invalid ? 'has-error' : findings.length ? 'has-warning' : ''}`} data-field=${field.path}>
    <label for=${id}><span class="de">${field.element.de}</span> ${field.element.label}
      ${field.element.paths.length > 1 || field.group ? html` <span class="mono muted small">${field.path}</span>` : null}
      ${mandatory(field.element, regime) ? html`<span class="req" title=${t('corr.mandatory')}>*</span>` : null}</label>
    ${input}
    ${findings.length ? html`<ul class="field-msgs" id=${`${id}-msg`}>${findings.map((f) => html`<li class=${`sev-${f.severity}`}><code>${f.rule}</code> ${f.message}</li>`)}</ul>` : null}
  </div>`;
}

function JsonInput({ common, value, onChange }: { common: Record<string, unknown>; value: unknown; onChange: (v: unknown) => void }) {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value));
  const [bad, setBad] = useState(false);
  return html`<textarea ...${common} class="mono json-input" rows="2" value=${text} aria-invalid=${bad || common['aria-invalid']}
    onInput=${(e: Event) => {
      const raw = (e.target as HTMLTextAreaElement).value;
      setText(raw);
      if (raw.trim() === '') { setBad(false); onChange(undefined); return; }
      try { onChange(JSON.parse(raw)); setBad(false); } catch { setBad(true); }
    }}></textarea>${bad ? html`<span class="inline-error small">${t('corr.badJson')}</span>` : null}`;
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
  const jump = (path: string) => {
    setShowAll(true);
    setTimeout(() => document.querySelector<HTMLElement>(`[data-path="${CSS.escape(path)}"]`)?.focus(), 0);
  };
  const needle = filter.trim().toLowerCase();
  const visible = (f: FormField): boolean => {
    if (needle) return f.element.label.toLowerCase().includes(needle) || String(f.element.de) === needle || f.path.toLowerCase().includes(needle);
    return showAll || getAt(record, f.path) !== undefined || mandatory(f.element, regime) || byPath.has(f.path);
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
  const section = (title: string, els: readonly DataElement[]) => {
    const fields = els.flatMap((el) => fieldsOf(el, record)).filter(visible);
    if (fields.length === 0) return null;
    return html`<fieldset class="form-section"><legend>${title}</legend>
      ${fields.map((f) => html`<${Input} key=${f.path} field=${f} record=${record} onChange=${onChange} findings=${byPath.get(f.path) ?? []} regime=${regime} />`)}</fieldset>`;
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
