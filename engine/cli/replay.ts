import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { DEFAULT_MAX_UNACKED, type FileSummary } from '../ingest/files/replay-file.js';

const HELP = `usage: swaprep replay FILE|DIR... [options]
       swaprep replay --watch DIR [options]

Streams JSON, JSONL and CSV files of swap reports through the engine's live path (FEP, actors, store).
Each file is an FEP source of its own whose seq n is its n-th record, so replaying a file again stores
nothing twice and an interrupted replay resumes after the last acknowledged record. A DIR is walked
recursively (*.json, *.jsonl, *.ndjson, *.csv). CSV headers are JSON paths: leg1.notionalAmount,
otherPayment[0].amount, clearingSwapUTIs[0]; a cell for an object or Struct field holds JSON.

Bad records are rejections, never a failure: they are counted in the summary and written with their line,
rule, field and message to FILE.rejects.csv beside the input.

options:
  --to tcp://HOST:PORT|grpc://HOST:PORT
                        replay into a running engine (default: start one in-process on the local
                        database: DATABASE_URL, or the embedded PostgreSQL of --data-dir; it stores,
                        judges and scores, and leaves submissions and the console's projection to
                        \`swaprep serve\`, which takes them up from the event log: SWAPREP_SUBMISSION=on
                        and SWAPREP_CONSOLE=on run them here too; --watch runs them)
  --source ID --token T with --to: the FEP source to send as (one file only). Without them each file is
                        its own source, created in the engine's database (--database-url / DATABASE_URL)
  --rate N              at most N records per second (default: as fast as the engine acknowledges)
  --workers N           decode threads (default: the CPUs with --to, CPUs - 1 in-process; 0 decodes in
                        the main thread)
  --max-unacked N       records sent and not yet acknowledged before waiting (default ${DEFAULT_MAX_UNACKED})
  --rejects-dir DIR     write the rejects files under DIR (mirroring the inputs' paths below the
                        directories named) instead of beside the inputs (for read-only or shared inputs)
  --json                print each file's summary as one JSON line
  --quiet               no progress output (progress goes to stderr: a bar on a terminal, a line
                        every 10 s otherwise)
  --watch DIR           replay each complete file put into DIR and move it to DIR/done or DIR/failed
                        with FILE.summary.json (and FILE.rejects.csv); runs until SIGINT/SIGTERM
  --complete rename|marker
                        with --watch: how a writer says a file is complete (default rename):
                        rename  write the file under a temporary name in DIR (.NAME, NAME.tmp,
                                .part, .partial, .filepart: never taken), or elsewhere on the same
                                file system, then rename it to NAME, so that it appears whole:
                                  cp f.csv DIR/.f.csv.tmp && mv DIR/.f.csv.tmp DIR/f.csv
                                Do not write into DIR under the final name (cp f.csv DIR/): a copy
                                that pauses cannot be told from a complete file. A file seen growing
                                under its final name is left alone, with a warning; rename it to a
                                new name once it is complete to have it replayed
                        marker  write NAME, then the empty file NAME.ready beside it; NAME is taken
                                once its marker is there and no older than NAME, and the marker moves
                                with it (for writers that cannot rename, e.g. some SFTP clients)
  --marker-suffix SUF   with --complete marker: the marker of NAME is NAME + SUF (default .ready)
  --poll-ms N           with --watch: how often DIR is looked at (default 500)
  --database-url URL --data-dir DIR --embedded-pg-port N
                        the database of the in-process engine (or where --to's sources are created)

exit status: 0 every file replayed (rejected records included), 1 a file could not be replayed,
2 bad usage, 130 interrupted.
`;

