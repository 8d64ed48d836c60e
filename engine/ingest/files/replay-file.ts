/**
 * Replays one file through an FEP connection, exactly as a front-end processor would send it: the file is
 * a source of its own, record n (counting the records the reader could decode, in file order) is seq n,
 * and the engine's Welcome.last_acked_seq says where to resume, so a second replay of the same file
 * stores nothing and an interrupted one sends only the rest.
 *
 * Why seq = record ordinal and not the line number: the FEP requires seqs without gaps (a gap is a
 * protocol error), and lines that hold no record (a CSV header, blank lines, a JSON element's inner lines,
 * lines the reader rejects) would leave gaps. The ordinal is as stable as the line number (the same file
 * always decodes to the same records), and every record keeps its line for summaries and the rejects file.
 *
 * Memory does not grow with the file: at most `maxUnacked` events are sent and not yet acknowledged (the
 * replay waits for acks beyond that), the decode read-ahead is a few tasks, and the rejects file is written
 * as it goes.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { EventStatus, Severity, type Result } from '../../../proto/gen/fep.js';
import { encodeBatch } from '../../../loadtest/fep-client.js';
import { decodeInOrder, type DecodePool } from './decode-pool.js';
import { fileTasks } from './file-tasks.js';
import { formatOf } from './format.js';
import type { FepLink, FepLinkEvents } from './fep-link.js';
import type { Progress } from './progress.js';
import { RejectsFile } from './rejects-file.js';
import { FILE_RULES, type ReaderLimits } from './types.js';

export interface ReplayFileOptions {
  path: string;
  /** Opens the connection (one per file: Hello binds a connection to one source). */
  connect: (events: FepLinkEvents) => Promise<FepLink>;
  sourceId: string;
  token: string;
  pool: DecodePool;
  /** Records per second at most (default: as fast as the engine acknowledges). */
  rate?: number;
  /** Events sent and not yet acknowledged before the replay waits (default 20,000). */
  maxUnacked?: number;
  /** Events per Batch frame (default 500) and bytes per frame (default 1 MiB, under the engine's 4 MiB limit). */
  batchRecords?: number;
  maxBatchBytes?: number;
  progress?: Progress;
  /** Default: the input path + ".rejects.csv". */
  rejectsPath?: string;
  limits?: ReaderLimits;
  /** Aborting stops sending; what was sent is still awaited (briefly) and summarised. */
  signal?: AbortSignal;
}

/**
 * What happened to a file's records. When the replay completes:
 * records = accepted + rejected + duplicates (+ unconfirmed, non-zero only if interrupted).
 */
export interface FileSummary {
  file: string;
  sourceId: string;
  /** Records in the file: decoded ones plus the reader's rejections. */
  records: number;
  /** Accepted by the engine in this run (including those with warnings). */
  accepted: number;
  acceptedWithWarnings: number;
  /** Rejected by the engine in this run plus rejected by the reader (bad lines). */
  rejected: number;
  rejectedByReader: number;
  /** Already acknowledged by the engine before this run (not sent again). */
  duplicates: number;
  /** Welcome.last_acked_seq at the start: 0 for a first replay. */
  resumedAfter: number;
  /** Sent but without a result when the replay ended (only when interrupted or cut off). */
  unconfirmed: number;
  interrupted: boolean;
  seconds: number;
  /** Records handled per second by this run (sent, skipped as duplicates or rejected by the reader). */
  recordsPerSecond: number;
  rejectsFile: string | null;
  warnings: string[];
}

/** The engine's frame limit is 4 MiB by default; a record that alone exceeds this cannot be sent. */
const MAX_RECORD_BYTES = 4 * 1024 * 1024 - 64 * 1024;
/**
 * The ack window. Each event in it is held by the engine (frame, actor, group commit, scoring queue) until it is
 * durable: in alternating 1,000,000-line replays, 10,000 kept the speed of 20,000 (median about 14,700 lines/s)
 * with 30 to 40 MiB less peak RSS, and 5,000 saved nothing more.
 */
export const DEFAULT_MAX_UNACKED = 10_000;

export class ReplayError extends Error {
  constructor(readonly file: string, message: string, readonly summary: FileSummary) {
    super(`${file}: ${message}`);
    this.name = 'ReplayError';
  }
}

