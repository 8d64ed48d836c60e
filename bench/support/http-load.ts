import http from 'node:http';
import * as hdr from 'hdr-histogram-js';

export interface HttpLoadOptions {
  port: number;
  host?: string;
  path: string;
  /** Request bodies (JSON), sent in turn. */
  bodies: readonly string[];
  /** Requests in flight at once, each on its own keep-alive connection. */
  concurrency: number;
  durationMs: number;
}

export interface HttpLoadResult {
  requests: number;
  /** Answers other than 200, and failed requests. */
  errors: number;
  firstError: string | undefined;
  durationS: number;
  /** Successful requests per second. */
  rate: number;
  /** Per request, from send to answer (closed loop: a request waits for a free slot before it is timed). */
  latencyMs: { p50: number; p99: number; max: number };
}

/**
 * A closed-loop HTTP client: `concurrency` workers each POST the next body as soon as their previous request
 * is answered, for `durationMs`. Closed loop suits a throughput reference (the most the server takes with
 * this many clients); its latencies are service times, not the open-loop figures the engine is judged by.
 */
export async function runHttpLoad(o: HttpLoadOptions): Promise<HttpLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  let next = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        { agent, host: o.host ?? '127.0.0.1', port: o.port, path: o.path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const start = performance.now();
  const until = start + o.durationMs;
  const worker = async () => {
    while (performance.now() < until) {
      const body = o.bodies[next++ % o.bodies.length]!;
      const t = performance.now();
      try {
        const status = await post(body);
        if (status === 200) {
          ok++;
          histogram.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
        } else {
          errors++;
          firstError ??= `HTTP ${status}`;
        }
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
        await new Promise((r) => setTimeout(r, 10)); // a refused connection must not spin
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const durationS = (performance.now() - start) / 1000;
  agent.destroy();
  const ms = (p: number) => histogram.getValueAtPercentile(p) / 1000;
  const result: HttpLoadResult = {
    requests: ok + errors, errors, firstError, durationS, rate: ok / durationS,
    latencyMs: { p50: ms(50), p99: ms(99), max: histogram.maxValue / 1000 },
  };
  histogram.destroy();
  return result;
}
