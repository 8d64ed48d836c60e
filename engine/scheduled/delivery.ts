/**
 * Delivery of scheduled report files through a configured repository's channel: SFTP puts the file into a
 * directory of its own (`deliverDir`, default `reports`: never the inbox, whose files the repository reads as
 * submission batches), HTTPS POSTs it to v1/reports/{name}. The file stays kept under reportsDir either way; a
 * failed delivery stays pending in report_file and is tried again at the scheduler's next pass.
 */
import { basename } from 'node:path';
import type pg from 'pg';
import { log } from '../log.js';
import { HttpsChannel } from '../submission/channels/https.js';
import { SftpChannel } from '../submission/channels/sftp.js';
import type { RepositoryConfig } from '../submission/types.js';
import { readReportFile } from './files.js';

export const DEFAULT_DELIVER_DIR = 'reports';

/** A schedule entry names a delivery target that is not a configured repository. */
export class DeliveryTargetError extends Error {
  override readonly name = 'DeliveryTargetError';
  readonly code = 'DELIVERY_TARGET_UNKNOWN';
}

export interface FileSender {
  send(name: string, content: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** A sender over a repository's channel settings (its own connection: batches and reports do not wait on each other). */
export function fileSenderFor(repo: RepositoryConfig, dir = DEFAULT_DELIVER_DIR): FileSender {
  if (repo.channel.kind === 'https') {
    const ch = new HttpsChannel(repo.channel);
    return { send: (name, content) => ch.sendFile(name, content), close: () => ch.close() };
  }
  // The header callback serves batch files only; a report file carries its own header.
  const ch = new SftpChannel(repo.channel, () => '');
  return { send: (name, content) => ch.sendFile(dir, name, content), close: () => ch.close() };
}

export interface DeliveryOutcome {
  id: number;
  target: string;
  delivered: boolean;
  error?: string;
}

/**
 * Sends every kept file still pending delivery, oldest first, and records each outcome. A file whose target is no
 * longer configured stays pending (named in the log) until it is configured again.
 */
export async function deliverPending(db: pg.Pool, senderOf: (target: string) => FileSender | undefined, nowMs: number): Promise<DeliveryOutcome[]> {
  const { rows } = await db.query<{ id: string; delivery_target: string }>(
    `SELECT id, delivery_target FROM report_file WHERE delivery_status = 'pending' ORDER BY id`);
  const out: DeliveryOutcome[] = [];
  for (const r of rows) {
    const id = Number(r.id);
    const sender = senderOf(r.delivery_target);
    if (!sender) {
      log('warn', `report file ${id}: delivery target "${r.delivery_target}" is not a configured repository; kept pending`);
      continue;
    }
    try {
      const kept = await readReportFile(db, id);
      if (!kept) continue;
      await sender.send(basename(kept.file.path), kept.content);
      await db.query(`UPDATE report_file SET delivery_status = 'delivered', delivered_at = $2::timestamptz, delivery_attempts = delivery_attempts + 1 WHERE id = $1`,
        [id, new Date(nowMs).toISOString()]);
      out.push({ id, target: r.delivery_target, delivered: true });
    } catch (err) {
      const message = (err as Error).message;
      await db.query('UPDATE report_file SET delivery_attempts = delivery_attempts + 1, delivery_error = $2 WHERE id = $1', [id, message.slice(0, 1000)]);
      log('warn', `report file ${id}: delivery to ${r.delivery_target} failed (tried again at the next pass): ${message}`);
      out.push({ id, target: r.delivery_target, delivered: false, error: message });
    }
  }
  return out;
}
