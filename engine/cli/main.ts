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
  'dead-letters': { summary: 'events followers set aside: `swaprep dead-letters list [--follower F] [--status S] [--json]`, `retry ID|--all`', load: () => import('./dead-letters.js') },
  train: { summary: 'train, evaluate and record an anomaly-scoring model version (--from db|synthetic|generator|FILE, --activate)', load: () => import('./train.js') },
  score: { summary: 'score JSON/JSONL records offline with the active or a named model version, one JSON line each', load: () => import('./score.js') },
  gpu: { summary: 'CUDA for the scoring pool: `swaprep gpu install-cuda` (provider for onnxruntime-node 1.29.0), `swaprep gpu status`', load: () => import('./gpu.js') },
  validate: { summary: 'validate JSON/JSONL records against the rulebook, without an engine or database', load: () => import('./validate.js') },
  conformance: { summary: "swaprep's findings vs DRR 6.10's validation counts, sample by sample, with a reason per difference (--out docs/conformance.md)", load: () => import('./conformance.js') },
  replay: { summary: 'replay JSON/JSONL/CSV files through the engine (resumable, a rejects file per input; --watch DIR)', load: () => import('./replay.js') },
  loadtest: { summary: 'open-loop FEP load driver: --to tcp://|grpc://HOST:PORT --rate N --duration 30s, JSON summary', load: () => import('./loadtest.js') },
  'sdr-sim': { summary: 'simulated swap data repository (HTTP API + SFTP, ACK/NACK, faults on command), for tests and load runs', load: () => import('./sdr-sim.js') },
  report: { summary: 'make a report on demand: `swaprep report KIND --date D --out FILE` (daily-activity, open-trades, exceptions, ...)', load: () => import('./report.js') },
  reconcile: { summary: 'check accepted events against ACKs/open exceptions and the repository state report', load: () => import('./reconcile.js') },
  calendar: { summary: "a regime's holidays for a year, as JSON lines: `swaprep calendar --regime cftc-part45|ktfc --year 2027`", load: () => import('./calendar.js') },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
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

// `swaprep validate ... | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`swaprep: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
