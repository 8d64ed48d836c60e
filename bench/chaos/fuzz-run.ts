/**
 * The fuzz half of the failure suite: mutated frames (loadtest/fuzz-frames.ts) sent to a running engine over raw TCP
 * and over gRPC, one connection (or stream) per frame, since the engine closes a connection after the Error frame
 * that answers a bad frame. Each connection ends with a probe frame no client may send (a Welcome), so that every
 * connection gets exactly one Error frame whatever the fuzzed frame did: an Error naming the probe means the fuzzed
 * frame was taken as valid (a mutated Hello that still authenticates, a batch whose flipped bit sat in a report's
 * text). Before Hello the mutated frame is mostly a Hello; after one (a connection that authenticated as a fuzz
 * source first) mostly a Batch at the source's next seq, so the seq and report checks are reached too.
 *
 * Counted: frames, connections, Error frames by code, frames taken as valid, and the violations: an Error frame
 * without a code, a connection closed with no Error for a frame the engine could read whole, no answer within the
 * timeout. The engine's crashes and its memory are watched by the caller (EngineWatch).
 */
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ErrorCode, FepFrame, FepService } from '../../proto/gen/fep.js';
import { LengthPrefixedReader, lengthPrefixed } from '../../engine/ingest/length-prefixed.js';
import { encodeHello } from '../../loadtest/fep-client.js';
import { FrameFuzzer, type FuzzCase, type FuzzContext, type FuzzKind } from '../../loadtest/fuzz-frames.js';
import { Random } from '../../loadtest/generator/random.js';

/** A Welcome frame with nothing in it: the probe, which the engine must refuse with UNEXPECTED_FRAME. */
const PROBE = new Uint8Array([(2 << 3) | 2, 0]);
const PROBE_MESSAGE = 'frame field 2 ';

export interface FuzzSource {
  sourceId: string;
  token: string;
}

export interface FuzzRunOptions {
  transport: 'tcp' | 'grpc';
  host?: string;
  port: number;
  frames: number;
  seed: number;
  reports: readonly Uint8Array[];
  /** Sources the post-Hello cases authenticate as; one connection each at a time (a second would supersede it). */
  sources: readonly FuzzSource[];
  /** The source whose id and token the pre-Hello Hellos are mutated from (not one of `sources`: a Hello that survives would supersede a lane). */
  preHelloSource: FuzzSource;
  /** Share of the frames sent after Hello (0..1). */
  afterHelloShare: number;
  /** Connections open at once for the pre-Hello cases. */
  concurrency: number;
  maxFrameBytes: number;
  /** A connection without an answer for this long is a violation (and is cut). */
  answerTimeoutMs: number;
  /** Stops early (the engine died) when it returns true. */
  stop?: () => boolean;
  onProgress?: (done: number) => void;
}

export type FuzzOutcome =
  | 'error' | 'accepted' | 'closed' | 'refused-by-limit'
  | 'silent-close' | 'no-answer' | 'error-without-code' | 'connect-failed' | 'hello-refused';

export interface FuzzViolation {
  /** The case number (-1: none was drawn, the connection failed before it). */
  n: number;
  kind: FuzzKind | 'none';
  afterHello: boolean;
  outcome: FuzzOutcome;
  /** The frame's first bytes in hex, to rebuild the case (with the seed and n). */
  head: string;
  /** The Error frame's message, when there was one. */
  message?: string;
}

export interface FuzzTally {
  transport: 'tcp' | 'grpc';
  seed: number;
  frames: number;
  connections: number;
  afterHello: number;
  /** Error frames that answered a fuzzed frame, by code name (the probe's are in `accepted`). */
  errorFrames: Record<string, number>;
  /** Fuzzed frames the engine took as valid (the probe got the Error). */
  accepted: number;
  /** Unanswerable frames (a length prefix announcing bytes that never came) that ended in a plain close, as they may. */
  closedUnanswerable: number;
  /** Connections a connection cap turned away before the frame was read (Error code UNSPECIFIED naming the setting). */
  refusedByLimit: number;
  /** Connections not accepted within the answer timeout (or refused): no frame was sent on them. */
  connectFailed: number;
  /** Post-Hello connections that got no Welcome (within the answer timeout, or refused): no frame was sent on them. */
  helloWithoutWelcome: number;
  violations: number;
  violationsByOutcome: Record<string, number>;
  /** The first violations, to reproduce. */
  firstViolations: FuzzViolation[];
  firstHelloWithoutWelcome: string[];
  /**
   * Post-Hello sources whose Hello got no Welcome three times running, with the last frame sent on them (whole, in hex):
   * the engine never made that source's earlier events durable. Their lanes stop, so fewer frames are sent.
   */
  wedgedSources: { sourceId: string; why: string; lastFrame: FuzzViolation | undefined }[];
  /** The first frames answered ERROR_CODE_INTERNAL (a code, but one that says the engine met something it did not expect). */
  firstInternalErrors: FuzzViolation[];
  byKind: Record<string, { frames: number; errors: number; accepted: number; violations: number }>;
  seconds: number;
  framesPerSecond: number;
}

