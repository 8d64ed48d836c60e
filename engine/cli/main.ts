#!/usr/bin/env node
/**
 * The `swaprep` command. Each subcommand lives in its own module, loaded only when used, so that
 * `swaprep validate` does not pay for the engine's dependencies.
 */
interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const commands: Record<string, Command> = {
  serve: { summary: 'run the engine (FEP over TCP and gRPC, HTTP /healthz and /metrics)', load: () => import('./serve.js') },
  source: { summary: 'manage FEP sources: `swaprep source add ID` prints a new token', load: () => import('./source.js') },
  validate: { summary: 'validate JSON/JSONL records against the rulebook, without an engine or database', load: () => import('./validate.js') },
  replay: { summary: 'replay JSON/JSONL/CSV files through the engine (resumable, a rejects file per input; --watch DIR)', load: () => import('./replay.js') },
  loadtest: { summary: 'open-loop FEP load driver: --to tcp://|grpc://HOST:PORT --rate N --duration 30s, JSON summary', load: () => import('./loadtest.js') },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: swaprep <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun \`swaprep <command> --help\` for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`swaprep: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`swaprep: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
