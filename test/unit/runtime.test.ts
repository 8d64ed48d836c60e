import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { projectRoot } from '../../engine/project-root.js';

const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { engines: { node: string }; dependencies: { node: string } };
const require = createRequire(join(projectRoot(), 'package.json'));

describe('the runtime', () => {
  it('is the Node.js that package.json pins, here and in the commands tests start', () => {
    // npm test, npm run and npx put node_modules/.bin (the `node` package's binary) first on the PATH.
    expect(process.version).toBe(`v${pkg.dependencies.node}`);
    // `engines` tells the truth: the same major line.
    expect(/^\^(\d+)\./.exec(pkg.engines.node)?.[1]).toBe(pkg.dependencies.node.split('.')[0]);
    const child = spawnSync(process.execPath, ['-p', 'process.version'], { encoding: 'utf8' });
    expect(child.stdout.trim()).toBe(process.version);
  });

  it('loads the native modules built or shipped for it', async () => {
    // A binary for another ABI fails here, not at the first console request or SFTP submission.
    const uws = await import('uws-pack');
    expect(typeof uws.App).toBe('function');
    const ort = await import('onnxruntime-node');
    expect(typeof ort.InferenceSession.create).toBe('function');
    // ssh2 falls back to JavaScript without its binding, silently: the binding must load.
    expect(() => require('ssh2/lib/protocol/crypto/build/Release/sshcrypto.node')).not.toThrow();
    expect(typeof (require('cpu-features') as () => unknown)()).toBe('object');
  });
});