class Tally {
  readonly t: FuzzTally;
  constructor(transport: 'tcp' | 'grpc', seed: number) {
    this.t = {
      transport, seed, frames: 0, connections: 0, afterHello: 0, errorFrames: {}, accepted: 0, closedUnanswerable: 0, refusedByLimit: 0, helloWithoutWelcome: 0, connectFailed: 0,
      violations: 0, violationsByOutcome: {}, firstViolations: [], firstInternalErrors: [], firstHelloWithoutWelcome: [], wedgedSources: [], byKind: {}, seconds: 0, framesPerSecond: 0,
    };
  }

  /** `c` undefined: the connection never got as far as a fuzzed frame (connect or Hello failed). */
  record(c: FuzzCase | undefined, outcome: FuzzOutcome, code: ErrorCode | undefined, message?: string): void {
    const t = this.t;
    if (c) t.frames++;
    if (c?.afterHello) t.afterHello++;
    const k = (t.byKind[c?.kind ?? 'none'] ??= { frames: 0, errors: 0, accepted: 0, violations: 0 });
    k.frames++;
    if (outcome === 'error') {
      const name = ErrorCode[code!] ?? String(code);
      t.errorFrames[name] = (t.errorFrames[name] ?? 0) + 1;
      k.errors++;
      if (code === ErrorCode.ERROR_CODE_INTERNAL && t.firstInternalErrors.length < 10) t.firstInternalErrors.push(describe(c, outcome, message));
    } else if (outcome === 'accepted') {
      t.accepted++;
      k.accepted++;
    } else if (outcome === 'closed') {
      t.closedUnanswerable++;
    } else if (outcome === 'refused-by-limit') {
      t.refusedByLimit++;
    } else if (outcome === 'connect-failed') {
      t.connectFailed++;
    } else if (outcome === 'hello-refused') {
      t.helloWithoutWelcome++;
      if (t.firstHelloWithoutWelcome.length < 5) t.firstHelloWithoutWelcome.push(message ?? '');
    } else {
      t.violations++;
      k.violations++;
      t.violationsByOutcome[outcome] = (t.violationsByOutcome[outcome] ?? 0) + 1;
      if (t.firstViolations.length < 20) {
        t.firstViolations.push(describe(c, outcome, message));
      }
    }
  }
}

function describe(c: FuzzCase | undefined, outcome: FuzzOutcome, message: string | undefined): FuzzViolation {
  const v: FuzzViolation = { n: c?.n ?? -1, kind: c?.kind ?? 'none', afterHello: c?.afterHello ?? true, outcome, head: c ? Buffer.from(c.body.subarray(0, 64)).toString('hex') : '' };
  if (message !== undefined) v.message = message.slice(0, 300);
  return v;
}

/** What one connection ended with: the first Error frame it got (code and message), or none, and whether it timed out. */
interface Ending {
  error: { code: ErrorCode; message: string } | undefined;
  timedOut: boolean;
}

interface Classified {
  outcome: FuzzOutcome;
  code?: ErrorCode;
  message?: string;
}

function classify(c: FuzzCase, end: Ending): Classified {
  if (end.error) {
    // The connection caps answer with UNSPECIFIED and a message naming their setting (engine/ingest/connection-limits.ts).
    const message = end.error.message;
    if (end.error.code === ErrorCode.ERROR_CODE_UNSPECIFIED) return { outcome: /SWAPREP_[A-Z_]+/.test(message) ? 'refused-by-limit' : 'error-without-code', message };
    if (end.error.code === ErrorCode.ERROR_CODE_UNEXPECTED_FRAME && message.startsWith(PROBE_MESSAGE)) return { outcome: 'accepted' };
    return { outcome: 'error', code: end.error.code, message };
  }
  if (end.timedOut) return { outcome: 'no-answer' };
  return { outcome: c.answerable ? 'silent-close' : 'closed' };
}

