/**
 * The scoring thread: runs ScoringCore (features, batching, the worker pool, database writes, sweeps,
 * activations, training jobs) off the engine's main thread. It receives packed events and requests from
 * ScoringService and answers with progress (events written, stats) and replies.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { unpackEvents } from './event-pack.js';
import { ScoringCore, type ScoringServiceOptions } from './scoring-core.js';
import type { FlaggedEvent, FromService, ToService } from './scoring-protocol.js';
import { runAsBackgroundThread } from '../engine/thread-priority.js';

runAsBackgroundThread('scoring thread');

const port = parentPort!;
const send = (m: ToService) => port.postMessage(m);

let core: ScoringCore;
try {
  core = await ScoringCore.start(workerData as ScoringServiceOptions);
} catch (err) {
  send({ type: 'startFailed', error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

let received = 0;
let reported = -1;
const progress = () => {
  const written = core.written;
  if (written === reported) return;
  reported = written;
  send({ type: 'progress', received, written, stats: { ...core.stats(), activeVersion: core.activeVersion } });
};
core.onWritten((results) => {
  const flagged: FlaggedEvent[] = [];
  for (const r of results) {
    if (r.flagged && r.top) flagged.push({ sourceId: r.sourceId, seq: r.seq, tradeKey: r.tradeKey, versionId: r.versionId!, score: r.score!, topFeatures: r.top });
  }
  if (flagged.length > 0) send({ type: 'flagged', events: flagged });
  progress();
});
core.onActivated(() => send({ type: 'progress', received, written: core.written, stats: { ...core.stats(), activeVersion: core.activeVersion } }));
// Stats stay fresh even when nothing is written (provider, in-flight batches).
const ticker = setInterval(() => send({ type: 'progress', received, written: core.written, stats: { ...core.stats(), activeVersion: core.activeVersion } }), 1000);
ticker.unref();

async function reply(id: number, work: () => Promise<void>): Promise<void> {
  try {
    await work();
    send({ type: 'reply', id });
  } catch (err) {
    send({ type: 'reply', id, error: err instanceof Error ? err.message : String(err) });
  }
}

port.on('message', (m: FromService) => {
  switch (m.type) {
    case 'events': {
      const events = unpackEvents(m.buffer);
      received += events.length;
      core.submit(events, new Map(m.sourceIds.map((s, i) => [s, m.watermarks[i]!])));
      return;
    }
    case 'activate':
      void reply(m.id, () => core.activate(m.versionId));
      return;
    case 'flush':
      void reply(m.id, () => core.flush());
      return;
    case 'stop':
      void reply(m.id, async () => {
        clearInterval(ticker);
        await core.stop();
        progress();
      }).then(() => port.close());
      return;
  }
});

send({ type: 'ready', stats: core.stats(), activeVersion: core.activeVersion });
