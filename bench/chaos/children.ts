/**
 * The engines and simulators a failure run started, so that a run stopped from outside (Ctrl-C, a timeout's SIGTERM)
 * does not leave them running: the signal handler kills each one.
 */
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();

export function track<T extends { process: ChildProcess }>(child: T): T {
  children.add(child.process);
  child.process.once('exit', () => children.delete(child.process));
  return child;
}

/** Kills every tracked child on SIGINT and SIGTERM, then exits with 128 + the signal's number. */
export function killChildrenOnSignal(): void {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      for (const c of children) c.kill('SIGKILL');
      process.exit(code);
    });
  }
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs` (an engine whose commits are stuck never drains). */
export async function stopChild(child: { process: ChildProcess; exited: Promise<number | null> }, graceMs = 30_000): Promise<{ exitCode: number | null; killed: boolean }> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return { exitCode: child.process.exitCode, killed: false };
  child.process.kill('SIGTERM');
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.process.kill('SIGKILL');
  }, graceMs);
  const exitCode = await child.exited;
  clearTimeout(timer);
  return { exitCode, killed };
}
