// Minimal typings for ssh2 1.17 (the package ships none; @types/ssh2 would replace this): the server side
// and SFTP subsystem that loadtest/sdr-sim/sftp-server.ts uses, and the key generator and parser.
declare module 'ssh2' {
  import type { EventEmitter } from 'node:events';

  export interface Attributes {
    mode: number;
    uid: number;
    gid: number;
    size: number;
    atime: number;
    mtime: number;
  }
  export interface FileEntry {
    filename: string;
    longname: string;
    attrs: Attributes;
  }
  export interface AuthContext {
    method: string;
    username: string;
    password?: string;
    /** publickey: the client's key (algo, SSH wire blob); signature, blob and hashAlgo once it signs. */
    key?: { algo: string; data: Buffer };
    signature?: Buffer;
    blob?: Buffer;
    hashAlgo?: string;
    accept(): void;
    reject(methods?: string[]): void;
  }
  export interface ParsedKey {
    type: string;
    comment: string;
    isPrivateKey(): boolean;
    /** The public key in SSH wire format (what a host key fingerprint is taken of). */
    getPublicSSH(): Buffer;
    verify(data: Buffer, signature: Buffer, hashAlgo?: string): boolean | Error;
  }
  export interface SFTPWrapper extends EventEmitter {
    handle(reqId: number, handle: Buffer): boolean;
    status(reqId: number, code: number, message?: string): boolean;
    data(reqId: number, data: Buffer | string): boolean;
    name(reqId: number, names: FileEntry[]): boolean;
    attrs(reqId: number, attrs: Attributes): boolean;
    on(event: 'OPEN', listener: (reqId: number, filename: string, flags: number, attrs: Attributes) => void): this;
    on(event: 'READ', listener: (reqId: number, handle: Buffer, offset: number, length: number) => void): this;
    on(event: 'WRITE', listener: (reqId: number, handle: Buffer, offset: number, data: Buffer) => void): this;
    on(event: 'FSTAT' | 'CLOSE' | 'READDIR', listener: (reqId: number, handle: Buffer) => void): this;
    on(event: 'OPENDIR' | 'STAT' | 'LSTAT' | 'REALPATH' | 'REMOVE' | 'RMDIR', listener: (reqId: number, path: string) => void): this;
    on(event: 'MKDIR' | 'SETSTAT', listener: (reqId: number, path: string, attrs: Attributes) => void): this;
    on(event: 'FSETSTAT', listener: (reqId: number, handle: Buffer, attrs: Attributes) => void): this;
    on(event: 'RENAME', listener: (reqId: number, oldPath: string, newPath: string) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
  export interface Session extends EventEmitter {
    on(event: 'sftp', listener: (accept: () => SFTPWrapper, reject: () => void) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
  export interface Connection extends EventEmitter {
    on(event: 'authentication', listener: (ctx: AuthContext) => void): this;
    on(event: 'ready' | 'close' | 'end', listener: () => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'session', listener: (accept: () => Session, reject: () => void) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    end(): void;
  }
  export interface ServerConfig {
    hostKeys: (string | Buffer)[];
  }
  export class Server extends EventEmitter {
    constructor(config: ServerConfig, connectionListener: (client: Connection) => void);
    listen(port: number, host: string, callback?: () => void): this;
    address(): { port: number; address: string };
    close(callback?: () => void): this;
  }
  export const utils: {
    generateKeyPairSync(type: 'ed25519' | 'rsa' | 'ecdsa', options?: { bits?: number }): { private: string; public: string };
    /** The parsed key, or an Error saying why it cannot be read (returned, not thrown). */
    parseKey(key: string | Buffer, passphrase?: string): ParsedKey | ParsedKey[] | Error;
    sftp: {
      STATUS_CODE: { OK: number; EOF: number; NO_SUCH_FILE: number; PERMISSION_DENIED: number; FAILURE: number; BAD_MESSAGE: number; OP_UNSUPPORTED: number };
      OPEN_MODE: { READ: number; WRITE: number; APPEND: number; CREAT: number; TRUNC: number; EXCL: number };
      flagsToString(flags: number): string | null;
    };
  };
}
