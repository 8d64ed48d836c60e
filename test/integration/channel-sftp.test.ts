// The SFTP channel's host key pin and key login against a real ssh2 server (the simulator's SFTP front end, in
// this process, with a host key and an authorized key made for this file): a server showing any other key than
// the pinned one is refused before anything is uploaded, naming both fingerprints; a pinned key (fingerprint or
// known_hosts line) and a private key log in and deliver; and the configuration refuses an unpinned repository.
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSdrSim, DEFAULT_SIM, type RunningSdrSim } from '../../loadtest/sdr-sim/index.js';
import { LineBuffer, recordLine } from '../../engine/submission/batch-body.js';
import { fingerprintOf, HostKeyPinError, HostKeyRefusedError, parseHostKeyPin } from '../../engine/submission/channels/host-key.js';
import { SftpChannel } from '../../engine/submission/channels/sftp.js';
import { parseSubmissionFile } from '../../engine/submission/config.js';
import { TransportError, type OutboundBatch, type PolledAnswer, type SftpRepositoryConfig } from '../../engine/submission/types.js';
import { waitFor } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'swaprep-sftp-keys-'));

/** An ed25519 key pair ssh2 can read back (ssh2's generator makes an unreadable one about once in 256). */
function keyPair(): { private: string; public: string } {
  for (;;) {
    const k = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(k.private) instanceof Error)) return k;
  }
}

/** The fingerprint of a public key line (`ssh-ed25519 AAAA...`), taken the way OpenSSH takes it. */
function fingerprintOfLine(line: string): string {
  return fingerprintOf(Buffer.from(line.split(' ')[1]!, 'base64'));
}

const hostKey = keyPair();
const clientKey = keyPair();
const strangerKey = keyPair();
let sim: RunningSdrSim;

function channelConfig(over: Partial<SftpRepositoryConfig>): SftpRepositoryConfig {
  return {
    kind: 'sftp', host: '127.0.0.1', port: sim.sftpPort!, username: 'swaprep', hostKeys: [sim.sftpHostKey!],
    inbox: '/inbox', outbox: '/outbox', timeoutMs: 5_000, maxResponseBytes: 1 << 20, ...over,
  };
}

function batch(id: string): OutboundBatch {
  return {
    batchId: id, repository: 'krx', regime: 'ktfc', format: 'json', submitter: undefined, records: 1,
    lines: LineBuffer.of([recordLine('json', `${id}-1`, '{"uniqueTransactionIdentifier":"X"}')]),
  };
}

/** Polls until the answer to `batchId` is there, then removes it at the repository. */
async function answerOf(channel: SftpChannel, batchId: string): Promise<PolledAnswer> {
  let found: PolledAnswer | undefined;
  await waitFor(`response file for ${batchId}`, async () => {
    found = (await channel.poll()).find((a) => a.batchId === batchId);
    return found !== undefined;
  }, 20_000);
  await found!.done();
  return found!;
}

beforeAll(async () => {
  // A password the tests never give: every login below that succeeds is a key login.
  sim = await startSdrSim({ ...DEFAULT_SIM, sftpPassword: 'not-used-here', sftpHostKey: hostKey.private, sftpAuthorizedKey: clientKey.public, dataDir: join(dir, 'sftp') });
});

afterAll(async () => {
  await sim?.close();
});

