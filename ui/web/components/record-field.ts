/**
 * One input of the correction editor (ui/web/pages/correct.ts): a data element at one JSON path of the record,
 * drawn by the element's format and the record schema's field kind, with the rulebook's findings for that path.
 */
import { html, useState } from '../html.js';
import { t } from '../i18n/index.js';
import type { DataElement } from '../../../engine/rules/elements.js';
import { schemaFieldAt, type Finding, type Regime } from '../rules/browser-rulebook.js';
import { getAt } from '../rules/json-path.js';

type Json = Record<string, unknown>;

/** One input of the form: a JSON path of the record and the element it belongs to. */
export interface FormField {
  path: string;
  /** The element's path as the rulebook writes it (property names, `[]` for items). */
  propPath: string;
  element: DataElement;
  /** Set for a field of one item of a repeating group (the label then shows the item's path). */
  group?: string;
  scalarList: boolean;
}

export function mandatory(e: DataElement, regime: Regime): boolean {
  return regime === 'cftc-part43' ? e.p43 === 'M' : e.p45 === 'M';
}

export function RecordField({ field, record, onChange, findings, regime }: { field: FormField; record: Json; onChange: (path: string, v: unknown) => void; findings: Finding[]; regime: Regime }) {
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
