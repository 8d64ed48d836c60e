/**
 * SFTP channel: a batch is one file uploaded to the repository's inbox (written as `.part`, then renamed,
 * so the repository never picks up half a file); outcomes arrive as response files in its outbox, which
 * `poll` downloads, parses and deletes (only after returning them: the caller applies them durably first, and
 * a response seen twice is harmless because applying an outcome is a guarded, idempotent update).
 */
import SftpClient from 'ssh2-sftp-client';
import type { Channel, OutboundBatch, Outcome, SendResult, SftpRepositoryConfig } from '../types.js';
import { TransportError } from '../types.js';
import { batchFileName, CSV_ID_COLUMN, outcomesOf } from '../wire.js';
import { csvField } from '../../reports/csv.js';
import { log } from '../../log.js';

/** The CSV header line of a regime's batch file; provided by the caller (engine/reports csvHeader). */
export type HeaderOf = (regime: OutboundBatch['regime']) => string;

export class SftpChannel implements Channel {
  readonly kind = 'sftp' as const;
  private client: SftpClient | undefined;
  private connecting: Promise<SftpClient> | undefined;
  /** Response files handed out by the last poll, deleted at the next one (after the caller applied them). */
  private toDelete: string[] = [];

  constructor(private readonly config: SftpRepositoryConfig, private readonly headerOf: HeaderOf) {}

  async send(batch: OutboundBatch): Promise<SendResult> {
    const csv = batch.records.every((r) => r.format === 'csv');
    const name = batchFileName(batch.batchId, batch.regime, csv ? 'csv' : 'jsonl');
    let text: string;
    if (csv) {
      text = csvField(CSV_ID_COLUMN) + ',' + this.headerOf(batch.regime) + '\n';
      for (const r of batch.records) text += csvField(r.submissionId) + ',' + r.payload + '\n';
    } else {
      text = '';
      for (const r of batch.records) text += '{"submissionId":' + JSON.stringify(r.submissionId) + ',"record":' + r.payload + '}\n';
    }
    await this.withClient(async (c) => {
      const final = `${this.config.inbox}/${name}`;
      await c.put(Buffer.from(text, 'utf8'), `${final}.part`);
      await c.rename(`${final}.part`, final);
    });
    return { kind: 'accepted' };
  }

  async poll(): Promise<Outcome[]> {
    return this.withClient(async (c) => {
      for (const path of this.toDelete) await c.delete(path, true);
      this.toDelete = [];
      const out: Outcome[] = [];
      const files = (await c.list(this.config.outbox)).filter((f) => f.type === '-' && f.name.endsWith('.json')).sort((a, b) => a.modifyTime - b.modifyTime);
      for (const f of files) {
        const path = `${this.config.outbox}/${f.name}`;
        const buf = await c.get(path);
        try {
          const parsed = outcomesOf(JSON.parse(buf.toString('utf8')));
          out.push(...parsed.outcomes);
        } catch (err) {
          log('warn', `sftp: unreadable response file ${f.name}: ${(err as Error).message}`);
        }
        this.toDelete.push(path);
      }
      return out;
    });
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.end().catch(() => false);
  }

  /** Runs `fn` on a connected client; a failure drops the connection (the next call reconnects) and is a TransportError. */
  private async withClient<T>(fn: (c: SftpClient) => Promise<T>): Promise<T> {
    let c: SftpClient;
    try {
      c = await this.connect();
    } catch (err) {
      throw new TransportError(`sftp connect ${this.config.host}:${this.config.port}: ${(err as Error).message}`);
    }
    try {
      return await withTimeout(fn(c), this.config.timeoutMs);
    } catch (err) {
      this.client = undefined;
      void c.end().catch(() => false);
      throw err instanceof TransportError ? err : new TransportError(`sftp: ${(err as Error).message}`);
    }
  }

  private connect(): Promise<SftpClient> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const c = new SftpClient('swaprep');
      // Errors after connect (connection reset) must not crash the process; the next operation reconnects.
      c.on('error', () => {
        if (this.client === c) this.client = undefined;
      });
      c.on('end', () => {
        if (this.client === c) this.client = undefined;
      });
      try {
        await c.connect({
          host: this.config.host, port: this.config.port, username: this.config.username, password: this.config.password,
          readyTimeout: this.config.timeoutMs, retries: 0,
        });
      } finally {
        this.connecting = undefined;
      }
      this.client = c;
      return c;
    })();
    return this.connecting;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new TransportError(`no answer within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e as Error); });
  });
}
