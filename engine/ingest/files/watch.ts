/**
 * Watch mode: replays files dropped into a directory and moves each, with its summary (and rejects file),
 * to `done/` or `failed/` beneath it.
 *
 * A file is taken only when it is complete, and how a writer says so is the completion rule:
 *
 * - `rename` (the default): the file appears whole, renamed into the directory from a temporary name. Names
 *   that mark a file as temporary (a leading `.`, a trailing `.tmp`, `.part`, `.partial`, `.filepart`,
 *   `.crdownload` or `~`) are never taken. A watcher cannot tell, from outside, a file renamed in from one
 *   still being written under its final name, so this is a contract with the writer. What it can see, it
 *   acts on: a file is taken only after it has been seen unchanged a poll apart, and one seen changing under
 *   its final name is being written in place: it is left where it is (with a warning) and never taken
 *   under that name, because a writer that stalls (a slow transfer, a network share) would otherwise get
 *   its first part replayed and moved, and the rest never.
 * - `marker`: the file is taken once its marker (`FILE` + the marker suffix, `.ready` by default) is beside
 *   it, written after the file. A marker older than its file's last change announces an earlier file (or
 *   was written before the data) and is ignored until it is written again. The marker moves with its file.
 *
 * Elapsed time is no evidence of completeness (a copy can pause for longer than any window), so no rule
 * takes a file for having been quiet for a while.
 *
 * Polling, not fs.watch: fs.watch misses events on network and container file systems, and a poll every
 * half second costs nothing.
 *
 * `failed/` is for files that cannot be read as records (unsupported type, bad CSV header, I/O error), and
 * for a file that changed while it was replayed (its writer broke the rule: what was replayed was part of
 * it). When the engine cannot be reached the file stays where it is and is tried again later: that is not
 * the file's fault. Bad records do not fail a file: they are in its rejects file.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, join } from 'node:path';
import { isRecordFile } from './format.js';

export type WatchOutcome = { kind: 'done' | 'failed'; summary: object; rejectsFile?: string | null } | { kind: 'retry'; error: string };

export type CompletionRule = 'rename' | 'marker';

export const COMPLETION_RULES: readonly CompletionRule[] = ['rename', 'marker'];
export const DEFAULT_MARKER_SUFFIX = '.ready';
export const DEFAULT_POLL_MS = 500;
export const DEFAULT_RETRY_MS = 5000;

export interface WatchOptions {
  /** How a writer says a file is complete (default 'rename'). */
  complete?: CompletionRule;
  /** With 'marker': the marker of FILE is FILE + this suffix (default '.ready'). */
  markerSuffix?: string;
  pollMs?: number;
  /** How long to wait before trying a file again after a 'retry' outcome. */
  retryMs?: number;
  signal: AbortSignal;
  handle: (path: string) => Promise<WatchOutcome>;
  log: (line: string) => void;
}

/** A watch setting that cannot work (named by its command-line option). */
export class WatchSettingError extends Error {
  readonly code = 'WATCH_SETTING';
  constructor(message: string) {
    super(message);
    this.name = 'WatchSettingError';
  }
}

const TEMPORARY = /(\.tmp|\.part|\.partial|\.filepart|\.crdownload|~)$/i;

/** Whether a name marks a file still being written (never taken, whatever the rule). */
export function isTemporaryName(name: string): boolean {
  return name.startsWith('.') || TEMPORARY.test(name);
}

/** Why a marker suffix cannot work, or undefined when it can. */
export function markerSuffixProblem(suffix: string): string | undefined {
  if (!/^\.[A-Za-z0-9._-]+$/.test(suffix)) return `--marker-suffix "${suffix}": expected a suffix such as .ready or .done (a dot, then letters, digits, ".", "_" or "-")`;
  // A marker that is itself a record file (trades.csv.json) would be replayed.
  if (isRecordFile(`x${suffix}`)) return `--marker-suffix "${suffix}": a marker must not end like a record file (.json, .jsonl, .ndjson, .csv)`;
  if (TEMPORARY.test(suffix)) return `--marker-suffix "${suffix}": that suffix marks a temporary file`;
  return undefined;
}

/** What identifies one state of a file: a change to any of these is a write (or another file under the name). */
type Signature = { ino: number; size: number; mtimeMs: number };

const signatureOf = (st: Stats): Signature => ({ ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
const sameSignature = (a: Signature, b: Signature) => a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null; // renamed or removed since the listing
  }
}

