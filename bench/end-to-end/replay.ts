/**
 * `swaprep replay` of an N-line JSONL file of the seeded flow (goal with 1,000,000 lines: at least 50,000
 * lines/s, RSS below 500 MB): the command as a user runs it, in-process engine (rules and scoring on, the
 * bootstrap model installed up front) on a fresh database. The file is generated once and kept in the
 * temporary directory for later runs (same seed and count, same file).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { projectRoot } from '../../engine/project-root.js';
import type { FileSummary } from '../../engine/ingest/files/replay-file.js';
import { writeFlowFile } from '../../loadtest/flow-files.js';
import type { ModelVersion } from '../../gpu-pool/registry.js';
import { sampleProcess } from '../support/process-stats.js';
import { installModel, scoreCounts } from '../support/scoring-model.js';
import { round } from '../support/results.js';

const SEED = 21;

export interface ReplayResult {
  lines: number;
  file: string;
  accepted: number;
  rejected: number;
  /** Lines per second as replay reports it (reading, decoding, sending and acknowledgement of the file). */
  linesPerSecond: number;
  replaySeconds: number;
  /** The whole command: engine start, migrations, the file, and the engine's shutdown. */
  wallSeconds: number;
  peakRssMiB: number | null;
  cpuCores: number | null;
  /** Events the scoring flagged for review (the model's alert rate is 0.5%; the flow plants about 1% anomalies). */
  flagged: number;
  goal: string;
}

/** The flow file for `lines` lines: BENCH_REPLAY_FILE, or one generated in the temporary directory. */
export async function replayFile(lines: number, given: string | undefined, say: (m: string) => void): Promise<string> {
  const path = given ?? join(tmpdir(), `swaprep-bench-flow-s${SEED}-${lines}.jsonl`);
  if (existsSync(path)) return path;
  say(`replay: generating ${lines} lines of the seeded flow into ${path}`);
  const t = Date.now();
  const partial = `${path}.partial`;
  const r = await writeFlowFile(partial, lines, { seed: SEED }, 'jsonl');
  renameSync(partial, path);
  renameSync(r.labelsFile, `${path}.labels.jsonl`);
  say(`replay: ${r.records} lines (${r.invalid} invalid, ${r.anomalies} anomalies) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return path;
}

/** On the fresh database at `url`. */
export async function replayRun(path: string, url: string, model: ModelVersion, say: (m: string) => void): Promise<ReplayResult> {
  await installModel(url, model);
  const cli = join(projectRoot(), 'dist', 'engine', 'cli', 'main.js');
  const rejectsDir = mkdtempSync(join(tmpdir(), 'swaprep-bench-rejects-'));
  say(`replay: swaprep replay ${path}`);
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'replay', path, '--json', '--quiet', '--database-url', url, '--rejects-dir', rejectsDir], {
    env: { ...process.env, SWAPREP_SCORING: 'on', SWAPREP_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const sampler = sampleProcess(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stats = sampler.stop();
  const wallSeconds = (performance.now() - started) / 1000;
  rmSync(rejectsDir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`swaprep replay exited with ${code}:\n${stderr.slice(-2000)}`);
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as FileSummary;
  const result: ReplayResult = {
    lines: summary.records,
    file: path,
    accepted: summary.accepted,
    rejected: summary.rejected,
    linesPerSecond: Math.round(summary.recordsPerSecond),
    replaySeconds: round(summary.seconds, 1),
    wallSeconds: round(wallSeconds, 1),
    peakRssMiB: stats?.peakRssMiB ?? null,
    cpuCores: stats ? round(stats.cpuSeconds / wallSeconds, 2) : null,
    flagged: await flaggedCount(url),
    goal: 'at least 50,000 lines/s and RSS below 500 MB for 1,000,000 lines',
  };
  say(`replay: ${result.lines} lines, ${result.linesPerSecond} lines/s (${result.replaySeconds} s; ${result.wallSeconds} s with engine start and stop), peak RSS ${result.peakRssMiB ?? '?'} MiB, ${result.flagged} flagged`);
  return result;
}

async function flaggedCount(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await scoreCounts(c)).flagged;
  } finally {
    await c.end();
  }
}