export async function replayFile(o: ReplayFileOptions): Promise<FileSummary> {
  const format = formatOf(o.path);
  const totalBytes = statSync(o.path).size;
  const maxUnacked = o.maxUnacked ?? DEFAULT_MAX_UNACKED;
  const batchRecords = Math.max(1, Math.min(o.batchRecords ?? 500, o.rate ? Math.ceil(o.rate / 20) : Infinity));
  const maxBatchBytes = o.maxBatchBytes ?? 1024 * 1024;
  const startedAtMs = Date.now();
  const s: FileSummary = {
    file: o.path, sourceId: o.sourceId, records: 0, accepted: 0, acceptedWithWarnings: 0, rejected: 0, rejectedByReader: 0, duplicates: 0,
    resumedAfter: 0, unconfirmed: 0, interrupted: false, seconds: 0, recordsPerSecond: 0, rejectsFile: null, warnings: [],
  };

  // Sent events waiting for their Result: seq -> line (bounded by the ack window).
  const lineOfSeq = new Map<number, number>();
  let rejects: RejectsFile | undefined;
  let allConfirmed: (() => void) | undefined;
  let finished = false;
  const onResult = (r: Result) => {
    if (finished) return; // a late result after an interrupted replay gave up waiting
    const line = lineOfSeq.get(r.seq);
    if (line === undefined) return;
    lineOfSeq.delete(r.seq);
    if (r.status === EventStatus.EVENT_STATUS_REJECTED) {
      s.rejected++;
      for (const f of r.findings) {
        rejects?.write({ line, seq: r.seq, rule: f.rule, element: f.element, severity: f.severity === Severity.SEVERITY_WARNING ? 'warning' : 'error', path: f.path, message: f.message });
      }
      if (r.findings.length === 0) rejects?.write({ line, seq: r.seq, rule: '', severity: 'error', path: '', message: 'rejected by the engine (no finding given)' });
    } else {
      s.accepted++;
      if (r.status === EventStatus.EVENT_STATUS_ACCEPTED_WITH_WARNINGS) s.acceptedWithWarnings++;
    }
    if (lineOfSeq.size === 0) allConfirmed?.();
  };

  const link = await o.connect({ onResult });
  const finish = async (): Promise<FileSummary> => {
    if (!finished) s.rejected += s.rejectedByReader;
    finished = true;
    await rejects?.close();
    s.unconfirmed = lineOfSeq.size;
    s.seconds = (Date.now() - startedAtMs) / 1000;
    s.recordsPerSecond = s.records / Math.max(s.seconds, 0.001);
    s.rejectsFile = rejects && rejects.rowCount > 0 ? rejects.path : null;
    return s;
  };
  const fail = async (message: string): Promise<never> => {
    const summary = await finish().catch(() => s);
    throw new ReplayError(o.path, message, summary);
  };
  let ended = false;
  void link.ended.then(() => (ended = true));

  try {
    const welcome = await link.hello(o.sourceId, o.token, true).catch((err: Error) => fail(`the engine refused source ${o.sourceId}: ${link.errorText() ?? err.message}`));
    s.resumedAfter = welcome;
    rejects = await RejectsFile.open(o.rejectsPath ?? `${o.path}.rejects.csv`, welcome);

    let seq = 0;
    let sent = 0;
    const sendStartMs = Date.now();
    let parts: Uint8Array[] = [];
    let partLines: number[] = [];
    let partBytes = 0;
    let bytesRead = 0;

    const flush = async () => {
      if (parts.length === 0) return;
      const first = seq - parts.length + 1;
      const last = seq;
      if (o.rate) {
        const due = sendStartMs + ((sent + parts.length) / o.rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      // Ack window: memory and the engine's admission stay bounded however large the file.
      while (last - link.lastAck > maxUnacked) {
        await link.waitForAck(last - maxUnacked).catch(() => fail(`connection lost: ${link.errorText() ?? 'closed by the engine'}`));
      }
      const frame = encodeBatch(first, parts);
      for (let i = 0; i < partLines.length; i++) lineOfSeq.set(first + i, partLines[i]!);
      sent += parts.length;
      parts = [];
      partLines = [];
      partBytes = 0;
      if (!link.send(frame)) await link.drained();
      if (ended) await fail(`connection lost: ${link.errorText() ?? 'closed by the engine'}`);
    };

    const tasks = fileTasks(o.path, format, { limits: o.limits, onBytes: (n) => (bytesRead = n) });
    for await (const chunk of decodeInOrder(tasks, o.pool)) {
      for (const r of chunk.rejects) {
        s.records++;
        s.rejectedByReader++;
        for (const i of r.issues) rejects.write({ line: r.line, rule: i.rule, severity: 'error', path: i.path, message: i.message });
      }
      let start = 0;
      for (let i = 0; i < chunk.ends.length; i++) {
        const end = chunk.ends[i]!;
        const line = chunk.lines[i]!;
        s.records++;
        if (end - start > MAX_RECORD_BYTES) {
          s.rejectedByReader++;
          rejects.write({ line, rule: FILE_RULES.size, severity: 'error', path: '', message: `record of ${end - start} bytes (encoded) exceeds the ${MAX_RECORD_BYTES}-byte frame budget` });
          start = end;
          continue;
        }
        seq++;
        if (seq <= welcome) {
          s.duplicates++;
          start = end;
          continue;
        }
        if (partBytes + (end - start) > maxBatchBytes) await flush();
        parts.push(chunk.bytes.subarray(start, end));
        partLines.push(line);
        partBytes += end - start;
        start = end;
        if (parts.length >= batchRecords) await flush();
      }
      o.progress?.update({ file: basename(o.path), bytesRead, totalBytes, records: s.records, startedAtMs });
      await rejects.ready();
      if (o.signal?.aborted) {
        s.interrupted = true;
        break;
      }
    }
    if (!s.interrupted) await flush();
    if (welcome > seq) s.warnings.push(`the engine had acknowledged ${welcome} records of source ${o.sourceId} but the file has ${seq}: is this the file that was replayed before?`);

    // Every sent event gets a Result after its Ack; the summary counts them all.
    if (lineOfSeq.size > 0) {
      const confirmed = new Promise<void>((resolve) => (allConfirmed = resolve));
      const timeout = s.interrupted ? new Promise<void>((r) => setTimeout(r, 10_000).unref()) : new Promise<void>(() => {});
      await Promise.race([confirmed, timeout, link.ended.then(() => (lineOfSeq.size > 0 ? fail(`connection lost with ${lineOfSeq.size} results outstanding: ${link.errorText() ?? 'closed by the engine'}`) : undefined))]);
    }
    o.progress?.done();
    return await finish();
  } finally {
    o.progress?.done();
    await link.close().catch(() => {});
  }
}