/** Sends `frames` fuzzed frames and counts what came back. */
export async function runFuzz(o: FuzzRunOptions): Promise<FuzzTally> {
  const tally = new Tally(o.transport, o.seed);
  const fuzzer = new FrameFuzzer({ seed: o.seed, reports: o.reports, maxFrameBytes: o.maxFrameBytes, transport: o.transport });
  const host = o.host ?? '127.0.0.1';
  const conn = o.transport === 'tcp' ? new TcpConnections(host, o.port, o.answerTimeoutMs) : new GrpcConnections(host, o.port, o.answerTimeoutMs);
  const started = performance.now();
  const preHelloCtx: FuzzContext = { ...o.preHelloSource, nextSeq: 1 };
  const done = () => {
    if (tally.t.frames % 10_000 === 0) o.onProgress?.(tally.t.frames);
  };

  // Post-Hello lanes: one per source (a second connection would supersede the first), each authenticating before every case.
  const afterHelloFrames = o.sources.length === 0 ? 0 : Math.round(o.frames * o.afterHelloShare);
  let afterIssued = 0;
  let preIssued = 0;
  const lanes = o.sources.map(async (source) => {
    let laneFailures = 0;
    let lastCase: FuzzViolation | undefined;
    while (afterIssued < afterHelloFrames && !o.stop?.()) {
      afterIssued++;
      tally.t.connections++;
      const result = await conn.afterHello(source, (nextSeq) => fuzzer.next({ ...source, nextSeq }, true));
      if (result.case) {
        lastCase = { ...describe(result.case, result.outcome.outcome, result.outcome.message), head: Buffer.from(result.case.body).toString('hex') };
        laneFailures = 0;
      }
      tally.record(result.case, result.outcome.outcome, result.outcome.code, result.outcome.message);
      if (!result.case) {
        // No Welcome: the frame is drawn again on the next connection. A source that gets none three times running is
        // wedged (its earlier events never became durable): the lane stops and names the last frame it sent.
        afterIssued--;
        if (++laneFailures >= 3) {
          tally.t.wedgedSources.push({ sourceId: source.sourceId, why: result.outcome.message ?? '', lastFrame: lastCase });
          return;
        }
        continue;
      }
      done();
    }
  });
  let connectFailures = 0;
  const preHello = Array.from({ length: Math.max(1, o.concurrency) }, async () => {
    while (preIssued < o.frames - afterHelloFrames && !o.stop?.()) {
      preIssued++;
      const c = fuzzer.next(preHelloCtx, false);
      tally.t.connections++;
      const outcome = await conn.preHello(c);
      if (outcome.outcome === 'connect-failed') {
        // Not sent: drawn again (the case numbers move on; a seed still replays the run).
        tally.record(undefined, outcome.outcome, undefined);
        preIssued--;
        if (++connectFailures > 1000) return;
        continue;
      }
      tally.record(c, outcome.outcome, outcome.code, outcome.message);
      done();
    }
  });
  await Promise.all([...lanes, ...preHello]);
  conn.close();
  tally.t.seconds = Math.round((performance.now() - started) / 100) / 10;
  tally.t.framesPerSecond = Math.round(tally.t.frames / Math.max(0.001, tally.t.seconds));
  return tally.t;
}

interface Connections {
  preHello(c: FuzzCase): Promise<Classified>;
  afterHello(source: FuzzSource, make: (nextSeq: number) => FuzzCase): Promise<{ case: FuzzCase | undefined; outcome: Classified }>;
  close(): void;
}

/** A connection's frames as they come: Welcome and the first Error. */
class FrameWatch {
  error: { code: ErrorCode; message: string } | undefined;
  welcome: number | undefined;
  private waiters: (() => void)[] = [];

