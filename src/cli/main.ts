import { loadConfig } from '../config.ts';

const commands: Record<string, { summary: string; run: (args: string[]) => Promise<void> }> = {
  serve: { summary: 'answer HTTP (embedded mode also runs projections and jobs)', run: async (args) => (await import('./serve.ts')).serve(loadConfig(), args) },
  openapi: { summary: 'write openapi/openapi.json from the route schemas', run: async () => (await import('./openapi.ts')).writeOpenApi() },
  demo: { summary: 'a provider client: register an act for a file and authorize it (see src/cli/demo.ts)', run: async (args) => (await import('./demo.ts')).demo(args) },
  keys: {
    summary: 'keys rotate: add a new ActAs signing key (older ones stay published); restart servers to use it',
    run: async (args) => {
      if (args[0] !== 'rotate') throw new Error('usage: ledger keys rotate');
      const { LedgerKeys } = await import('../app/ledger-keys.ts');
      const key = await (await LedgerKeys.open(loadConfig().dataDir)).rotate();
      process.stdout.write(`new signing key ${key.kid}; restart every ledger process to sign with it\n`);
    },
  },
  bench: { summary: 'run the benchmarks (ratios against a bare fastify route)', run: async (args) => (await import('../../bench/run.ts')).runBenchmarks(args) },
  worker: { summary: 'run projections and jobs (retention purge, expiry sweep) without HTTP', run: async () => (await import('./worker.ts')).worker(loadConfig()) },
  purge: {
    summary: 'purge [--dry-run]: erase now the failed authorizations past the retention (--dry-run: only list them)',
    run: async (args) => (await import('./purge.ts')).purge(loadConfig(), args),
  },
};

/** `ledger <command>`: the one entry point of the CLI. */
export async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stdout.write(`usage: ledger <command>\n\n${Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`).join('\n')}\n`);
    process.exitCode = name ? 2 : 0;
    return;
  }
  await command.run(args);
}

export function registerCommand(name: string, summary: string, run: (args: string[]) => Promise<void>): void {
  commands[name] = { summary, run };
}
