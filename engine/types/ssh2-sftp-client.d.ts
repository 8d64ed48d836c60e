// Minimal typings for ssh2-sftp-client 12 (the package ships none; @types/ssh2-sftp-client would replace this):
// only the members engine/submission/channels/sftp.ts uses.
declare module 'ssh2-sftp-client' {
  export interface ConnectOptions {
    host: string;
    port: number;
    username: string;
    password?: string;
    /** OpenSSH or PEM private key text for publickey authentication. */
    privateKey?: string | Buffer;
    readyTimeout?: number;
    retries?: number;
    /** Host key check: the server's public key blob (SSH wire format); return false to refuse it. */
    hostVerifier?: (key: Buffer) => boolean;
    /** ssh2's algorithm lists; serverHostKey: the host key types asked for, in order. */
    algorithms?: { serverHostKey?: string[] };
  }
  export interface FileInfo {
    type: 'd' | '-' | 'l';
    name: string;
    size: number;
    modifyTime: number;
  }
  export default class SftpClient {
    constructor(name?: string);
    connect(options: ConnectOptions): Promise<unknown>;
    put(input: Buffer | string, remotePath: string): Promise<string>;
    get(remotePath: string): Promise<Buffer>;
    list(remotePath: string): Promise<FileInfo[]>;
    rename(from: string, to: string): Promise<string>;
    delete(remotePath: string, notFoundOK?: boolean): Promise<string>;
    exists(remotePath: string): Promise<false | 'd' | '-' | 'l'>;
    mkdir(remotePath: string, recursive?: boolean): Promise<string>;
    end(): Promise<boolean>;
    on(event: 'error' | 'end' | 'close', listener: (err?: Error) => void): void;
  }
}
