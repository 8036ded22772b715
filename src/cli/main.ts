import { loadConfig } from '../config.ts';
import { CliError } from './cli-error.ts';

const commands: Record<string, { summary: string; run: (args: string[]) => Promise<void> }> = {
  serve: { summary: 'answer HTTP (also runs projections and jobs unless LEDGER_PROJECTIONS=off)', run: async (args) => (await import('./serve.ts')).serve(loadConfig(), args) },
  openapi: { summary: 'write openapi/openapi.json from the route schemas', run: async () => (await import('./openapi.ts')).writeOpenApi() },
  demo: { summary: 'a provider client: register an act for a file and authorize it (see src/cli/demo.ts)', run: async (args) => (await import('./demo.ts')).demo(args) },
  keys: {
    summary: 'keys rotate: add a new signing key; the newest three stay in service, older ones are retired (still published); restart servers to use it',
    run: async (args) => {
      if (args[0] !== 'rotate') throw new Error('usage: ledger keys rotate');
      const { LedgerKeys } = await import('../app/ledger-keys.ts');
      const key = await (await LedgerKeys.open(loadConfig().dataDir)).rotate();
      process.stdout.write(`new signing key ${key.kid}; restart every ledger process to sign with it\n`);
    },
  },
  bench: { summary: 'run the benchmarks (ratios against a bare fastify route)', run: async (args) => (await loadBench()).runBenchmarks(args) },
  worker: { summary: 'run projections and jobs (one process at a time holds the lease), answering only /healthz /readyz /metrics', run: async () => (await import('./worker.ts')).worker(loadConfig()) },
  purge: {
    summary: 'purge [--dry-run]: erase now the failed authorizations past the retention (--dry-run: only list them)',
    run: async (args) => (await import('./purge.ts')).purge(loadConfig(), args),
  },
  replay: {
    summary: 'replay: rebuild every projection from zero into shadow read models and list what differs from the live ones (exit 1 on any difference)',
    run: async (args) => (await import('./replay.ts')).replay(loadConfig(), args),
  },
  admin: {
    summary: 'admin token --admin <id> --key <private JWK file> [--url <ledger URL>]: print a named admin\'s access token',
    run: async (args) => (await import('./admin.ts')).admin(args, () => loadConfig().publicUrl),
  },
  audit: {
    summary: 'audit verify|export|receipt: recompute the log\'s tree and check its checkpoints (--from <url>, token in LEDGER_AUDITOR_TOKEN, or --export <dir>); check an act\'s receipt offline (receipt <file> --jwks --log-key)',
    run: async (args) => (await import('./audit.ts')).audit(args),
  },
  store: {
    summary: 'store info|migrate: the event file\'s layout; migrate copies a file of an earlier version into the compact layout, checks every event, keeps the original (stop the ledger first)',
    run: async (args) => (await import('./store.ts')).store(loadConfig(), args),
  },
  citizens: {
    summary: 'citizens import <file.ndjson>: load persons and their devices into the registry, one JSON object a line (idempotent)',
    run: async (args) => (await import('./citizens.ts')).citizens(loadConfig(), args),
  },
};

/**
 * bench/ and its load generator (autocannon) belong to the development install: an
 * `npm ci --omit=dev` install (the image) lacks autocannon, and the image has no bench/ at all.
 * Loaded only here, so that no other command needs them.
 */
async function loadBench(): Promise<typeof import('../../bench/run.ts')> {
  try {
    return await import('../../bench/run.ts');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    const missing = String((error as Error).message).split('\n')[0];
    throw new CliError(
      `ledger bench needs the development install (bench/ and the devDependencies, autocannon among them), ` +
        `which this one lacks (${missing}): run it from a clone of the repository after a plain \`npm ci\`.`,
    );
  }
}

/** `ledger <command>`: the one entry point of the CLI. */
export async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stdout.write(`usage: ledger <command>\n\n${Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`).join('\n')}\n`);
    process.exitCode = name ? 2 : 0;
    return;
  }
  try {
    await command.run(args);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
}

export function registerCommand(name: string, summary: string, run: (args: string[]) => Promise<void>): void {
  commands[name] = { summary, run };
}