  onFrame(bytes: Uint8Array): void {
    let frame: FepFrame;
    try {
      frame = FepFrame.decode(bytes);
    } catch {
      // The engine sent something that is not a FepFrame: an Error without a code, as far as the tally goes.
      this.error ??= { code: ErrorCode.ERROR_CODE_UNSPECIFIED, message: 'undecodable frame from the engine' };
      this.wake();
      return;
    }
    const k = frame.kind;
    if (k?.$case === 'welcome') this.welcome = k.value.lastAckedSeq;
    else if (k?.$case === 'error') this.error ??= { code: k.value.code, message: k.value.message };
    this.wake();
  }

  /** Resolves at the next frame (or end). */
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once `done()` holds (checked at every frame and at the end) or `ms` have passed. */
  async until(done: () => boolean, ms: number): Promise<void> {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      this.wake();
    }, ms);
    while (!done() && !late) await this.next();
    clearTimeout(timer);
  }

  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

class TcpConnections implements Connections {
  constructor(private readonly host: string, private readonly port: number, private readonly timeoutMs: number) {}

  async preHello(c: FuzzCase): Promise<Classified> {
    const s = await this.open();
    if (!s) return { outcome: 'connect-failed' };
    for (const w of c.writes) s.socket.write(w);
    if (c.answerable) s.socket.write(lengthPrefixed(PROBE));
    else s.socket.end();
    return classify(c, await s.ending());
  }

  async afterHello(source: FuzzSource, make: (nextSeq: number) => FuzzCase): Promise<{ case: FuzzCase | undefined; outcome: Classified }> {
    const s = await this.open();
    if (!s) return { case: undefined, outcome: { outcome: 'connect-failed' } };
    s.socket.write(lengthPrefixed(encodeHello(source.sourceId, source.token)));
    await s.watch.until(() => s.watch.welcome !== undefined || s.watch.error !== undefined || s.isClosed(), this.timeoutMs);
    if (s.watch.welcome === undefined) {
      s.destroy();
      return { case: undefined, outcome: { outcome: 'hello-refused', message: s.watch.error?.message ?? (s.isClosed() ? 'closed' : 'no Welcome in time') } };
    }
    // The case is drawn for the seq the source expects now.
    const c = make(s.watch.welcome + 1);
    for (const w of c.writes) s.socket.write(w);
    if (c.answerable) s.socket.write(lengthPrefixed(PROBE));
    else s.socket.end();
    return { case: c, outcome: classify(c, await s.ending()) };
  }

  close(): void {}

  /** A connection, or undefined when it fails or is not accepted in time (a full accept queue drops SYNs: the kernel retries for minutes). */
  private open(): Promise<TcpConn | undefined> {
    return new Promise((resolve) => {
      const socket = net.connect(this.port, this.host);
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(undefined);
      }, this.timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new TcpConn(socket, this.timeoutMs));
      });
      socket.once('error', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }
}

class TcpConn {
  readonly watch = new FrameWatch();
  readonly closedPromise: Promise<void>;
  private closed = false;
  private readonly reader = new LengthPrefixedReader(64 * 1024 * 1024);

  constructor(readonly socket: net.Socket, private readonly timeoutMs: number) {
    socket.removeAllListeners('error');
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.reader.push(chunk)) this.watch.onFrame(f);
      } catch {
        this.watch.onFrame(new Uint8Array([0xff]));
      }
    });
    this.closedPromise = new Promise((resolve) => socket.once('close', () => {
      this.closed = true;
      this.watch.wake();
      resolve();
    }));
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** Waits for the Error frame or the close; then cuts the connection with a reset (no TIME_WAIT left behind). */
  async ending(): Promise<Ending> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.watch.wake();
    }, this.timeoutMs);
    while (!this.watch.error && !this.closed && !timedOut) await Promise.race([this.watch.next(), this.closedPromise]);
    clearTimeout(timer);
    this.destroy();
    return { error: this.watch.error, timedOut: timedOut && !this.watch.error };
  }

  destroy(): void {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }
}

const identity = (b: Buffer) => b;

class GrpcConnections implements Connections {
  private readonly client: grpc.Client;