describe('SFTP channel: host key pinned, key login', () => {
  it('the simulator reports its host key as OpenSSH would fingerprint it', () => {
    expect(sim.sftpHostKey).toBe(fingerprintOfLine(hostKey.public));
    expect(sim.sftpHostKey).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('a server showing an unpinned host key is refused before anything is uploaded, naming both fingerprints', async () => {
    const expected = fingerprintOfLine(strangerKey.public);
    const channel = new SftpChannel(channelConfig({ hostKeys: [expected], privateKey: clientKey.private }), () => '');
    try {
      const err = await channel.send(batch('B-UNKNOWN')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyRefusedError);
      expect(err).toBeInstanceOf(TransportError);
      expect(err).toMatchObject({ code: 'SFTP_HOST_KEY_REFUSED' });
      expect((err as Error).message).toContain(`offered ssh-ed25519 ${sim.sftpHostKey}, expected ${expected}`);
      expect(readdirSync(join(sim.sftpRoot!, 'inbox'))).toEqual([]);
      expect(sim.state.results.size).toBe(0);
    } finally {
      await channel.close();
    }
  });

  it('the pinned fingerprint and the private key log in: the batch is uploaded and its answer collected', async () => {
    const channel = new SftpChannel(channelConfig({ privateKey: clientKey.private }), () => '');
    try {
      expect(await channel.send(batch('B-PINNED'))).toEqual({ kind: 'accepted' });
      const answer = await answerOf(channel, 'B-PINNED');
      expect(answer.outcomes).toMatchObject([{ submissionId: 'B-PINNED-1', outcome: 'NACK', batchId: 'B-PINNED' }]);
      expect(existsSync(join(sim.sftpRoot!, 'outbox', 'B-PINNED.json'))).toBe(false); // done() removed it
    } finally {
      await channel.close();
    }
  });

  it('a known_hosts line pins the key too; a key the server does not authorize is refused', async () => {
    const knownHosts = `[127.0.0.1]:${sim.sftpPort} ${hostKey.public.split(' ').slice(0, 2).join(' ')}`;
    const wrongKey = new SftpChannel(channelConfig({ hostKeys: [knownHosts], privateKey: strangerKey.private }), () => '');
    const rightKey = new SftpChannel(channelConfig({ hostKeys: [fingerprintOfLine(strangerKey.public), knownHosts], privateKey: clientKey.private }), () => '');
    try {
      const err = await wrongKey.send(batch('B-WRONGKEY')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect(err).not.toBeInstanceOf(HostKeyRefusedError);
      expect((err as Error).message).toMatch(/authentication/i);
      expect(await rightKey.send(batch('B-KNOWNHOSTS'))).toEqual({ kind: 'accepted' });
      expect((await answerOf(rightKey, 'B-KNOWNHOSTS')).outcomes).toHaveLength(1);
    } finally {
      await wrongKey.close();
      await rightKey.close();
    }
  });
});

describe('SFTP repository settings', () => {
  const keyFile = join(dir, 'id_ed25519');
  const pubFile = join(dir, 'id_ed25519.pub');
  writeFileSync(keyFile, clientKey.private);
  writeFileSync(pubFile, clientKey.public);
  const fromFile = (channel: Record<string, unknown>) => parseSubmissionFile(
    JSON.stringify({ reports: { regimes: ['ktfc'] }, repositories: [{ name: 'krx', channel: { kind: 'sftp', host: 'sftp.example', username: 'u', ...channel } }] }),
    'SWAPREP_CONFIG test.json', dir).repositories[0]!.channel as SftpRepositoryConfig;
  const pin = 'SHA256:jDvI6joFI+z1nVcm5rxevPGhUmMP1gHMrg0Y0IiFjyw';

  it('reads OpenSSH fingerprints and known_hosts lines as ssh-keygen -lf does, and refuses what is not a pin', () => {
    // Made with ssh-keygen -t ed25519 / -t rsa; the fingerprints are what ssh-keygen -lf printed for them.
    expect(parseHostKeyPin('sftp.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFnPJxCmvT6DzNNDN1HYQiqOHtaidI/GwMMCFxtQlSf')).toEqual({ fingerprint: pin, type: 'ssh-ed25519' });
    expect(parseHostKeyPin('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDSW1fqhNOs6c3v9b1UhJKaArTEfOaWxkS+7IZVCtRn2fRYsThRK2C5UbiFzZkgAycm7NJsAgp3xrYIe4jpLQhlAbzqKNKx9uuiCpfzFqDojoLmapgkkT8ZpztVdpROYvi1Yfh+jbFnc7FJ1E3PpbJrg9DJW6PwhUZwNTlfjCxxlQ== vec'))
      .toEqual({ fingerprint: 'SHA256:r+t9glApmJBzmU8vwCLHj5hm4M5x3nlWgrdIdx6z3rU', type: 'ssh-rsa' });
    expect(parseHostKeyPin(` ${pin}= `)).toEqual({ fingerprint: pin });
    expect(() => parseHostKeyPin('MD5:6f:0b:a9:4f:9c:c1:5c:c0:12:80:69:b7:1c:c2:5b:2a')).toThrow(HostKeyPinError);
    expect(() => parseHostKeyPin('SHA256:short')).toThrow(/not a SHA256 fingerprint/);
    expect(() => parseHostKeyPin('@cert-authority *.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPFnPJxCmvT6DzNNDN1HYQiqOHtaidI/GwMMCFxtQlSf')).toThrow(/@cert-authority/);
    expect(() => parseHostKeyPin('sftp.example ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB')).toThrow(/is not a ssh-ed25519 public key/);
  });

  it('an SFTP repository without a host key pin, with a bad pin, or without a way to log in stops the configuration', () => {
    expect(() => fromFile({ password: 'p' })).toThrow(/SWAPREP_CONFIG test\.json\.repositories\[0\]\.channel\.hostKey: expected the repository's host key pinned: its SHA256:\.\.\. fingerprint/);
    expect(() => fromFile({ password: 'p', hostKey: 'yes' })).toThrow(/channel\.hostKey: "yes" is neither a SHA256:\.\.\. fingerprint nor a known_hosts line/);
    expect(() => fromFile({ password: 'p', hostKey: [pin, 'SHA256:x'] })).toThrow(/channel\.hostKey\[1\]: "SHA256:x" is not a SHA256 fingerprint/);
    expect(() => fromFile({ password: 'p', hostKey: [] })).toThrow(/channel\.hostKey: expected at least one host key/);
    expect(() => fromFile({ hostKey: pin })).toThrow(/channel: give a password or a privateKeyFile to log in with/);
    expect(() => fromFile({ hostKey: pin, privateKeyFile: pubFile })).toThrow(/channel\.privateKeyFile: expected a private key \(this file holds a public key\)/);
    expect(() => fromFile({ hostKey: pin, privateKeyFile: join(dir, 'nope') })).toThrow(/channel\.privateKeyFile: cannot read/);
    expect(() => fromFile({ hostKey: pin, password: 'p', insecure: true })).toThrow(/channel\.insecure: unknown setting/);
    // The channel holds the same line when built without the configuration loader.
    expect(() => new SftpChannel({ ...fromFile({ hostKey: pin, password: 'p' }), hostKeys: [] }, () => '')).toThrow(HostKeyPinError);
  });

  it('reads a pinned repository with a private key file', () => {
    const c = fromFile({ hostKey: [pin], privateKeyFile: keyFile, maxResponseBytes: 4096 });
    expect(c).toMatchObject({ kind: 'sftp', host: 'sftp.example', port: 22, hostKeys: [pin], privateKey: clientKey.private, maxResponseBytes: 4096 });
    expect(c.password).toBeUndefined();
  });
});
