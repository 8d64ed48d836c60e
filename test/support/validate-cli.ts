/**
 * Runs `swaprep validate` in-process (engine/cli/validate.ts `run`), capturing stdout and stderr, so tests
 * need no build. stdin is given as text when the arguments include "-".
 */
import { Readable } from 'node:stream';
import { run } from '../../engine/cli/validate.js';
import type { Finding } from '../../engine/rules/index.js';

export interface ValidateLine {
  file: string;
  index: number;
  uti: string | null;
  actionType: string | null;
  status: 'accepted' | 'rejected';
  findings: Finding[];
}

export interface ValidateRun {
  code: number;
  lines: ValidateLine[];
  stdout: string;
  stderr: string;
}

export async function runValidate(argv: string[], stdin?: string): Promise<ValidateRun> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  const input = Object.getOwnPropertyDescriptor(process, 'stdin');
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  if (stdin !== undefined) Object.defineProperty(process, 'stdin', { value: Readable.from([stdin]), configurable: true });
  try {
    const code = await run(argv);
    const text = out.join('');
    // Result lines are JSON objects; --help prints text.
    const lines = text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ValidateLine);
    return { code, lines, stdout: text, stderr: err.join('') };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    if (input) Object.defineProperty(process, 'stdin', input);
  }
}
