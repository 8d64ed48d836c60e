import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKGROUND_NICE, runAsBackgroundThread } from '../../engine/thread-priority.js';

/** The calling thread's nice value, field 19 of its stat line (after the command name, which may hold spaces). */
function niceOf(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}
const threadNice = () => niceOf('/proc/thread-self/stat');

// Vitest runs each file in a process of its own (forks), so lowering this thread's priority touches nothing else.
describe.skipIf(!existsSync('/proc/thread-self'))('background threads', () => {
  afterEach(() => {
    delete process.env.SWAPREP_BACKGROUND_NICE;
  });

  it('keeps the priority when SWAPREP_BACKGROUND_NICE=0, and lowers only the calling thread otherwise', () => {
    const before = threadNice();
    expect(before).toBeLessThan(BACKGROUND_NICE);
    process.env.SWAPREP_BACKGROUND_NICE = '0';
    runAsBackgroundThread('test');
    expect(threadNice()).toBe(before);

    delete process.env.SWAPREP_BACKGROUND_NICE;
    runAsBackgroundThread('test');
    expect(threadNice()).toBe(BACKGROUND_NICE);
    // Only this thread: the process's other threads (V8's, libuv's) keep their priority.
    const self = readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0];
    const others = readdirSync('/proc/self/task').filter((tid) => tid !== self).map((tid) => niceOf(`/proc/self/task/${tid}/stat`));
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((n) => n === before)).toBe(true);
  });
});
