/**
 * The end-to-end benchmark's baseline: what a team writes first to take swap events in. A plain node:http
 * server that accepts one event per POST as JSON (keep-alive connections), inserts it with pg in its own
 * transaction (one autocommitted INSERT: one COMMIT and one WAL flush per event) and answers 200 once the
 * row is durable, as the engine acks only after COMMIT.
 *
 * Why it exists: "N times faster" needs a reference measured on the same machine, the same PostgreSQL and the
 * same records in the same run, not a number from elsewhere. It does less than the engine per event (no
 * rules, no lifecycle, no actors, no scoring, no resend safety), so the ratio understates the engine's
 * advantage rather than flattering it.
 *
 * It runs as a child process (`node dist/bench/support/http-baseline.js DATABASE_URL`), with an event loop
 * of its own as the engine has, and prints `http-baseline listening: port=N` once it takes requests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const TABLE = `CREATE TABLE IF NOT EXISTS baseline_event (
  id            bigserial PRIMARY KEY,
  received_at   timestamptz NOT NULL DEFAULT now(),
  uti           text NOT NULL,
  counterparty1 text NOT NULL,
  action_type   text,
  report        jsonb NOT NULL
)`;

/** Starts the server on `port` (0: any free one); resolves with the port once it listens. */
export async function serveBaseline(databaseUrl: string, port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const db = new pg.Pool({ connectionString: databaseUrl }); // pg's default pool: 10 connections
  await db.query(TABLE);
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/events') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(body) as Record<string, unknown>;
      } catch {
        res.writeHead(400).end('not JSON');
        return;
      }
      const uti = record.uniqueTransactionIdentifier;
      const cp1 = record.counterparty1;
      if (typeof uti !== 'string' || typeof cp1 !== 'string') {
        res.writeHead(400).end('uniqueTransactionIdentifier and counterparty1 are required');
        return;
      }
      const action = typeof record.actionType === 'string' ? record.actionType : null;
      db.query('INSERT INTO baseline_event (uti, counterparty1, action_type, report) VALUES ($1, $2, $3, $4)', [uti, cp1, action, body]).then(
        () => res.writeHead(200).end(),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('http-baseline: no TCP address');
  return {
    port: address.port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.end();
    },
  };
}

export interface BaselineProcess {
  process: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/** Runs the baseline server as a child process on the database at `databaseUrl` (built code: dist/). */
export async function startHttpBaseline(databaseUrl: string): Promise<BaselineProcess> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), databaseUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /http-baseline listening: port=(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`http-baseline exited with ${code} before listening:\n${stderr}`)));
  });
  return {
    process: child,
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const url = process.argv[2];
  if (!url) {
    process.stderr.write('usage: node dist/bench/support/http-baseline.js DATABASE_URL\n');
    process.exitCode = 2;
    return;
  }
  const server = await serveBaseline(url);
  process.stdout.write(`http-baseline listening: port=${server.port}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
