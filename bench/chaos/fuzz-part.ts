/**
 * The fuzz part of the failure suite end to end: an engine child on its own database, warmed up, then `frames`
 * fuzzed frames over TCP and as many over gRPC (fuzz-run.ts), a little non-HTTP/2 garbage at the gRPC port, with the
 * engine's memory sampled throughout and its exits counted (an engine that dies is started again so the count goes
 * on). At the end the engine must still welcome a good client, and its own count of protocol errors is read from
 * /metrics beside the client's.
 */
import { startChildEngine, type ChildEngine } from '../../loadtest/engine-process.js';
import { stopChild, track } from './children.js';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { FlowGenerator } from '../../loadtest/generator.js';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { EngineWatch, rssMiB, type RssFigures } from './engine-watch.js';
import { grpcPortGarbage, runFuzz, type FuzzSource, type FuzzTally } from './fuzz-run.js';
import { sleep } from './streaming.js';

export interface FuzzPartOptions {
  databaseUrl: string;
  seed: number;
  /** Frames per transport. */
  framesPerTransport: number;
  afterHelloShare: number;
  concurrency: number;
  answerTimeoutMs: number;
  env?: Record<string, string>;
  log?: (m: string) => void;
}

export interface FuzzPartResult {
  frames: number;
  tcp: FuzzTally;
  grpc: FuzzTally;
  grpcGarbage: { connections: number; closedByEngine: number };
  crashes: number;
  rss: RssFigures;
  /** The engine's swaprep_protocol_errors_total at the end, by code. */
  engineProtocolErrors: Record<string, number>;
  /** A good client still gets Welcome after it all. */
  welcomesAfter: boolean;
  /** SIGTERM stopped it with exit 0 within 10 s (it drains what it admitted first). */
  stoppedGracefully: boolean;
  seconds: number;
}

