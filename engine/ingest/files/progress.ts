/**
 * Replay progress on stderr: a bar redrawn in place on a terminal (records, rate, ETA), or one plain line
 * every few seconds when stderr is a file or pipe (logs must not fill with carriage returns).
 */
export interface ProgressState {
  file: string;
  bytesRead: number;
  totalBytes: number;
  records: number;
  startedAtMs: number;
}

export interface Progress {
  update(s: ProgressState): void;
  /** Clears the bar (before the summary is printed). */
  done(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, options: { intervalMs?: number; quiet?: boolean } = {}): Progress {
  if (options.quiet) return { update() {}, done() {} };
  const tty = stream.isTTY === true;
  const interval = options.intervalMs ?? (tty ? 200 : 10_000);
  // A plain line only after a full interval (short files print none); the bar as soon as there is something to show.
  let last = tty ? 0 : Date.now();
  let drawn = false;
  return {
    update(s) {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      const line = progressLine(s, now);
      if (tty) {
        const width = Math.max(20, (stream.columns ?? 100) - 1);
        stream.write(`\r${line.slice(0, width).padEnd(width)}`);
        drawn = true;
      } else {
        stream.write(`${line}\n`);
      }
    },
    done() {
      if (drawn) stream.write(`\r${' '.repeat(Math.max(20, (stream.columns ?? 100) - 1))}\r`);
      drawn = false;
      if (tty) last = 0;
    },
  };
}

export function progressLine(s: ProgressState, nowMs = Date.now()): string {
  const elapsed = Math.max(0.001, (nowMs - s.startedAtMs) / 1000);
  const rate = s.records / elapsed;
  const fraction = s.totalBytes > 0 ? Math.min(1, s.bytesRead / s.totalBytes) : 1;
  const bar = '#'.repeat(Math.round(fraction * 20)).padEnd(20, '-');
  // ETA from bytes, not records: the record count of a file is known only once it has been read.
  const byteRate = s.bytesRead / elapsed;
  const eta = byteRate > 0 ? (s.totalBytes - s.bytesRead) / byteRate : Infinity;
  return `[${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${s.records.toLocaleString('en-US')} records ${Math.round(rate).toLocaleString('en-US')}/s ETA ${formatSeconds(eta)} ${s.file}`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
