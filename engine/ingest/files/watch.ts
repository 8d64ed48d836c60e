/**
 * Watch mode: replays files dropped into a directory and moves each, with its summary (and rejects file),
 * to `done/` or `failed/` beneath it.
 *
 * A file is taken when it is complete: either it was written under a temporary name and renamed into
 * place (hidden names and *.tmp / *.part are never taken), or its size and modification time have not
 * changed for `stableMs`. Polling, not fs.watch: fs.watch misses events on network and container file
 * systems, and a poll every half second costs nothing.
 *
 * `failed/` is for files that cannot be read as records (unsupported type, bad CSV header, I/O error).
 * When the engine cannot be reached the file stays where it is and is tried again later: that is not the
 * file's fault. Bad records do not fail a file: they are in its rejects file.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isRecordFile } from './format.js';

export type WatchOutcome = { kind: 'done' | 'failed'; summary: object; rejectsFile?: string | null } | { kind: 'retry'; error: string };

export interface WatchOptions {
  stableMs?: number;
  pollMs?: number;
  /** How long to wait before trying a file again after a 'retry' outcome. */
  retryMs?: number;
  signal: AbortSignal;
  handle: (path: string) => Promise<WatchOutcome>;
  log: (line: string) => void;
}

const TEMPORARY = /(\.tmp|\.part|\.partial|\.crdownload|~)$/i;

export async function watchDirectory(dir: string, o: WatchOptions): Promise<void> {
  const stableMs = o.stableMs ?? 1000;
  const pollMs = o.pollMs ?? 500;
  const retryMs = o.retryMs ?? 5000;
  for (const sub of ['done', 'failed']) mkdirSync(join(dir, sub), { recursive: true });
  const seen = new Map<string, { size: number; mtimeMs: number; since: number }>();
  const retryAfter = new Map<string, number>();
  o.log(`watching ${dir} (finished files go to done/ or failed/)`);
  while (!o.signal.aborted) {
    const now = Date.now();
    const ready: string[] = [];
    const present = new Set<string>();
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isFile() || !isRecordFile(e.name) || TEMPORARY.test(e.name)) continue;
      const path = join(dir, e.name);
      present.add(path);
      let st;
      try {
        st = statSync(path);
      } catch {
        continue; // renamed or removed since the listing
      }
      const prev = seen.get(path);
      if (!prev || prev.size !== st.size || prev.mtimeMs !== st.mtimeMs) {
        // Unchanged since when? A file first seen with an old modification time (renamed into place after
        // being written, or there before the watch started) counts from that time; it is still seen twice,
        // a poll apart, before it is taken, so a copy that preserves timestamps is not taken half-written.
        seen.set(path, { size: st.size, mtimeMs: st.mtimeMs, since: prev ? now : Math.min(now, st.mtimeMs) });
        continue;
      }
      if (now - prev.since >= stableMs && (retryAfter.get(path) ?? 0) <= now) ready.push(path);
    }
    for (const p of seen.keys()) if (!present.has(p)) seen.delete(p);
    for (const path of ready.sort()) {
      if (o.signal.aborted) break;
      const outcome = await o.handle(path);
      if (outcome.kind === 'retry') {
        o.log(`${basename(path)}: ${outcome.error}; trying again in ${Math.round(retryMs / 1000)} s`);
        retryAfter.set(path, Date.now() + retryMs);
        continue;
      }
      retryAfter.delete(path);
      seen.delete(path);
      try {
        const target = moveWithOutputs(dir, path, outcome.kind, outcome.summary, outcome.rejectsFile ?? null);
        o.log(`${basename(path)} -> ${outcome.kind}/${basename(target)}`);
      } catch (err) {
        // Removed or renamed by someone else meanwhile: nothing to move, keep watching.
        o.log(`${basename(path)}: could not move it to ${outcome.kind}/: ${(err as Error).message}`);
      }
    }
    await sleep(pollMs, o.signal);
  }
}

/** Moves the input, its rejects file and a summary into done/ or failed/ (a suffix avoids overwriting an earlier file of the same name). */
function moveWithOutputs(dir: string, path: string, kind: 'done' | 'failed', summary: object, rejectsFile: string | null): string {
  const name = basename(path);
  let target = join(dir, kind, name);
  if (existsSync(target)) target = join(dir, kind, `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}`);
  renameSync(path, target);
  writeFileSync(`${target}.summary.json`, JSON.stringify({ ...summary, movedTo: target }, null, 2) + '\n');
  if (rejectsFile && existsSync(rejectsFile)) renameSync(rejectsFile, `${target}.rejects.csv`);
  return target;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
