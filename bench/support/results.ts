import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/project-root.js';

export const resultsPath = () => join(projectRoot(), 'bench', 'results.json');

/** Read-modify-write of bench/results.json: each benchmark owns one top-level key. */
export function writeResult(key: string, value: unknown): void {
  const all = readResults();
  all[key] = value;
  writeFileSync(resultsPath(), JSON.stringify(all, null, 2) + '\n');
}

function readResults(): Record<string, unknown> {
  const path = resultsPath();
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
}

export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Like writeResult, but merges `sections` into the key's object: a partial run keeps the other sections. */
export function mergeResult(key: string, sections: Record<string, unknown>): Record<string, unknown> {
  const current = readResults()[key];
  const merged = { ...(current !== null && typeof current === 'object' ? (current as Record<string, unknown>) : {}), ...sections };
  writeResult(key, merged);
  return merged;
}

export function round(x: number, digits = 0): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}