const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export async function runFuzzPart(o: FuzzPartOptions): Promise<FuzzPartResult> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  // Post-Hello lanes, one source each (a second connection of a source would supersede the first): TCP's and gRPC's apart.
  const sources: FuzzSource[] = Array.from({ length: 8 }, (_, i) => ({ sourceId: `fuzz${i + 1}`, token: `fuzz-token-${i + 1}` }));
  const grpcSources: FuzzSource[] = Array.from({ length: 8 }, (_, i) => ({ sourceId: `fuzzg${i + 1}`, token: `fuzzg-token-${i + 1}` }));
  const good = { sourceId: 'fuzzgood', token: 'fuzz-good-token' };
  const preHelloSource = { sourceId: 'fuzzpre', token: 'fuzz-pre-token' };
  const env = {
    DATABASE_URL: o.databaseUrl, SWAPREP_SOURCES: [...sources, ...grpcSources, good, preHelloSource].map((s) => `${s.sourceId}=${s.token}`).join(','),
    SWAPREP_SCORING: 'off', SWAPREP_SUBMISSION: 'off', SWAPREP_CONSOLE: 'off', SWAPREP_MAX_FRAME_BYTES: String(MAX_FRAME_BYTES),
    // Every fuzzed frame comes from 127.0.0.1 on a connection (or stream) of its own: the per-address caps are raised
    // above the fuzzer's concurrency so that they do not answer in place of the frame checks.
    SWAPREP_MAX_CONNECTIONS_PER_ADDRESS: '1024', SWAPREP_MAX_CONNECTIONS: '4096', SWAPREP_GRPC_MAX_STREAMS: '256',
    // Garbage that stops inside an HTTP/2 frame is cut at the Hello deadline: a short one, so the run need not wait.
    SWAPREP_HELLO_TIMEOUT_MS: '3000',
    // One warning line per refused frame would be a million lines: errors only.
    SWAPREP_LOG_LEVEL: 'error',
    ...o.env,
  };
  const flow = new FlowGenerator({ seed: o.seed, anomalyRate: 0, invalidRate: 0 });
  const reports = Array.from({ length: 200 }, () => SwapReport.encode(flow.next().report).finish());

  let engine: ChildEngine = track(await startChildEngine(env));
  let watch = new EngineWatch(engine);
  let crashes = 0;
  const alive = async () => {
    if (!watch.crashed) return;
    crashes++;
    log(`the engine died (exit ${watch.exitCode}): starting it again`);
    watch.stop();
    engine = track(await startChildEngine(env));
    watch = new EngineWatch(engine);
  };
  try {
    // Warm-up: a few thousand frames, so that the start figure is the engine's working size, not its empty one.
    await runFuzz({ transport: 'tcp', port: engine.tcpPort, frames: 2_000, seed: o.seed + 1000, reports, sources, preHelloSource, afterHelloShare: o.afterHelloShare, concurrency: o.concurrency, maxFrameBytes: MAX_FRAME_BYTES, answerTimeoutMs: o.answerTimeoutMs });
    await sleep(500);
    const startMiB = rssMiB(engine.process.pid!) ?? 0;
    const common = { frames: o.framesPerTransport, seed: o.seed, reports, sources, preHelloSource, afterHelloShare: o.afterHelloShare, maxFrameBytes: MAX_FRAME_BYTES, answerTimeoutMs: o.answerTimeoutMs };
    const progress = (t: string) => (n: number) => {
      if (n % 10_000 === 0) log(`fuzz ${t}: ${n} frames, engine RSS ${rssMiB(engine.process.pid!)} MiB`);
    };
    // Both transports at once: the engine serves them side by side, and the run takes half the time.
    const [tcp, grpc] = await Promise.all([
      runFuzz({ ...common, transport: 'tcp', port: engine.tcpPort, concurrency: o.concurrency, stop: () => watch.crashed, onProgress: progress('tcp') }),
      runFuzz({ ...common, transport: 'grpc', port: engine.grpcPort, concurrency: o.concurrency, sources: grpcSources, stop: () => watch.crashed, onProgress: progress('grpc') }),
    ]);
    log(`fuzz tcp: ${tcp.frames} frames in ${tcp.seconds} s, ${tcp.violations} violations, ${tcp.accepted} taken as valid`);
    log(`fuzz grpc: ${grpc.frames} frames in ${grpc.seconds} s, ${grpc.violations} violations, ${grpc.accepted} taken as valid`);
    await alive();
    const grpcGarbage = await grpcPortGarbage(engine.grpcPort, Math.max(10, Math.round(o.framesPerTransport / 1000)), o.seed);
    await alive();
    await sleep(2_000);
    const rss = watch.figures(startMiB);
    const welcomesAfter = await welcomes(engine.tcpPort, good);
    const engineProtocolErrors = await protocolErrors(engine.httpPort);
    watch.expectExit();
    const crashed = crashes + (watch.crashed ? 1 : 0);
    const stop = await stopChild(engine, 10_000);
    return {
      frames: tcp.frames + grpc.frames, tcp, grpc, grpcGarbage, crashes: crashed, rss, engineProtocolErrors, welcomesAfter,
      stoppedGracefully: !stop.killed && stop.exitCode === 0, seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    watch.expectExit();
    watch.stop();
    await stopChild(engine, 10_000);
  }
}

/** Whether a good client gets Welcome within 10 s (an engine whose commits are stuck never sends it). */
async function welcomes(port: number, source: FuzzSource): Promise<boolean> {
  let c: FepTcpClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    c = await FepTcpClient.connect(port);
    const client = c;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no Welcome within 10 s')), 10_000)));
    await Promise.race([client.hello(source.sourceId, source.token), late]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    c?.socket.destroy();
  }
}

/** swaprep_protocol_errors_total by code from the engine's /metrics (empty when it cannot be read). */
async function protocolErrors(httpPort: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    for (const m of text.matchAll(/^swaprep_protocol_errors_total\{code="([^"]+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  } catch {
    // Left empty: the figure is a cross-check, not the verdict.
  }
  return out;
}