export async function watchDirectory(dir: string, o: WatchOptions): Promise<void> {
  const rule = o.complete ?? 'rename';
  const markerSuffix = o.markerSuffix ?? DEFAULT_MARKER_SUFFIX;
  const pollMs = o.pollMs ?? DEFAULT_POLL_MS;
  const retryMs = o.retryMs ?? DEFAULT_RETRY_MS;
  if (!COMPLETION_RULES.includes(rule)) throw new WatchSettingError(`--complete "${String(rule)}": expected rename or marker`);
  if (rule === 'marker') {
    const problem = markerSuffixProblem(markerSuffix);
    if (problem) throw new WatchSettingError(problem);
  }
  for (const sub of ['done', 'failed']) mkdirSync(join(dir, sub), { recursive: true });

  /** Rename rule: each file as last seen; a file seen unchanged a poll later is whole. */
  const seen = new Map<string, Signature>();
  /** Rename rule: files seen being written under their final name (never taken under it). */
  const inPlace = new Map<string, Signature>();
  /** Marker rule: files whose marker is older than the file (said once per marker). */
  const staleMarkers = new Map<string, number>();
  const retryAfter = new Map<string, number>();
  o.log(
    rule === 'rename'
      ? `watching ${dir}: files renamed into it are replayed (write each as .NAME or NAME.tmp, then rename); finished files go to done/ or failed/`
      : `watching ${dir}: a file is replayed once its marker FILE${markerSuffix} is written beside it; finished files go to done/ or failed/`,
  );

  /** The files ready to be taken on this pass, with the state they were judged on. */
  const readyFiles = (): { path: string; sig: Signature; marker?: string }[] => {
    const now = Date.now();
    const ready: { path: string; sig: Signature; marker?: string }[] = [];
    const present = new Set<string>();
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isFile() || !isRecordFile(e.name) || isTemporaryName(e.name)) continue;
      const path = join(dir, e.name);
      present.add(path);
      const st = statOrNull(path);
      if (!st) continue;
      const sig = signatureOf(st);
      if ((retryAfter.get(path) ?? 0) > now) continue;
      if (rule === 'marker') {
        const marker = `${path}${markerSuffix}`;
        const mst = statOrNull(marker);
        if (!mst) continue;
        if (mst.mtimeMs < st.mtimeMs) {
          if (staleMarkers.get(path) !== mst.mtimeMs) {
            staleMarkers.set(path, mst.mtimeMs);
            o.log(`${e.name}: changed after its marker ${e.name}${markerSuffix} was written; waiting for the marker to be written again`);
          }
          continue;
        }
        staleMarkers.delete(path);
        ready.push({ path, sig, marker });
        continue;
      }
      const flagged = inPlace.get(path);
      if (flagged) {
        // Still the file seen being written: left alone. Another file renamed over it starts afresh.
        if (flagged.ino === sig.ino) continue;
        inPlace.delete(path);
      }
      const prev = seen.get(path);
      seen.set(path, sig);
      if (!prev) continue; // first sight: taken only if a poll later it is the same
      if (sameSignature(prev, sig)) {
        ready.push({ path, sig });
      } else if (prev.ino === sig.ino) {
        inPlace.set(path, sig);
        seen.delete(path);
        o.log(
          `${e.name}: is being written in place under its final name, so it is not replayed: a writer that pauses would get part of it replayed. ` +
            `Write files as .NAME or NAME.tmp and rename them when complete (or use --complete marker); to replay this one once it is complete, rename it to a new name`,
        );
      }
    }
    for (const p of seen.keys()) if (!present.has(p)) seen.delete(p);
    for (const p of inPlace.keys()) if (!present.has(p)) inPlace.delete(p);
    for (const p of staleMarkers.keys()) if (!present.has(p)) staleMarkers.delete(p);
    for (const p of retryAfter.keys()) if (!present.has(p)) retryAfter.delete(p);
    return ready.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  };

  while (!o.signal.aborted) {
    for (const { path, sig, marker } of readyFiles()) {
      if (o.signal.aborted) break;
      // Earlier files of this pass may have taken long: judge this one again as it is now.
      const before = statOrNull(path);
      if (!before || !sameSignature(signatureOf(before), sig)) continue;
      let outcome = await o.handle(path);
      if (outcome.kind === 'retry') {
        o.log(`${basename(path)}: ${outcome.error}; trying again in ${Math.round(retryMs / 1000)} s`);
        retryAfter.set(path, Date.now() + retryMs);
        continue;
      }
      retryAfter.delete(path);
      seen.delete(path);
      const after = statOrNull(path);
      if (outcome.kind === 'done' && after && !sameSignature(signatureOf(after), sig)) {
        // The writer was not done: what was replayed is a part of the file. Not done, and not to be taken
        // again as it is (its records so far are stored): failed, for a person to look at.
        const error = `${basename(path)} changed while it was replayed (it was not complete: ${sig.size} bytes then, ${after.size} now): deliver files by rename or with a marker`;
        o.log(error);
        outcome = { kind: 'failed', summary: { ...outcome.summary, error }, rejectsFile: outcome.rejectsFile ?? null };
      }
      try {
        const target = moveWithOutputs(dir, path, outcome.kind, outcome.summary, outcome.rejectsFile ?? null, marker);
        o.log(`${basename(path)} -> ${outcome.kind}/${basename(target)}`);
      } catch (err) {
        // Removed or renamed by someone else meanwhile: nothing to move, keep watching.
        o.log(`${basename(path)}: could not move it to ${outcome.kind}/: ${(err as Error).message}`);
      }
    }
    await sleep(pollMs, o.signal);
  }
}

/**
 * Moves the input, its marker, its rejects file and a summary into done/ or failed/ (a prefix avoids
 * overwriting an earlier file of the same name). The marker goes first: stopped between the two, the file
 * is left without a marker (not taken again) rather than a marker left to announce the next file of that name.
 */
function moveWithOutputs(dir: string, path: string, kind: 'done' | 'failed', summary: object, rejectsFile: string | null, marker: string | undefined): string {
  const name = basename(path);
  let target = join(dir, kind, name);
  if (existsSync(target)) target = join(dir, kind, `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}`);
  if (marker && existsSync(marker)) renameSync(marker, `${target}${marker.slice(path.length)}`);
  renameSync(path, target);
  // Written beside, then renamed: whoever waits for the summary never reads half of it.
  writeFileSync(`${target}.summary.json.tmp`, JSON.stringify({ ...summary, movedTo: target }, null, 2) + '\n');
  renameSync(`${target}.summary.json.tmp`, `${target}.summary.json`);
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
