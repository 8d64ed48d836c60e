/**
 * Labels in English and Korean: one message table per language (en.ts is the reference; ko.ts must have the
 * same keys, which the type checker enforces). Components call t('key') and never hold text themselves.
 */
import { en, type Messages } from './en.js';
import { ko } from './ko.js';

export type Lang = 'en' | 'ko';
export type MsgKey = keyof Messages;
export const LANGS: readonly Lang[] = ['en', 'ko'];

const TABLES: Record<Lang, Messages> = { en, ko };
const STORAGE_KEY = 'swaprep.lang';
const listeners = new Set<() => void>();

function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'ko') return saved;
  return navigator.language.toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

let current: Lang = initialLang();
document.documentElement.lang = current;

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  if (next === current) return;
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  for (const l of listeners) l();
}

export function onLangChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The label for `key` in the current language, with `{name}` placeholders filled from `params`. */
export function t(key: MsgKey, params?: Record<string, string | number>): string {
  const text = TABLES[current][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Numbers and times in the current language's conventions. */
export function fmtNumber(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString(current === 'ko' ? 'ko-KR' : 'en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // UTC everywhere (the navigation says so): regulatory timestamps are UTC, and analysts in Seoul and New York
  // must see the same value.
  return d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}