interface Sink {
  summary(s: FileSummary): void;
  failure(file: string, message: string): void;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      to: { type: 'string' },
      source: { type: 'string' },
      token: { type: 'string' },
      rate: { type: 'string' },
      workers: { type: 'string' },
      'max-unacked': { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      watch: { type: 'string' },
      complete: { type: 'string' },
      'marker-suffix': { type: 'string' },
      'poll-ms': { type: 'string' },
      // Gone: quiet time is no evidence that a file is complete. Still parsed to say so.
      'stable-ms': { type: 'string' },
      'rejects-dir': { type: 'string' },
      'database-url': { type: 'string' },
      'data-dir': { type: 'string' },
      'embedded-pg-port': { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const usage = (msg: string) => {
    process.stderr.write(`swaprep replay: ${msg}\n\n${HELP}`);
    return 2;
  };
  const num = (name: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} ${v}: expected an integer >= ${min}`);
    return n;
  };
  if (!values.watch && positionals.length === 0) return usage('give at least one FILE or DIR, or --watch DIR');
  if (values.watch && positionals.length > 0) return usage('--watch DIR takes no other files');
  if ((values.source === undefined) !== (values.token === undefined)) return usage('--source and --token go together');
  if (values.source !== undefined && !values.to) return usage('--source/--token name a source of the engine given by --to');
  if (values['stable-ms'] !== undefined) return usage('--stable-ms is no longer an option: a file unchanged for a while may be a stalled copy. --watch takes a file renamed into DIR (--complete rename) or announced by a marker file (--complete marker)');
  if (!values.watch && (values.complete !== undefined || values['marker-suffix'] !== undefined || values['poll-ms'] !== undefined)) return usage('--complete, --marker-suffix and --poll-ms go with --watch');
  if (values.complete !== undefined && values.complete !== 'rename' && values.complete !== 'marker') return usage(`--complete ${values.complete}: expected rename or marker`);
  const complete = values.complete === 'marker' ? 'marker' : 'rename';
  if (values['marker-suffix'] !== undefined && complete !== 'marker') return usage('--marker-suffix goes with --complete marker');
  let rate: number | undefined, workers: number, maxUnacked: number | undefined, pollMs: number | undefined;
  try {
    rate = num('rate', values.rate, 1);
    // Decoding is the client's main cost: every CPU when the engine runs elsewhere, all but one when it
    // runs in this process (its actors and store share the main thread).
    workers = num('workers', values.workers, 0) ?? (values.to ? availableParallelism() : Math.max(1, availableParallelism() - 1));
    maxUnacked = num('max-unacked', values['max-unacked'], 1);
    pollMs = num('poll-ms', values['poll-ms'], 10);
  } catch (err) {
    return usage((err as Error).message);
  }

  // Quiet the in-process engine's info log (progress and summaries share stderr/stdout); loaded lazily, after this.
  process.env.SWAPREP_LOG_LEVEL ??= 'warn';
  const { parseTarget, connectFep } = await import('../ingest/files/fep-link.js');
  const { replayFile, ReplayError } = await import('../ingest/files/replay-file.js');
  const { createDecodePool } = await import('../ingest/files/decode-pool.js');
  const { createProgress } = await import('../ingest/files/progress.js');
  const { fileSourceId } = await import('../ingest/files/file-source.js');
  const { isRecordFile } = await import('../ingest/files/format.js');
  const { FileFormatError } = await import('../ingest/files/types.js');
  const { newToken, upsertSource } = await import('../store/sources.js');

  let files: { path: string; rel: string }[] = [];
  if (!values.watch) {
    try {
      files = expand(positionals, isRecordFile);
    } catch (err) {
      return usage((err as Error).message);
    }
    if (values.source && files.length !== 1) return usage(`--source names one source, but ${files.length} files were given: each file is a source of its own (omit --source, give --database-url)`);
  } else if (values.source) {
    return usage('--watch replays each file as its own source: omit --source/--token');
  } else if (values['marker-suffix'] !== undefined) {
    const { markerSuffixProblem } = await import('../ingest/files/watch.js');
    const problem = markerSuffixProblem(values['marker-suffix']);
    if (problem) return usage(problem);
  }

  // Where to send, and how each file gets its source.
  let target;
  let engine: { stop(): Promise<void> } | undefined;
  let db: pg.Pool | undefined;
  const { loadConfig } = await import('../config.js');
  const overrides: Record<string, string> = {};
  for (const k of ['database-url', 'data-dir', 'embedded-pg-port'] as const) if (values[k] !== undefined) overrides[k] = values[k];
  const { createPool } = await import('../store/database.js');
  if (values.to) {
    try {
      target = parseTarget(values.to);
    } catch (err) {
      return usage((err as Error).message);
    }
    if (!values.source) {
      const url = overrides['database-url'] ?? process.env.DATABASE_URL;
      if (!url) return usage('with --to and no --source, each file becomes a source that replay creates in the engine\'s database: give --database-url (or DATABASE_URL), or --source/--token for one file');
      db = createPool(url, 2);
    }
  } else {
    const { startEngine } = await import('../main.js');
    // A one-shot replay loads the event log: the followers of the log (the submission path, the console's trade
    // projection) pick its events up from their cursors when `swaprep serve` runs, and running them here took
    // more than half of the process's CPU (200,000 lines: 7,260 -> 17,000 lines/s without them). --watch runs
    // as long as a server, so it keeps them; SWAPREP_SUBMISSION=on / SWAPREP_CONSOLE=on keep them too.
    const followers = values.watch ? {} : { submission: process.env.SWAPREP_SUBMISSION ?? 'off', console: process.env.SWAPREP_CONSOLE ?? 'off' };
    const config = loadConfig(process.env, { ...overrides, ...followers, host: '127.0.0.1', 'tcp-port': '0', 'grpc-port': '0', 'http-port': '0' });
    // No FEP waits on this engine's acks, so scoring keeps its normal priority: at nice 10 it fell behind and its
    // queue held more (1,000,000 lines: peak RSS 531-540 -> 552-553 MiB, no faster).
    if (!values.watch) process.env.SWAPREP_BACKGROUND_NICE ??= '0';
    const running = await startEngine(config);
    engine = running;
    target = { transport: 'tcp' as const, host: '127.0.0.1', port: running.tcpPort };
    db = createPool(running.databaseUrl, 2);
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\nswaprep replay: stopping after what was sent is acknowledged (signal again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const pool = createDecodePool(workers);
  const progress = createProgress(process.stderr, { quiet: values.quiet === true });
  const out: Sink = {
    summary: (s) => process.stdout.write(values.json ? JSON.stringify(s) + '\n' : describeSummary(s) + '\n'),
    failure: (file, message) => process.stdout.write(values.json ? JSON.stringify({ file, error: message }) + '\n' : `${file}: FAILED: ${message}\n`),
  };

  /** Replays one file; the outcome says whether the file was the problem. */
  const rejectsDir = values['rejects-dir'] ? resolve(values['rejects-dir']) : undefined;
  const rejectsPathFor = (path: string, rel: string): string | undefined => {
    if (!rejectsDir) return undefined;
    const target = join(rejectsDir, `${rel}.rejects.csv`);
    mkdirSync(dirname(target), { recursive: true });
    return target;
  };
  const replayOne = async (path: string, rel = basename(path)): Promise<{ kind: 'done'; summary: FileSummary } | { kind: 'failed' | 'retry'; error: string; summary?: FileSummary }> => {
    try {
      let sourceId = values.source;
      let token = values.token;
      if (!sourceId || !token) {
        sourceId = fileSourceId(path);
        token = newToken();
        await upsertSource(db!, sourceId, token);
      }
      const summary = await replayFile({
        path, sourceId, token, pool, progress, rate, maxUnacked, signal: controller.signal, rejectsPath: rejectsPathFor(path, rel),
        connect: (events) => connectFep(target, events),
      });
      return { kind: 'done', summary };
    } catch (err) {
      if (err instanceof FileFormatError) return { kind: 'failed', error: err.message };
      if (err instanceof ReplayError) return { kind: 'retry', error: err.message, summary: err.summary };
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') return { kind: 'failed', error: `${path}: ${e.message}` };
      return { kind: 'retry', error: `${path}: ${e.message}` };
    }
  };

  let status = 0;
  try {
    if (values.watch) {
      const { watchDirectory } = await import('../ingest/files/watch.js');
      await watchDirectory(resolve(values.watch), {
        complete, markerSuffix: values['marker-suffix'], pollMs, signal: controller.signal,
        log: (line) => process.stderr.write(`swaprep replay: ${line}\n`),
        handle: async (path) => {
          const r = await replayOne(path);
          if (r.kind === 'done') {
            out.summary(r.summary);
            if (r.summary.interrupted) return { kind: 'retry', error: 'interrupted' };
            return { kind: 'done', summary: r.summary, rejectsFile: r.summary.rejectsFile };
          }
          out.failure(path, r.error);
          if (r.kind === 'failed') return { kind: 'failed', summary: { file: path, error: r.error } };
          return { kind: 'retry', error: r.error };
        },
      });
      status = 0;
    } else {
      for (const { path, rel } of files) {
        if (controller.signal.aborted) break;
        const r = await replayOne(path, rel);
        if (r.kind === 'done') out.summary(r.summary);
        else {
          if (r.summary) out.summary(r.summary);
          out.failure(path, r.error);
          status = 1;
        }
      }
      if (controller.signal.aborted) status = 130;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool.close();
    await db?.end();
    await engine?.stop();
  }
  return status;
}

/** Files named, and the record files under directories named (sorted, recursively), with their paths below what was named. */
function expand(paths: string[], isRecordFile: (p: string) => boolean): { path: string; rel: string }[] {
  const out: { path: string; rel: string }[] = [];
  const walk = (root: string, dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        if (name !== 'done' && name !== 'failed' && !name.startsWith('.')) walk(root, p);
      } else if (isRecordFile(p)) out.push({ path: p, rel: relative(root, p) });
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new Error(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) walk(p, p);
    else out.push({ path: p, rel: basename(p) });
  }
  return out;
}

export function describeSummary(s: FileSummary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const parts = [
    `${n(s.records)} records`,
    `${n(s.accepted)} accepted${s.acceptedWithWarnings ? ` (${n(s.acceptedWithWarnings)} with warnings)` : ''}`,
    `${n(s.rejected)} rejected${s.rejectedByReader ? ` (${n(s.rejectedByReader)} unreadable)` : ''}`,
    `${n(s.duplicates)} duplicates`,
  ];
  const extra = [
    s.resumedAfter > 0 ? `resumed after record ${n(s.resumedAfter)}` : '',
    s.interrupted ? `INTERRUPTED${s.unconfirmed ? `, ${n(s.unconfirmed)} sent without result` : ''}` : '',
    s.rejectsFile ? `rejects: ${s.rejectsFile}` : '',
    ...s.warnings.map((w) => `warning: ${w}`),
  ].filter(Boolean);
  return `${s.file}: ${parts.join(', ')} in ${s.seconds.toFixed(1)} s (${n(Math.round(s.recordsPerSecond))} records/s)${extra.length ? '; ' + extra.join('; ') : ''}`;
}
