import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const HELP = `usage: swaprep loadtest --to tcp://HOST:PORT|grpc://HOST:PORT --rate N [options]

Drives an engine open loop: batches go out on a fixed schedule whether or not acks come back (so a slow
engine cannot hide its latency), from pre-encoded frames of the synthetic flow (the driver is not the
bottleneck). Ack latency of every event, from when its batch was due to the Ack covering it, goes into an
HDR histogram. Prints one JSON summary on stdout: sent, acked, errors, achieved rate, latency
p50/p90/p99/p99.9/max (ms), and the seconds of the run with acks later than 100 ms (when a tail happened).

options:
  --to URL              the engine's FEP endpoint (required)
  --rate N              target events per second over all connections (required)
  --duration D          sending window: 30s (default), 2m, 500ms, or seconds
  --connections C       FEP connections, each its own source (default 1)
  --batch B             events per Batch frame (default 100)
  --source ID --token T the source to send as; with C > 1 connections, ID-0 … ID-(C-1) with token T.
                        Without them, sources are created in the engine's database: --database-url URL
                        (or DATABASE_URL)
  --seed S              seed of the synthetic flow (default 1)
  --max-backlog N       stop when this many events are unacknowledged (default 5 x rate)
  --drain D             how long to wait for the last acks (default 10s)
`;

/** "30s", "2m", "500ms", "1h" or a number of seconds, to milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration (e.g. 30s, 2m, 500ms)`);
  const n = Number(m[1]);
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']);
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      to: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, connections: { type: 'string' }, batch: { type: 'string' },
      source: { type: 'string' }, token: { type: 'string' }, 'database-url': { type: 'string' }, seed: { type: 'string' },
      'max-backlog': { type: 'string' }, drain: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const usage = (msg: string) => {
    process.stderr.write(`swaprep loadtest: ${msg}\n\n${HELP}`);
    return 2;
  };
  const { parseTarget } = await import('../ingest/files/fep-link.js');
  let target, durationMs: number, drainMs: number;
  const int = (name: string, v: string | undefined, fallback: number | undefined, min = 1): number => {
    if (v === undefined) {
      if (fallback === undefined) throw new Error(`--${name} is required`);
      return fallback;
    }
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} ${v}: expected an integer >= ${min}`);
    return n;
  };
  let rate: number, connections: number, batch: number, seed: number, maxBacklog: number;
  try {
    if (!values.to) throw new Error('--to is required');
    target = parseTarget(values.to);
    rate = int('rate', values.rate, undefined);
    connections = int('connections', values.connections, 1);
    batch = int('batch', values.batch, 100);
    seed = int('seed', values.seed, 1, 0);
    maxBacklog = int('max-backlog', values['max-backlog'], rate * 5);
    durationMs = parseDuration(values.duration ?? '30s');
    drainMs = parseDuration(values.drain ?? '10s');
  } catch (err) {
    return usage((err as Error).message);
  }
  if ((values.source === undefined) !== (values.token === undefined)) return usage('--source and --token go together');

  let sourceId = values.source;
  let token = values.token;
  if (!sourceId || !token) {
    const url = values['database-url'] ?? process.env.DATABASE_URL;
    if (!url) return usage('give --source/--token of existing sources, or --database-url (DATABASE_URL) to create them');
    const { createPool } = await import('../store/database.js');
    const { newToken, upsertSource } = await import('../store/sources.js');
    sourceId = `loadtest-${randomBytes(4).toString('hex')}`;
    token = newToken();
    const db = createPool(url, 1);
    try {
      for (let i = 0; i < connections; i++) await upsertSource(db, connections === 1 ? sourceId : `${sourceId}-${i}`, token);
    } finally {
      await db.end();
    }
  }

  const { flowFrames } = await import('../../loadtest/flow-frames.js');
  const { runOpenLoop } = await import('../../loadtest/open-loop.js');
  const frames = flowFrames({ seed, batch });
  process.stderr.write(`swaprep loadtest: ${values.to}, ${rate} events/s for ${durationMs / 1000} s over ${connections} connection(s), batches of ${batch} (${frames.records} distinct records, ${frames.counterparties} reporting counterparties)\n`);
  const r = await runOpenLoop({
    transport: target.transport, host: target.host, port: target.port, sourceId, token, rate, durationMs, batch, connections, maxBacklog, drainMs, frame: frames.frame,
  });
  const summary = {
    to: values.to,
    sourceId: connections === 1 ? sourceId : `${sourceId}-{0..${connections - 1}}`,
    targetRate: r.targetRate,
    durationS: Number(r.durationS.toFixed(3)),
    connections,
    batch,
    sent: r.sent,
    acked: r.acked,
    errors: r.errors,
    ...(r.errorMessages.length > 0 ? { errorMessages: r.errorMessages } : {}),
    achievedRate: Math.round(r.achievedRate),
    sustained: r.sustained,
    gaveUp: r.gaveUp,
    latencyMs: Object.fromEntries(Object.entries(r.latencyMs).map(([k, v]) => [k, Number(v.toFixed(3))])),
    // When the tail happened: the seconds of the window (from its start) with acks later than 100 ms.
    slowSeconds: r.timeline.filter((t) => t.over100ms > 0).map((t) => ({ second: t.second, maxMs: t.maxMs, eventsOver100ms: t.over100ms })),
  };
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  return r.errors > 0 ? 1 : 0;
}
