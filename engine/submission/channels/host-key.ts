/**
 * SSH host key pinning for the SFTP channel. The repository's key is written in the configuration, as an OpenSSH
 * fingerprint (`SHA256:` + base64, what `ssh-keygen -lf` and `ssh` print) or as a known_hosts line (what
 * `ssh-keyscan` prints, or a `.pub` file's line); a server offering any other key is refused during the handshake,
 * before we authenticate or send a byte of a report. There is no "accept any key" setting on purpose: trusting
 * the first key seen would let whoever answers first receive every report and the credentials.
 */
import { createHash } from 'node:crypto';
import { TransportError } from '../types.js';

export interface HostKeyPin {
  /** `SHA256:` and the unpadded base64 of the key's SHA-256, as OpenSSH prints it. */
  fingerprint: string;
  /** The key's type (`ssh-ed25519`, `ssh-rsa`, ...) when the pin carried the key itself. */
  type?: string;
}

/** A pin that cannot be read: the configuration names the setting around this message. */
export class HostKeyPinError extends Error {
  override readonly name = 'HostKeyPinError';
  readonly code = 'SFTP_HOST_KEY_PIN';
}

/** The server offered a key that no pin matches: retried like an unreachable repository, never sent to. */
export class HostKeyRefusedError extends TransportError {
  override readonly name = 'HostKeyRefusedError';
  readonly code = 'SFTP_HOST_KEY_REFUSED';
}

/** OpenSSH's SHA256 fingerprint of a public key blob (the key in SSH wire format). */
export function fingerprintOf(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The type name a public key blob starts with (a length-prefixed string), or undefined when it has none. */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  if (n === 0 || n > 64 || n > blob.length - 4) return undefined;
  return blob.subarray(4, 4 + n).toString('latin1');
}

const KEY_TYPE = /^(ssh-ed25519|ssh-ed448|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;

function shown(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Reads one pin: `SHA256:<43 base64 characters>`, or `[hosts] key-type base64-key [comment]`. */
export function parseHostKeyPin(text: string): HostKeyPin {
  const s = text.trim();
  if (s.startsWith('SHA256:')) {
    const b64 = s.slice('SHA256:'.length);
    if (!/^[A-Za-z0-9+/]{43}=?$/.test(b64)) throw new HostKeyPinError(`"${shown(s)}" is not a SHA256 fingerprint (SHA256: and 43 base64 characters, as ssh-keygen -lf prints it)`);
    return { fingerprint: `SHA256:${b64.replace(/=$/, '')}` };
  }
  if (/^MD5:/i.test(s) || /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(s)) throw new HostKeyPinError(`"${s}" is an MD5 fingerprint, too weak to pin: give the SHA256:... fingerprint (ssh-keygen -lf -E sha256)`);
  const fields = s.split(/\s+/);
  // @cert-authority and @revoked lines describe other keys than the server's own: not a pin.
  if (fields[0]?.startsWith('@')) throw new HostKeyPinError(`known_hosts lines marked ${fields[0]} are not supported: pin the server's own key`);
  // A known_hosts line has the host names first; a .pub line starts with the type.
  const at = fields.findIndex((f) => KEY_TYPE.test(f));
  const type = fields[at];
  const data = fields[at + 1];
  if (at < 0 || at > 1 || type === undefined || data === undefined) {
    throw new HostKeyPinError(`"${shown(s)}" is neither a SHA256:... fingerprint nor a known_hosts line ([host] key-type base64-key, as ssh-keyscan prints it)`);
  }
  const blob = Buffer.from(data, 'base64');
  // Node's base64 decoding skips what it cannot read: a real key blob starts with its own type name.
  if (keyTypeOf(blob) !== type) throw new HostKeyPinError(`the ${type} key in "${shown(s)}" is not a ${type} public key in base64`);
  return { fingerprint: fingerprintOf(blob), type };
}

/** Reads every pin; at least one is required. */
export function parseHostKeyPins(texts: readonly string[]): HostKeyPin[] {
  if (texts.length === 0) throw new HostKeyPinError('no host key is pinned: give the repository\'s SHA256:... fingerprint or known_hosts line');
  return texts.map(parseHostKeyPin);
}

/**
 * The host key algorithms to ask the server for, when every pin carries its key: a server holding several keys
 * then presents one we pinned (as OpenSSH prefers the types it knows for a host) instead of its favourite. With
 * a bare fingerprint among the pins the type is unknown and ssh2's own order applies (undefined).
 */
export function hostKeyAlgorithms(pins: readonly HostKeyPin[]): string[] | undefined {
  if (pins.some((p) => p.type === undefined)) return undefined;
  const out = new Set<string>();
  for (const p of pins) {
    // ssh2 signs with RSA keys under these three names; OpenSSH servers prefer the SHA-2 ones.
    if (p.type === 'ssh-rsa') for (const a of ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']) out.add(a);
    else if (p.type === 'ssh-ed25519' || p.type === 'ssh-dss' || p.type!.startsWith('ecdsa-sha2-')) out.add(p.type!);
    else return undefined; // a type ssh2 does not name as a host key algorithm: leave its defaults
  }
  return [...out];
}

/**
 * One connection's host key check: `verify` is ssh2's hostVerifier (the key blob the server offered); after a
 * failed connection `refusal` says which key was offered and which were expected, or undefined when the key was
 * never refused (the failure was something else).
 */
export function hostKeyCheck(pins: readonly HostKeyPin[], where: string): { verify(blob: Buffer): boolean; refusal(): HostKeyRefusedError | undefined } {
  let refused: { type: string; fingerprint: string } | undefined;
  return {
    verify(blob: Buffer): boolean {
      const fingerprint = fingerprintOf(blob);
      if (pins.some((p) => p.fingerprint === fingerprint)) return true;
      refused = { type: keyTypeOf(blob) ?? 'unknown type', fingerprint };
      return false;
    },
    refusal(): HostKeyRefusedError | undefined {
      if (!refused) return undefined;
      return new HostKeyRefusedError(
        `sftp ${where}: host key refused: the server offered ${refused.type} ${refused.fingerprint}, expected ${pins.map((p) => p.fingerprint).join(' or ')} ` +
        '(the repository\'s channel.hostKey); if the repository changed its key, confirm the new one with them and pin it');
    },
  };
}
