/**
 * SFTP channel: a batch is one file uploaded to the repository's inbox (written as `.part`, then renamed,
 * so the repository never picks up half a file); outcomes arrive as response files in its outbox, which
 * `poll` downloads, parses and deletes (only after returning them: the caller applies them durably first, and
 * a response seen twice is harmless because a record answered twice is counted as a duplicate, never applied again).
 * The server must show a pinned host key (host-key.ts) before we log in, with a password or a private key.
 */
import SftpClient from 'ssh2-sftp-client';
import type { Channel, OutboundBatch, PolledAnswer, SendResult, SftpRepositoryConfig } from '../types.js';
import { TransportError } from '../types.js';
import { hostKeyAlgorithms, hostKeyCheck, HostKeyRefusedError, parseHostKeyPins, type HostKeyPin } from './host-key.js';
import { batchFileName, CSV_ID_COLUMN, outcomesOf } from '../wire.js';
import { csvField } from '../../reports/csv.js';
import { log } from '../../log.js';

/** The CSV header line of a regime's batch file; provided by the caller (engine/reports csvHeader). */
export type HeaderOf = (regime: OutboundBatch['regime']) => string;

export class SftpChannel implements Channel {
  readonly kind = 'sftp' as const;
  private client: SftpClient | undefined;
  private connecting: Promise<SftpClient> | undefined;
  /** Response files that could not be parsed: named once in the log, not read again. */
  private readonly unreadable = new Set<string>();

  private readonly pins: HostKeyPin[];

  /** Throws HostKeyPinError when no host key is pinned or a pin cannot be read: never connect unchecked. */
  constructor(private readonly config: SftpRepositoryConfig, private readonly headerOf: HeaderOf) {
    this.pins = parseHostKeyPins(config.hostKeys);
  }

  async send(batch: OutboundBatch): Promise<SendResult> {
    const csv = batch.format === 'csv';
    const name = batchFileName(batch.batchId, batch.regime, csv ? 'csv' : 'jsonl');
    const lines = batch.lines.bytes();
    const file = csv ? Buffer.concat([Buffer.from(csvField(CSV_ID_COLUMN) + ',' + this.headerOf(batch.regime) + '\n'), lines]) : lines;
    await this.withClient(async (c) => {
      const final = `${this.config.inbox}/${name}`;
      await c.put(file, `${final}.part`);
      await c.rename(`${final}.part`, final);
    });
    return { kind: 'accepted' };
  }

  /**
   * A file that is not a batch (a scheduled report): uploaded into `dir` the same way (`.part`, then renamed), so a
   * reader never sees half of it. `dir` should not be the inbox, whose files the repository reads as batches.
   */
  async sendFile(dir: string, name: string, content: Buffer): Promise<void> {
    await this.withClient(async (c) => {
      const final = `${dir}/${name}`;
      await c.put(content, `${final}.part`);
      // A report sent again (its first answer was lost) replaces the earlier copy.
      if (await c.exists(final)) await c.delete(final);
      await c.rename(`${final}.part`, final);
    });
  }

  /**
   * Response files, oldest first. A file is deleted by its answer's `done`, after the caller committed its
   * outcomes; one that cannot be read is named in the log and left in place for the operator.
   */
  async poll(): Promise<PolledAnswer[]> {
    return this.withClient(async (c) => {
      const out: PolledAnswer[] = [];
      const files = (await c.list(this.config.outbox)).filter((f) => f.type === '-' && f.name.endsWith('.json')).sort((a, b) => a.modifyTime - b.modifyTime);
      for (const f of files) {
        const path = `${this.config.outbox}/${f.name}`;
        if (this.unreadable.has(path)) continue;
        if (f.size > this.config.maxResponseBytes) {
          this.unreadable.add(path);
          log('warn', `sftp: response file ${f.name} (${f.size} bytes) is over maxResponseBytes (${this.config.maxResponseBytes}): left unread in ${this.config.outbox}`);
          continue;
        }
        const buf = await c.get(path);
        try {
          const parsed = outcomesOf(JSON.parse(buf.toString('utf8')));
          if (!parsed.complete) continue;
          out.push({ batchId: parsed.batchId, outcomes: parsed.outcomes, done: () => this.withClient(async (d) => void (await d.delete(path, true))) });
        } catch (err) {
          this.unreadable.add(path);
          log('warn', `sftp: unreadable response file ${f.name} left in ${this.config.outbox}: ${(err as Error).message}`);
        }
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
      throw err instanceof HostKeyRefusedError ? err : new TransportError(`sftp connect ${this.config.host}:${this.config.port}: ${(err as Error).message}`);
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
      const check = hostKeyCheck(this.pins, `${this.config.host}:${this.config.port}`);
      const algorithms = hostKeyAlgorithms(this.pins);
      try {
        await c.connect({
          host: this.config.host, port: this.config.port, username: this.config.username,
          ...(this.config.password !== undefined ? { password: this.config.password } : {}),
          ...(this.config.privateKey !== undefined ? { privateKey: this.config.privateKey } : {}),
          hostVerifier: (key) => check.verify(key),
          ...(algorithms ? { algorithms: { serverHostKey: algorithms } } : {}),
          readyTimeout: this.config.timeoutMs, retries: 0,
        });
      } catch (err) {
        // ssh2 says only "verification failed": name the offered and the pinned keys instead.
        throw check.refusal() ?? err;
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
