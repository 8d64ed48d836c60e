/**
 * The simulator's SFTP front end (npm ssh2): password login (and publickey login with a configured authorized
 * key), an SFTP subsystem over a real directory with `inbox/` and `outbox/`, a host key given or generated at
 * start, whose fingerprint it reports so that clients can pin it. A batch file renamed into the inbox under its final
 * name (engine/submission/wire.ts batchFileName) is processed and answered with `outbox/<batchId>.json`
 * after the configured delay.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync, writeSync, type Stats } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { join, posix } from 'node:path';
import ssh2 from 'ssh2';
import type { Attributes, AuthContext, Connection, FileEntry, ParsedKey, SFTPWrapper } from 'ssh2';
import { fingerprintOf } from '../../engine/submission/channels/host-key.js';
import { parseCsvLine } from '../../engine/reports/index.js';
import { CSV_ID_COLUMN, parseBatchFileName, type BatchResponse } from '../../engine/submission/wire.js';
import type { Faults } from './faults.js';
import type { BatchProcessor, IncomingRecord } from './processor.js';
import { flattenCsv, flattenJson } from './records.js';

const { Server, utils } = ssh2;
const { STATUS_CODE } = utils.sftp;

export interface SftpSettings {
  username: string;
  password: string;
  delayMs: number;
  /** The host key (OpenSSH or PEM private key text); a fresh ed25519 key when absent. */
  hostKey?: string;
  /** A public key (authorized_keys / .pub line) that may log in as `username` with its private key. */
  authorizedKey?: string;
}

export interface SftpServerHandle {
  port: number;
  /** The host key's OpenSSH fingerprint (SHA256:...), for clients to pin. */
  hostKeyFingerprint: string;
  close(): Promise<void>;
}

type Handle = { kind: 'file'; fd: number } | { kind: 'dir'; path: string; done: boolean };

function attrsOf(st: Stats): Attributes {
  return { mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, atime: Math.floor(st.atimeMs / 1000), mtime: Math.floor(st.mtimeMs / 1000) };
}

function longname(name: string, st: Stats): string {
  return `${st.isDirectory() ? 'd' : '-'}rw-r--r-- 1 sim sim ${st.size} Jan 1 00:00 ${name}`;
}

/**
 * A fresh ed25519 host key that ssh2 itself can read back. About 1 in 256 keys from ssh2's own generateKeyPairSync
 * cannot be parsed (it strips a leading zero byte of the public key: mscdex/ssh2 issues 1390 and 1513), and the
 * server then failed to start with "Cannot parse privateKey: Malformed OpenSSH private key" (seen in a clean-clone
 * test run). A new key is drawn until one parses; ten failures in a row would be a different fault.
 */
function parsableHostKey(): string {
  for (let attempt = 0; attempt < 10; attempt++) {
    const key = utils.generateKeyPairSync('ed25519').private;
    if (!(utils.parseKey(key) instanceof Error)) return key;
  }
  throw new Error('sftp: no ed25519 host key that ssh2 can parse in 10 attempts');
}

/** A key given as text, parsed by ssh2 (the first of a file holding several), or an error naming `what`. */
function parsed(text: string, what: string): ParsedKey {
  const key = utils.parseKey(text);
  if (key instanceof Error) throw new Error(`sftp: cannot read the ${what}: ${key.message}`);
  const first = Array.isArray(key) ? key[0] : key;
  if (!first) throw new Error(`sftp: no key in the ${what}`);
  return first;
}

/** Whether a publickey attempt is the authorized key, and (once the client signs) signed by its private key. */
function publicKeyAccepted(ctx: AuthContext, authorized: ParsedKey): boolean {
  const offered = ctx.key;
  const mine = authorized.getPublicSSH();
  if (!offered || offered.algo !== authorized.type && !(authorized.type === 'ssh-rsa' && offered.algo.startsWith('rsa-sha2-'))) return false;
  if (offered.data.length !== mine.length || !timingSafeEqual(offered.data, mine)) return false;
  // The first attempt only asks whether the key would do; the second carries the signature to check.
  if (!ctx.signature || !ctx.blob) return true;
  return authorized.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
}

