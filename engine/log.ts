/**
 * One-line operational log on stderr (stdout stays free for command output such as `validate`'s JSONL).
 * Deliberately tiny: the engine logs little on the hot path, and an SRE reads these lines with grep.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const threshold = order[(process.env.SWAPREP_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? order.info;

export function log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (order[level] < threshold) return;
  const extra = fields ? ' ' + JSON.stringify(fields) : '';
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${message}${extra}\n`);
}
