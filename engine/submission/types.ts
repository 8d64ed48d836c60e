/** Vocabulary of the submission path: submissions, repository responses, channels and their configuration. */
import type { ReportFormat, ReportRegime } from '../reports/types.js';
import type { LineBuffer } from './batch-body.js';

/** One error code of a NACK (DTCC: up to 20 per NACK). */
export interface ResponseCode {
  code: string;
  message: string;
}

/** A repository's answer for one submission. */
export interface Outcome {
  submissionId: string;
  outcome: 'ACK' | 'NACK';
  codes: ResponseCode[];
  batchId?: string;
}

/**
 * One batch as a channel sends it: at most `maxBatch` records of one regime to one repository (one file or one
 * request). `lines` are its records exactly as kept (engine/submission/batch-body.ts); the channel adds only its
 * envelope, so a resend under the same batch id carries the same records.
 */
export interface OutboundBatch {
  batchId: string;
  repository: string;
  regime: ReportRegime;
  format: ReportFormat;
  submitter: string | undefined;
  records: number;
  lines: LineBuffer;
}

/** What a successful send returns: the outcomes when the repository answered at once, else 'accepted'. */
export type SendResult = { kind: 'outcomes'; outcomes: Outcome[] } | { kind: 'accepted' };

/**
 * An answer collected by `poll` (a polled HTTP batch, an SFTP response file). `done` removes it at the
 * repository (deletes the response file, stops polling the batch): call it only after its outcomes are committed,
 * so a crash in between makes the answer come again rather than vanish.
 */
export interface PolledAnswer {
  batchId: string;
  outcomes: Outcome[];
  done(): Promise<void>;
}

/**
 * A transport to one repository. `send` throws TransportError for failures worth retrying (connection
 * refused or dropped, timeout, 5xx) and PermanentError for a refusal that a resend would only repeat.
 */
export interface Channel {
  readonly kind: 'https' | 'sftp';
  send(batch: OutboundBatch): Promise<SendResult>;
  /** Answers that arrived since the last poll (polled HTTP batches, SFTP response files). */
  poll(): Promise<PolledAnswer[]>;
  close(): Promise<void>;
}

export class TransportError extends Error {
  override readonly name: string = 'TransportError';
}

export class PermanentError extends Error {
  override readonly name: string = 'PermanentError';
}

export interface HttpsRepositoryConfig {
  kind: 'https';
  /** Base URL, e.g. https://sdr.example/api (http: only to a loopback address: a local simulator). */
  url: string;
  /** Bearer token sent as Authorization, if any. */
  token?: string;
  /** Per-request timeout. */
  timeoutMs: number;
  /** PEM CA certificates the repository's certificate must chain to, instead of the system's (configured as caFile). */
  ca?: string;
  /** PEM client certificate and its key, presented for mutual TLS (configured as certFile / keyFile). */
  cert?: string;
  key?: string;
  /** The largest response body read, in bytes; a larger one is refused unread. */
  maxResponseBytes: number;
}

export interface SftpRepositoryConfig {
  kind: 'sftp';
  host: string;
  port: number;
  username: string;
  /** Password, private key (OpenSSH or PEM text, configured as privateKeyFile), or both: the key is tried first. */
  password?: string;
  privateKey?: string;
  /**
   * The repository's host key(s), pinned: OpenSSH fingerprints (`SHA256:...`) or known_hosts lines
   * (engine/submission/channels/host-key.ts). A server offering any other key is refused before we log in.
   */
  hostKeys: string[];
  /** Where files are uploaded and where response files appear. */
  inbox: string;
  outbox: string;
  timeoutMs: number;
  /** The largest response file read, in bytes; a larger one is left in the outbox and named in the log. */
  maxResponseBytes: number;
}

export interface RepositoryConfig {
  /** Our name for the repository (submission.repository). */
  name: string;
  /** Regimes whose submissions go to this repository. */
  regimes: ReportRegime[];
  /** Format of the submissions (SFTP files are CSV by default, HTTPS batches JSON). */
  format: ReportFormat;
  channel: HttpsRepositoryConfig | SftpRepositoryConfig;
  /** Records per file/request (the repository's limit: DTCC takes up to 10,000). */
  maxBatch: number;
  /** Batches in flight at once to this repository. */
  concurrency: number;
}
