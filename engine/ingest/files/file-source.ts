/**
 * The FEP source a file replays as. Each file is a source of its own, so its sequence (record 1, 2, …)
 * is independent of every other file and the engine's acknowledged watermark says how far that file got.
 *
 * The id must be stable for "the same file" and different for a different one:
 *   file-<name>-<10 hex of SHA-256(absolute path, size, first 64 KiB)>
 * Same path, length and beginning: a rerun or an interrupted replay finds its watermark (nothing is stored
 * twice, the rest resumes). A different file under a reused name (a new day's `trades.csv` dropped into a
 * watched directory) differs in size or beginning and gets a new source. An edit that keeps both (a byte
 * changed after the first 64 KiB) is not detected: give such a file a new name.
 */
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { basename, resolve } from 'node:path';

const HEAD_BYTES = 64 * 1024;

export function fileSourceId(path: string): string {
  const abs = resolve(path);
  const fd = openSync(abs, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    let got = 0;
    while (got < head.length) {
      const n = readSync(fd, head, got, head.length - got, got);
      if (n === 0) break;
      got += n;
    }
    const hash = createHash('sha256').update(abs).update('\0').update(String(size)).update('\0').update(head.subarray(0, got)).digest('hex').slice(0, 10);
    // Source ids are 1-64 of [A-Za-z0-9._-] (as `swaprep source add` enforces).
    const name = basename(abs).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64 - 'file-'.length - 11);
    return `file-${name}-${hash}`;
  } finally {
    closeSync(fd);
  }
}
