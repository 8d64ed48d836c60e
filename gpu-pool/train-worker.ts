/**
 * A worker thread that runs one training job (the service's bootstrap and scheduled retraining), so that
 * seconds to minutes of JavaScript training never stall the engine's event loop. It posts log lines and then
 * the version's manifest and files (copied: a few hundred kilobytes, once).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTrainJob, type TrainJob } from './train-job.js';
import { runAsBackgroundThread } from '../engine/thread-priority.js';

runAsBackgroundThread('training');

export type TrainWorkerMessage =
  | { type: 'log'; message: string }
  | { type: 'done'; manifest: unknown; files: Record<string, Uint8Array> }
  | { type: 'failed'; error: string };

const port = parentPort!;
try {
  const { version } = await runTrainJob(workerData as TrainJob, (message) => port.postMessage({ type: 'log', message } satisfies TrainWorkerMessage));
  const done: TrainWorkerMessage = { type: 'done', manifest: version.manifest, files: version.files };
  port.postMessage(done);
} catch (err) {
  port.postMessage({ type: 'failed', error: err instanceof Error ? err.message : String(err) } satisfies TrainWorkerMessage);
}
