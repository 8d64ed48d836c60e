// The HTTPS channel against a real HTTPS repository that requires a client certificate (mutual TLS), with a CA,
// server and client certificates made by the openssl CLI for this file: the configuration's caFile / certFile /
// keyFile reach the connection, a missing client certificate or an untrusted server certificate fails the send,
// an answer over maxResponseBytes is refused, and http: to anything but loopback stops the configuration.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config.js';
import { LineBuffer, recordLine } from '../../engine/submission/batch-body.js';
import { HttpsChannel, InsecureUrlError, ResponseTooLargeError } from '../../engine/submission/channels/https.js';
import { parseSdrSpec, parseSubmissionFile } from '../../engine/submission/config.js';
import { PermanentError, TransportError, type HttpsRepositoryConfig, type OutboundBatch } from '../../engine/submission/types.js';

const dir = mkdtempSync(join(tmpdir(), 'swaprep-https-'));
const file = (name: string) => join(dir, name);
let server: https.Server;
let url: string;
/** What the repository saw of each request: the client certificate's CN and the Authorization header. */
const seen: { cn: string | undefined; authorization: string | undefined }[] = [];
/** How the next answers are given: a normal answer, or `bytes` of padding with or without content-length. */
let answer: { kind: 'normal' } | { kind: 'big'; bytes: number; declared: boolean } = { kind: 'normal' };

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A key and a certificate for `cn` signed by the test CA (with `san` as subjectAltName when given). */
function issue(name: string, cn: string, san?: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  writeFileSync(file(`${name}.ext`), san ? `subjectAltName=${san}\n` : 'basicConstraints=CA:FALSE\n');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
}

function batch(id: string, submissionIds: string[]): OutboundBatch {
  return {
    batchId: id, repository: 'dtcc', regime: 'cftc-part45', format: 'json', submitter: undefined, records: submissionIds.length,
    lines: LineBuffer.of(submissionIds.map((s) => recordLine('json', s, '{"uniqueTransactionIdentifier":"X"}'))),
  };
}

/** The repository settings of a SWAPREP_CONFIG file holding one HTTPS repository with `channel`. */
function fromFile(channel: Record<string, unknown>): HttpsRepositoryConfig {
  const text = JSON.stringify({ repositories: [{ name: 'dtcc', channel: { kind: 'https', ...channel } }] });
  return parseSubmissionFile(text, 'SWAPREP_CONFIG test.json', dir).repositories[0]!.channel as HttpsRepositoryConfig;
}

beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=swaprep test CA');
  issue('server', '127.0.0.1', 'IP:127.0.0.1');
  issue('client', 'swaprep-test-client');
  issue('other', 'someone-else'); // a second client certificate, whose key does not match client.pem
  server = https.createServer({
    key: readFileSync(file('server.key')), cert: readFileSync(file('server.pem')), ca: readFileSync(file('ca.pem')),
    requestCert: true, rejectUnauthorized: true,
  }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    seen.push({ cn: typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined, authorization: req.headers.authorization });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (answer.kind === 'big') {
        const body = Buffer.alloc(answer.bytes, 0x20);
        res.writeHead(200, answer.declared ? { 'content-type': 'application/json', 'content-length': String(body.length) } : { 'content-type': 'application/json' });
        // Written in pieces, so an undeclared body arrives as several chunks that cross the cap one by one.
        for (let at = 0; at < body.length; at += 4096) res.write(body.subarray(at, at + 4096));
        return void res.end();
      }
      const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { batchId: string; records: { submissionId: string }[] };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ batchId: request.batchId, status: 'complete', results: request.records.map((r) => ({ submissionId: r.submissionId, status: 'ACK', errors: [] })) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('HTTPS channel: CA bundle, client certificate, response cap', () => {
  it('with caFile, certFile and keyFile from the configuration, a batch goes over mutual TLS and is answered', async () => {
    const config = fromFile({ url, token: 'tok', caFile: file('ca.pem'), certFile: file('client.pem'), keyFile: file('client.key'), timeoutMs: 5_000 });
    const channel = new HttpsChannel(config);
    try {
      const result = await channel.send(batch('B-MTLS', ['S1', 'S2']));
      expect(result).toEqual({ kind: 'outcomes', outcomes: [
        { submissionId: 'S1', outcome: 'ACK', codes: [], batchId: 'B-MTLS' },
        { submissionId: 'S2', outcome: 'ACK', codes: [], batchId: 'B-MTLS' },
      ] });
      expect(seen.at(-1)).toEqual({ cn: 'swaprep-test-client', authorization: 'Bearer tok' });
    } finally {
      await channel.close();
    }
  });

  it('the SWAPREP_SDR repositories take the same files from SWAPREP_SDR_CA_FILE, _CERT_FILE and _KEY_FILE', async () => {
    const [repo] = parseSdrSpec(`dtcc=${url}`, ['cftc-part45'], undefined,
      { SWAPREP_SDR_CA_FILE: file('ca.pem'), SWAPREP_SDR_CERT_FILE: file('client.pem'), SWAPREP_SDR_KEY_FILE: file('client.key'), SWAPREP_SDR_MAX_RESPONSE_BYTES: '100000' });
    expect(repo!.channel).toMatchObject({ kind: 'https', maxResponseBytes: 100_000 });
    const channel = new HttpsChannel(repo!.channel as HttpsRepositoryConfig);
    try {
      expect(await channel.send(batch('B-ENV', ['S3']))).toMatchObject({ kind: 'outcomes', outcomes: [{ submissionId: 'S3', outcome: 'ACK' }] });
    } finally {
      await channel.close();
    }
  });

  it('without a client certificate the repository refuses the connection; without the CA its certificate is not trusted', async () => {
    const noClientCert = new HttpsChannel(fromFile({ url, caFile: file('ca.pem'), timeoutMs: 5_000 }));
    const noCa = new HttpsChannel(fromFile({ url, certFile: file('client.pem'), keyFile: file('client.key'), timeoutMs: 5_000 }));
    const before = seen.length;
    try {
      await expect(noClientCert.send(batch('B-NOCERT', ['S4']))).rejects.toBeInstanceOf(TransportError);
      await expect(noCa.send(batch('B-NOCA', ['S5']))).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
      expect(seen.length).toBe(before); // neither request reached the repository's handler
    } finally {
      await noClientCert.close();
      await noCa.close();
    }
  });

  it('an answer over maxResponseBytes is refused, declared or not, with ResponseTooLargeError', async () => {
    const channel = new HttpsChannel(fromFile({ url, caFile: file('ca.pem'), certFile: file('client.pem'), keyFile: file('client.key'), maxResponseBytes: 10_000, timeoutMs: 5_000 }));
    try {
      answer = { kind: 'big', bytes: 50_000, declared: true };
      const declared = await channel.send(batch('B-BIG1', ['S6'])).catch((e: unknown) => e);
      answer = { kind: 'big', bytes: 50_000, declared: false };
      const streamed = await channel.send(batch('B-BIG2', ['S7'])).catch((e: unknown) => e);
      for (const err of [declared, streamed]) {
        expect(err).toBeInstanceOf(ResponseTooLargeError);
        expect(err).toBeInstanceOf(PermanentError); // the same answer would come again: not retried
        expect(err).toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
      }
      expect((declared as Error).message).toMatch(/POST \/api\/v1\/submissions: the repository's answer \(50000 bytes declared\) is over maxResponseBytes \(10000 bytes\)/);
      expect((streamed as Error).message).toMatch(/more than 10000 bytes\) is over maxResponseBytes/);
      // An answer within the cap still goes through on the same channel.
      answer = { kind: 'normal' };
      expect(await channel.send(batch('B-SMALL', ['S8']))).toMatchObject({ kind: 'outcomes' });
    } finally {
      answer = { kind: 'normal' };
      await channel.close();
    }
  });
});

describe('HTTPS repository settings', () => {
  it('http: is refused at configuration load unless the host is loopback, naming the setting', () => {
    expect(() => fromFile({ url: 'http://sdr.example:8080/' })).toThrow(
      /SWAPREP_CONFIG test\.json\.repositories\[0\]\.channel\.url: expected an https: URL \(http: \(no TLS\) is allowed only to a loopback address .*not sdr\.example\), got "http:\/\/sdr\.example:8080\/"/);
    expect(() => fromFile({ url: 'http://10.1.2.3/' })).toThrow(/channel\.url: expected an https: URL/);
    expect(() => loadConfig({ SWAPREP_SDR: 'dtcc=http://sdr.example/' })).toThrow(/SWAPREP_SDR entry "dtcc=http:\/\/sdr\.example\/": expected an https: URL/);
    for (const ok of ['http://127.0.0.1:7480/', 'http://127.9.9.9/', 'http://localhost:7480/', 'http://[::1]:7480/']) expect(fromFile({ url: ok }).url).toBe(ok);
    expect(fromFile({ url: 'https://sdr.example/' })).toMatchObject({ url: 'https://sdr.example/', maxResponseBytes: 64 * 1024 * 1024 });
    // The channel holds the same line when built without the configuration loader.
    expect(() => new HttpsChannel({ kind: 'https', url: 'http://sdr.example/', timeoutMs: 1_000, maxResponseBytes: 1_000 })).toThrow(InsecureUrlError);
  });

  it('a missing, unreadable or mismatched TLS file names its setting', () => {
    expect(() => fromFile({ url, caFile: file('nope.pem') })).toThrow(/channel\.caFile: cannot read .*nope\.pem/);
    expect(() => fromFile({ url, caFile: file('client.key') })).toThrow(/channel\.caFile: expected a PEM file of CA certificates/);
    expect(() => fromFile({ url, certFile: file('client.pem') })).toThrow(/channel\.keyFile: expected the key of the client certificate/);
    expect(() => fromFile({ url, keyFile: file('client.key') })).toThrow(/channel\.certFile: expected the client certificate that goes with/);
    expect(() => fromFile({ url, certFile: file('client.pem'), keyFile: file('other.key') })).toThrow(/channel\.certFile: expected a PEM client certificate whose unencrypted key is/);
    expect(() => fromFile({ url, maxResponseBytes: 0 })).toThrow(/channel\.maxResponseBytes: expected a whole number of at least 1, got 0/);
    expect(() => parseSdrSpec(`dtcc=${url}`, ['cftc-part45'], undefined, { SWAPREP_SDR_MAX_RESPONSE_BYTES: 'lots' })).toThrow(/SWAPREP_SDR_MAX_RESPONSE_BYTES: expected a whole number of at least 1, got "lots"/);
    expect(() => parseSdrSpec(`dtcc=${url}`, ['cftc-part45'], undefined, { SWAPREP_SDR_CERT_FILE: file('client.pem') })).toThrow(/SWAPREP_SDR_KEY_FILE: expected the key of the client certificate SWAPREP_SDR_CERT_FILE/);
  });
});
