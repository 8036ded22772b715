import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from './cli-error.ts';

const USAGE =
  'usage: ledger audit <verify|export|receipt> ...\n' +
  '  verify (--from <ledger URL> | --export <dir or .ndjson> [--log-key <file>])  recompute the log\'s tree and check every checkpoint against it\n' +
  '  export <dir> --from <ledger URL>                                           copy the log, its key, checkpoint and tiles for an offline verify\n' +
  '  receipt <file>                                                             check an act receipt offline';

const subcommands: Record<string, (args: string[]) => Promise<void>> = {
  verify: async (args) => (await import('./audit-verify.ts')).auditVerify(args),
  export: async (args) => (await import('./audit-export.ts')).auditExport(args),
  receipt: async (args) => (await receiptModule()).receipt(args),
};

/** `ledger audit ...`: the auditor's tools; --from reads the ledger with LEDGER_AUDITOR_TOKEN. */
export async function audit(args: string[]): Promise<void> {
  const [name, ...rest] = args;
  const run = name ? subcommands[name] : undefined;
  if (!run) throw new CliError(USAGE);
  await run(rest);
}

// Receipts are built beside this (./audit-receipt.ts); a build without them says so instead of crashing.
async function receiptModule(): Promise<{ receipt: (args: string[]) => Promise<void> }> {
  const here = fileURLToPath(import.meta.url);
  try {
    return (await import(new URL(`./audit-receipt${extname(here)}`, import.meta.url).href)) as { receipt: (args: string[]) => Promise<void> };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new CliError('ledger audit receipt is not available in this build');
  }
}