  constructor(host: string, port: number, private readonly timeoutMs: number) {
    const definition = { stream: { ...FepService.stream, requestSerialize: identity, responseDeserialize: identity } };
    const Ctor = grpc.makeGenericClientConstructor(definition as unknown as grpc.ServiceDefinition, 'swaprep.fep.Fep');
    this.client = new Ctor(`${host}:${port}`, grpc.credentials.createInsecure(), {
      // The fuzzer sends frames above the engine's limit on purpose (the engine lets them through to say so).
      'grpc.max_send_message_length': -1,
      'grpc.max_receive_message_length': -1,
    });
  }

  async preHello(c: FuzzCase): Promise<Classified> {
    const s = this.open();
    s.call.write(Buffer.from(c.body));
    s.call.write(Buffer.from(PROBE));
    return classify(c, await s.ending());
  }

  async afterHello(source: FuzzSource, make: (nextSeq: number) => FuzzCase): Promise<{ case: FuzzCase | undefined; outcome: Classified }> {
    const s = this.open();
    s.call.write(Buffer.from(encodeHello(source.sourceId, source.token)));
    await s.watch.until(() => s.watch.welcome !== undefined || s.watch.error !== undefined || s.ended, this.timeoutMs);
    if (s.watch.welcome === undefined) {
      s.call.cancel();
      return { case: undefined, outcome: { outcome: 'hello-refused', message: s.watch.error?.message ?? (s.ended ? 'stream ended' : 'no Welcome in time') } };
    }
    const c = make(s.watch.welcome + 1);
    s.call.write(Buffer.from(c.body));
    s.call.write(Buffer.from(PROBE));
    return { case: c, outcome: classify(c, await s.ending()) };
  }

  close(): void {
    this.client.close();
  }

  private open(): GrpcStream {
    const call = (this.client as unknown as { stream(): grpc.ClientDuplexStream<Buffer, Buffer> }).stream();
    return new GrpcStream(call, this.timeoutMs);
  }
}

class GrpcStream {
  readonly watch = new FrameWatch();
  ended = false;

  constructor(readonly call: grpc.ClientDuplexStream<Buffer, Buffer>, private readonly timeoutMs: number) {
    call.on('data', (b: Buffer) => this.watch.onFrame(b));
    const end = () => {
      this.ended = true;
      this.watch.wake();
    };
    // Not 'status': it may come before the last messages have been read.
    call.on('end', end);
    call.on('error', end);
  }

  async ending(): Promise<Ending> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.watch.wake();
    }, this.timeoutMs);
    // Waits for the engine to end the stream after its Error frame rather than cancelling it: the frames the engine
    // sends on a stream the client has reset count as invalid on the client's HTTP/2 session, which Node closes
    // after a thousand of them, failing every stream on it.
    while (!this.ended && !timedOut) await this.watch.next();
    clearTimeout(timer);
    if (!this.ended) this.call.cancel();
    return { error: this.watch.error, timedOut: timedOut && !this.watch.error };
  }
}

/** Transport-level garbage at the gRPC port (not HTTP/2 at all): the engine must drop it and keep serving. */
export async function grpcPortGarbage(port: number, connections: number, seed: number, closeWithinMs = 15_000, host = '127.0.0.1'): Promise<{ connections: number; closedByEngine: number }> {
  const r = new Random(seed, 79);
  const payloads = Array.from({ length: connections }, () => {
    const bytes = Buffer.alloc(r.int(1, 512));
    for (let j = 0; j < bytes.length; j++) bytes[j] = r.uint32() & 0xff;
    // Half of them start like an HTTP/2 connection preface and then go wrong.
    return r.chance(0.5) ? Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), bytes]) : bytes;
  });
  // At most 64 at once, each given `closeWithinMs` to be closed by the engine: one that stops inside an HTTP/2 frame
  // is waited for until the engine's Hello deadline (SWAPREP_HELLO_TIMEOUT_MS, 10 s) cuts it.
  let closedByEngine = 0;
  for (let i = 0; i < payloads.length; i += 64) {
    const closed = await Promise.all(payloads.slice(i, i + 64).map((payload) => new Promise<number>((resolve) => {
      const s = net.connect(port, host, () => s.write(payload));
      const timer = setTimeout(() => {
        s.destroy();
        resolve(0);
      }, closeWithinMs);
      s.on('error', () => {});
      s.on('data', () => {});
      s.once('close', () => {
        clearTimeout(timer);
        resolve(1);
      });
    })));
    closedByEngine += closed.reduce((a, b) => a + b, 0);
  }
  return { connections, closedByEngine };
}
