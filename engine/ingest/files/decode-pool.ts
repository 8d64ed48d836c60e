/**
 * Decoding (JSON parse, schema check, protobuf encode) costs far more than reading and sending, so the
 * replay spreads it over worker threads: the reading thread cuts the file into tasks (file-tasks.ts), the
 * workers return encoded SwapReports, and the caller consumes the results in submission order. With
 * `workers = 0` (or when the compiled worker script is missing, as under the TypeScript test runner
 * without a build) tasks are decoded in the calling thread by the same code.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { encodeTask, type DecodeTask, type EncodedChunk } from './decode.js';
import { projectRoot } from '../../project-root.js';
import { WORKER_RESOURCE_LIMITS } from '../../worker-script.js';

export interface DecodePool {
  /** Number of worker threads (0: decoding in this thread). */
  readonly size: number;
  decode(task: DecodeTask): Promise<EncodedChunk>;
  close(): Promise<void>;
}

type Reply = { id: number; result: EncodedChunk } | { id: number; error: string };

/** The compiled worker beside this module (dist), else the one in dist/ when running from sources. */
function workerScript(): string | undefined {
  const here = fileURLToPath(new URL('./decode-worker.js', import.meta.url));
  if (existsSync(here)) return here;
  const built = join(projectRoot(), 'dist', 'engine', 'ingest', 'files', 'decode-worker.js');
  return existsSync(built) ? built : undefined;
}

export function createDecodePool(workers: number): DecodePool {
  const script = workers > 0 ? workerScript() : undefined;
  if (!script) {
    return { size: 0, decode: async (task) => encodeTask(task), close: async () => {} };
  }
  interface Slot {
    worker: Worker;
    pending: Map<number, { resolve: (r: EncodedChunk) => void; reject: (e: Error) => void }>;
  }
  let nextId = 0;
  let failure: Error | undefined;
  const slots: Slot[] = Array.from({ length: workers }, () => {
    const slot: Slot = { worker: new Worker(script, { resourceLimits: WORKER_RESOURCE_LIMITS }), pending: new Map() };
    slot.worker.on('message', (m: Reply) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(`decode worker: ${m.error}`));
      else p.resolve(m.result);
    });
    const fail = (err: Error) => {
      failure ??= err;
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => fail(new Error(`decode worker exited with code ${code}`)));
    return slot;
  });
  return {
    size: workers,
    decode(task) {
      if (failure) return Promise.reject(failure);
      // The least busy worker: tasks differ in size, so strict round robin would queue behind a slow one.
      let slot = slots[0]!;
      for (const s of slots) if (s.pending.size < slot.pending.size) slot = s;
      const id = nextId++;
      return new Promise<EncodedChunk>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.postMessage({ id, task }, task.kind === 'jsonl' ? [task.bytes.buffer] : []);
      });
    },
    async close() {
      failure ??= new Error('decode pool closed');
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

/**
 * Decodes a stream of tasks on the pool, keeping at most `depth` in flight, and yields the results in file
 * order (the read-ahead that keeps the workers busy while the caller waits for the engine).
 */
export async function* decodeInOrder(tasks: AsyncIterable<DecodeTask>, pool: DecodePool, depth = Math.max(2, pool.size * 2)): AsyncGenerator<EncodedChunk> {
  const queue: Promise<EncodedChunk>[] = [];
  try {
    for await (const task of tasks) {
      queue.push(pool.decode(task));
      // Avoid unhandled rejections while the result waits its turn.
      queue[queue.length - 1]!.catch(() => {});
      if (queue.length >= depth) yield await queue.shift()!;
    }
    while (queue.length > 0) yield await queue.shift()!;
  } finally {
    queue.length = 0;
  }
}