export function startSftpServer(host: string, port: number, root: string, processor: BatchProcessor, faults: Faults, settings: SftpSettings): Promise<SftpServerHandle> {
  mkdirSync(join(root, 'inbox'), { recursive: true });
  mkdirSync(join(root, 'outbox'), { recursive: true });
  // Scheduled report files delivered by the engine land here: kept, never read as batches (only inbox/ is).
  mkdirSync(join(root, 'reports'), { recursive: true });
  const hostKey = settings.hostKey ?? parsableHostKey();
  const hostKeyFingerprint = fingerprintOf(parsed(hostKey, 'host key').getPublicSSH());
  const authorizedKey = settings.authorizedKey === undefined ? undefined : parsed(settings.authorizedKey, 'authorized key');
  const connections = new Set<Connection>();
  const timers = new Set<NodeJS.Timeout>();

  /** Virtual absolute path -> real path under root (normalised: no way out of root). */
  const real = (p: string): string => join(root, posix.normalize('/' + p));

  const processBatchFile = (name: string, client: Connection): void => {
    const meta = parseBatchFileName(name);
    if (!meta) return;
    const path = join(root, 'inbox', name);
    const text = readFileSync(path, 'utf8');
    unlinkSync(path);
    const fault = faults.take('sftp');
    const incoming: IncomingRecord[] = [];
    const lines = text.split('\n').filter((l) => l.length > 0);
    if (meta.format === 'csv') {
      const header = parseCsvLine(lines[0] ?? '');
      if (header[0] !== CSV_ID_COLUMN) return;
      for (const line of lines.slice(1)) {
        const cells = parseCsvLine(line);
        incoming.push({ submissionId: cells[0] ?? '', parsed: flattenCsv(meta.regime, header.slice(1), cells.slice(1)) });
      }
    } else {
      for (const line of lines) {
        const { submissionId, record } = JSON.parse(line) as { submissionId: string; record: unknown };
        // Re-serialised records lose nothing here: JSONL lines are re-read losslessly from their own text below.
        incoming.push({ submissionId, parsed: flattenJson(meta.regime, extractRecord(line) ?? JSON.stringify(record)) });
      }
    }
    const results = processor.process(meta.regime, undefined, incoming);
    if (fault === 'drop') {
      client.end();
      return;
    }
    if (fault === 'timeout') return;
    const answer: BatchResponse = { batchId: meta.batchId, status: 'complete', results };
    const t = setTimeout(() => {
      timers.delete(t);
      writeFileSync(join(root, 'outbox', `${meta.batchId}.json`), JSON.stringify(answer));
      if (fault === 'duplicate') writeFileSync(join(root, 'outbox', `${meta.batchId}.dup.json`), JSON.stringify(answer));
    }, settings.delayMs);
    timers.add(t);
  };

  const serveSftp = (sftp: SFTPWrapper, client: Connection): void => {
    const handles = new Map<number, Handle>();
    let next = 1;
    const newHandle = (h: Handle): Buffer => {
      const id = next++;
      handles.set(id, h);
      const b = Buffer.alloc(4);
      b.writeUInt32BE(id);
      return b;
    };
    const handleOf = (b: Buffer): [number, Handle | undefined] => {
      const id = b.length === 4 ? b.readUInt32BE(0) : -1;
      return [id, handles.get(id)];
    };
    const guard = (reqId: number, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        sftp.status(reqId, code === 'ENOENT' ? STATUS_CODE.NO_SUCH_FILE : STATUS_CODE.FAILURE, (err as Error).message);
      }
    };

    sftp.on('OPEN', (reqId, filename, flags) => guard(reqId, () => {
      const mode = utils.sftp.flagsToString(flags);
      if (!mode) return void sftp.status(reqId, STATUS_CODE.OP_UNSUPPORTED);
      // An injected 5xx refuses uploads, as an unavailable repository would.
      if (mode !== 'r' && faults.take('sftp', '5xx') === '5xx') return void sftp.status(reqId, STATUS_CODE.FAILURE, 'injected fault: unavailable');
      sftp.handle(reqId, newHandle({ kind: 'file', fd: openSync(real(filename), mode) }));
    }));
    sftp.on('WRITE', (reqId, handle, offset, data) => guard(reqId, () => {
      const [, h] = handleOf(handle);
      if (!h || h.kind !== 'file') return void sftp.status(reqId, STATUS_CODE.FAILURE);
      writeSync(h.fd, data, 0, data.length, offset);
      sftp.status(reqId, STATUS_CODE.OK);
    }));
    sftp.on('READ', (reqId, handle, offset, length) => guard(reqId, () => {
      const [, h] = handleOf(handle);
      if (!h || h.kind !== 'file') return void sftp.status(reqId, STATUS_CODE.FAILURE);
      const buf = Buffer.alloc(length);
      const n = readSync(h.fd, buf, 0, length, offset);
      if (n === 0) sftp.status(reqId, STATUS_CODE.EOF);
      else sftp.data(reqId, buf.subarray(0, n));
    }));
    sftp.on('FSTAT', (reqId, handle) => guard(reqId, () => {
      const [, h] = handleOf(handle);
      if (!h || h.kind !== 'file') return void sftp.status(reqId, STATUS_CODE.FAILURE);
      sftp.attrs(reqId, attrsOf(fstatSync(h.fd)));
    }));
    sftp.on('CLOSE', (reqId, handle) => guard(reqId, () => {
      const [id, h] = handleOf(handle);
      if (!h) return void sftp.status(reqId, STATUS_CODE.FAILURE);
      if (h.kind === 'file') closeSync(h.fd);
      handles.delete(id);
      sftp.status(reqId, STATUS_CODE.OK);
    }));
    sftp.on('OPENDIR', (reqId, path) => guard(reqId, () => {
      if (!statSync(real(path)).isDirectory()) return void sftp.status(reqId, STATUS_CODE.FAILURE, 'not a directory');
      sftp.handle(reqId, newHandle({ kind: 'dir', path: real(path), done: false }));
    }));
    sftp.on('READDIR', (reqId, handle) => guard(reqId, () => {
      const [, h] = handleOf(handle);
      if (!h || h.kind !== 'dir') return void sftp.status(reqId, STATUS_CODE.FAILURE);
      if (h.done) return void sftp.status(reqId, STATUS_CODE.EOF);
      h.done = true;
      const names: FileEntry[] = readdirSync(h.path).map((name) => {
        const st = statSync(join(h.path, name));
        return { filename: name, longname: longname(name, st), attrs: attrsOf(st) };
      });
      if (names.length === 0) sftp.status(reqId, STATUS_CODE.EOF);
      else sftp.name(reqId, names);
    }));
    const stat = (reqId: number, path: string) => guard(reqId, () => sftp.attrs(reqId, attrsOf(statSync(real(path)))));
    sftp.on('STAT', stat);
    sftp.on('LSTAT', stat);
    sftp.on('REALPATH', (reqId, path) => guard(reqId, () => {
      const p = posix.normalize('/' + path);
      sftp.name(reqId, [{ filename: p, longname: p, attrs: attrsOf(statSync(real(p))) }]);
    }));
    sftp.on('REMOVE', (reqId, path) => guard(reqId, () => {
      unlinkSync(real(path));
      sftp.status(reqId, STATUS_CODE.OK);
    }));
    sftp.on('RMDIR', (reqId, path) => guard(reqId, () => {
      rmdirSync(real(path));
      sftp.status(reqId, STATUS_CODE.OK);
    }));
    sftp.on('MKDIR', (reqId, path) => guard(reqId, () => {
      mkdirSync(real(path));
      sftp.status(reqId, STATUS_CODE.OK);
    }));
    sftp.on('SETSTAT', (reqId) => sftp.status(reqId, STATUS_CODE.OK));
    sftp.on('FSETSTAT', (reqId) => sftp.status(reqId, STATUS_CODE.OK));
    sftp.on('RENAME', (reqId, from, to) => guard(reqId, () => {
      renameSync(real(from), real(to));
      sftp.status(reqId, STATUS_CODE.OK);
      const target = posix.normalize('/' + to);
      if (posix.dirname(target) === '/inbox') setImmediate(() => {
        try {
          processBatchFile(posix.basename(target), client);
        } catch {
          // A malformed file gets no answer, as a repository that cannot read it would give none.
        }
      });
    }));
  };

  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    connections.add(client);
    client.on('error', () => undefined);
    client.on('close', () => connections.delete(client));
    client.on('authentication', (ctx) => {
      const methods = authorizedKey ? ['publickey', 'password'] : ['password'];
      if (ctx.username !== settings.username) return ctx.reject(methods);
      if (ctx.method === 'password' && ctx.password === settings.password) return ctx.accept();
      if (ctx.method === 'publickey' && authorizedKey && publicKeyAccepted(ctx, authorizedKey)) return ctx.accept();
      ctx.reject(methods);
    });
    client.on('session', (accept) => {
      const session = accept();
      session.on('sftp', (acceptSftp) => serveSftp(acceptSftp(), client));
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        port: server.address().port,
        hostKeyFingerprint,
        close: () => new Promise<void>((done) => {
          for (const t of timers) clearTimeout(t);
          for (const c of connections) c.end();
          server.close(() => done());
        }),
      });
    });
  });
}

/** The text of a JSONL line's "record" member (the line is `{"submissionId":..,"record":{...}}` as we write it). */
function extractRecord(line: string): string | undefined {
  const i = line.indexOf('"record":');
  if (i < 0 || !line.endsWith('}')) return undefined;
  return line.slice(i + '"record":'.length, -1);
}
