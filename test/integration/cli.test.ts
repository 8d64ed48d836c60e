import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../engine/project-root.js';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { startChildEngine } from '../../loadtest/engine-process.js';
import { createTestDatabase } from '../support/database.js';

const run = promisify(execFile);
const cli = join(projectRoot(), 'dist', 'engine', 'cli', 'main.js');

describe('the swaprep command', () => {
  it('lists its subcommands under --help and names an unknown one', async () => {
    const help = await run(process.execPath, [cli, '--help']);
    expect(help.stdout).toMatch(/serve\s/);
    expect(help.stdout).toMatch(/source\s/);
    const serveHelp = await run(process.execPath, [cli, 'serve', '--help']);
    expect(serveHelp.stdout).toContain('--tcp-port');
    const unknown = await run(process.execPath, [cli, 'frobnicate']).catch((e: { code: number; stderr: string }) => e);
    expect(unknown).toMatchObject({ code: 2 });
    expect((unknown as { stderr: string }).stderr).toContain('unknown command "frobnicate"');
  });

  it('`source add` prints a token that a FEP can then log in with', async () => {
    const databaseUrl = await createTestDatabase('cli');
    const { stdout } = await run(process.execPath, [cli, 'source', 'add', 'desk-7'], { env: { ...process.env, DATABASE_URL: databaseUrl } });
    const token = stdout.trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const engine = await startChildEngine({ DATABASE_URL: databaseUrl });
    try {
      const client = await FepTcpClient.connect(engine.tcpPort);
      expect(await client.hello('desk-7', token)).toBe(0);
      await client.close();
      const wrong = await FepTcpClient.connect(engine.tcpPort);
      await expect(wrong.hello('desk-7', token + 'x')).rejects.toThrow(/AUTH_FAILED/);
    } finally {
      engine.process.kill('SIGTERM');
      expect(await engine.exited).toBe(0);
    }
  });
});
