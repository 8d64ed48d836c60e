/**
 * The simulator's HTTP front end (node:http): the repository API (engine/submission/wire.ts), the state report,
 * and the admin endpoints that configure it and inject faults.
 *
 *   POST /v1/submissions        batch of JSON records -> 200 results after `delayMs`, or 202 in poll mode
 *   GET  /v1/batches/{id}       poll mode: 200 results once `delayMs` has passed, 202 before
 *   GET  /v1/state              state report: every trade as the repository sees it
 *   GET  /v1/public-tape        ?date=YYYY-MM-DD (UTC, default today) [&format=jsonl]: the Part 43 records disseminated
 *                               that day (public-tape.ts), a JSON array, or the daily file's JSON lines
 *   POST /admin/faults          {"mode": "timeout"|"5xx"|"drop"|"duplicate", "count"?: n, "channel"?: "http"|"sftp"|"any"}
 *   POST /admin/config          {"delayMs"?: n, "responseMode"?: "sync"|"poll", "permissions"?: {submitter: [cp1...]}}
 *   GET  /admin/stats           counters
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReportRegime } from '../../engine/reports/types.js';
import { REPORT_REGIMES } from '../../engine/reports/types.js';
import type { BatchResponse, WireResult } from '../../engine/submission/wire.js';
import { FAULT_MODES, type FaultChannel, type FaultMode, type Faults } from './faults.js';
import type { BatchProcessor } from './processor.js';
import { PublicTapeError, type PublicTape } from './public-tape.js';
import { flattenJson, parseBody } from './records.js';

export interface HttpSettings {
  delayMs: number;
  responseMode: 'sync' | 'poll';
}

export interface HttpApi {
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 256 * 1024 * 1024;

export function startHttpApi(host: string, port: number, processor: BatchProcessor, faults: Faults, settings: HttpSettings, extraStats: () => Record<string, unknown>, tape?: PublicTape): Promise<HttpApi> {
  const completed = new Map<string, { readyAt: number; results: WireResult[]; duplicate: boolean }>();
  const hanging = new Set<http.ServerResponse>();

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        route(req, res, body);
      } catch (err) {
        send(res, 400, { error: (err as Error).message });
      }
    });
  });

  const route = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (req.method === 'POST' && url.pathname === '/v1/submissions') return submit(res, body);
    const poll = /^\/v1\/batches\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && poll) return pollBatch(res, decodeURIComponent(poll[1]!));
    if (req.method === 'GET' && url.pathname === '/v1/state') return send(res, 200, processor.state.report());
    if (req.method === 'GET' && url.pathname === '/v1/public-tape') return publicTape(res, url);
    if (req.method === 'POST' && url.pathname === '/admin/faults') return armFault(res, body);
    if (req.method === 'POST' && url.pathname === '/admin/config') return configure(res, body);
    if (req.method === 'GET' && url.pathname === '/admin/stats') {
      return send(res, 200, { ...processor.stats, acked: processor.state.acked, nacked: processor.state.nacked, trades: processor.state.trades.size, faults: faults.injected, ...extraStats() });
    }
    send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  };

  const submit = (res: http.ServerResponse, body: string) => {
    const fault = faults.take('http');
    if (fault === '5xx') return send(res, 503, { error: 'injected fault: service unavailable' });
    // Parsed losslessly: records reach the canonical codec with their decimals exactly as written.
    const batch = parseBody(body) as { batchId?: unknown; regime?: unknown; submitter?: unknown; records?: unknown };
    if (typeof batch.batchId !== 'string' || !Array.isArray(batch.records)) return send(res, 400, { error: 'batchId and records are required' });
    if (typeof batch.regime !== 'string' || !REPORT_REGIMES.includes(batch.regime as ReportRegime)) return send(res, 400, { error: 'regime is required' });
    if (batch.records.length > 10_000) return send(res, 400, { error: 'at most 10,000 records per batch' });
    const regime = batch.regime as ReportRegime;
    const incoming = (batch.records as { submissionId?: unknown; record?: unknown }[]).map((r, i) => ({
      submissionId: typeof r?.submissionId === 'string' ? r.submissionId : `missing-${i}`,
      parsed: flattenJson(regime, r?.record ?? null),
    }));
    const results = processor.process(regime, typeof batch.submitter === 'string' ? batch.submitter : undefined, incoming);
    const readyAt = Date.now() + settings.delayMs;
    if (fault === 'drop') {
      res.socket?.destroy();
      return;
    }
    if (fault === 'timeout') {
      hanging.add(res);
      return;
    }
    const duplicate = fault === 'duplicate';
    if (settings.responseMode === 'poll') {
      completed.set(batch.batchId, { readyAt, results, duplicate });
      return send(res, 202, { batchId: batch.batchId, status: 'processing' } satisfies BatchResponse);
    }
    const answer: BatchResponse = { batchId: batch.batchId, status: 'complete', results: duplicate ? [...results, ...results] : results };
    setTimeout(() => send(res, 200, answer), settings.delayMs);
  };

  const publicTape = (res: http.ServerResponse, url: URL) => {
    if (!tape) return send(res, 404, { error: 'the public tape is off (--no-public-tape)' });
    const date = url.searchParams.get('date') ?? new Date().toISOString().slice(0, 10);
    let lines: string;
    try {
      lines = tape.linesOf(date);
    } catch (err) {
      if (err instanceof PublicTapeError) return send(res, 400, { error: err.message, code: err.code });
      throw err;
    }
    if (url.searchParams.get('format') === 'jsonl') {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(lines) });
      return res.end(lines);
    }
    // Entries are JSON lines already: the array is their concatenation (no re-parse: decimals stay as written).
    const text = '[' + lines.split('\n').filter((l) => l.length > 0).join(',') + ']';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const pollBatch = (res: http.ServerResponse, batchId: string) => {
    const c = completed.get(batchId);
    if (!c) return send(res, 404, { error: `unknown batch ${batchId}` });
    if (Date.now() < c.readyAt) return send(res, 202, { batchId, status: 'processing' } satisfies BatchResponse);
    send(res, 200, { batchId, status: 'complete', results: c.duplicate ? [...c.results, ...c.results] : c.results } satisfies BatchResponse);
  };

  const armFault = (res: http.ServerResponse, body: string) => {
    const b = JSON.parse(body || '{}') as { mode?: unknown; count?: unknown; channel?: unknown };
    if (b.mode === 'none') {
      faults.clear();
      return send(res, 200, { ok: true });
    }
    if (typeof b.mode !== 'string' || !FAULT_MODES.includes(b.mode as FaultMode)) return send(res, 400, { error: `mode must be one of ${FAULT_MODES.join(', ')} or none` });
    const channel = (typeof b.channel === 'string' ? b.channel : 'any') as FaultChannel;
    faults.arm(b.mode as FaultMode, typeof b.count === 'number' ? b.count : 1, channel);
    send(res, 200, { ok: true });
  };

  const configure = (res: http.ServerResponse, body: string) => {
    const b = JSON.parse(body || '{}') as { delayMs?: unknown; responseMode?: unknown; permissions?: unknown };
    if (typeof b.delayMs === 'number') settings.delayMs = b.delayMs;
    if (b.responseMode === 'sync' || b.responseMode === 'poll') settings.responseMode = b.responseMode;
    if (b.permissions && typeof b.permissions === 'object') {
      const p = new Map<string, Set<string>>();
      for (const [k, v] of Object.entries(b.permissions as Record<string, unknown>)) if (Array.isArray(v)) p.set(k, new Set(v.map(String)));
      processor.permissions = p;
    }
    send(res, 200, { ok: true, delayMs: settings.delayMs, responseMode: settings.responseMode });
  };

  // Idle keep-alive connections stay open a minute (Node's default is 5 s): a client that reuses a socket the
  // server has just closed gets EPIPE/ECONNRESET on a 15 MB batch and must resend it.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => {
          for (const r of hanging) r.socket?.destroy();
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
