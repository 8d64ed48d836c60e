/** A decode worker (see decode-pool.ts): decodes tasks and sends back encoded records, buffers transferred. */
import { parentPort } from 'node:worker_threads';
import { encodeTask, type DecodeTask } from './decode.js';

if (!parentPort) throw new Error('decode-worker.js runs as a worker thread only');
const port = parentPort;
port.on('message', (msg: { id: number; task: DecodeTask }) => {
  try {
    const r = encodeTask(msg.task);
    port.postMessage({ id: msg.id, result: r }, [r.lines.buffer, r.ends.buffer, r.bytes.buffer]);
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
