/**
 * The trade projector's own thread (started by projector-on-thread.ts): its decoding and query building never
 * hold up the engine's main thread, where acknowledgements wait for the event loop. It has its own connections.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createPool } from '../../engine/store/database.js';
import { TradeProjector } from './projector.js';
import type { FromProjectorThread, ProjectorThreadData, ToProjectorThread } from './projector-on-thread.js';
import { runAsBackgroundThread } from '../../engine/thread-priority.js';

runAsBackgroundThread('trade projector');

const port = parentPort!;
const send = (m: FromProjectorThread) => port.postMessage(m);
const { databaseUrl, options } = workerData as ProjectorThreadData;
// Short statements (one pass of the projection): a hung connection fails its pass, which is tried again.
const pool = createPool(databaseUrl, 2, 'short');

const projector = new TradeProjector(pool, options);
projector.onPass = (events, lag) => send({ type: 'pass', events, lag });
projector.start();

port.on('message', (m: ToProjectorThread) => {
  if (m.type !== 'stop') return;
  void (async () => {
    await projector.stop();
    await pool.end();
    port.close();
  })();
});
