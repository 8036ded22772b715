import { CliError } from './cli-error.ts';

const USAGE =
  'usage: ledger audit <verify|export|receipt> ...\n' +
  '  verify (--from <ledger URL> | --export <dir or .ndjson> [--log-key <file>])  recompute the log\'s tree and check every checkpoint against it\n' +
  '  export <dir> --from <ledger URL>                                           copy the log, its key, checkpoint and tiles for an offline verify\n' +
  '  receipt <file> --jwks <file|url> --log-key <vkey|file|url> [--document <file>] [--json]\n' +
  '                                                                             check an act\'s receipt offline: the ledger\'s signature, its commitment in the log, inclusion under the signed checkpoint';

const subcommands: Record<string, (args: string[]) => Promise<void>> = {
  verify: async (args) => (await import('./audit-verify.ts')).auditVerify(args),
  export: async (args) => (await import('./audit-export.ts')).auditExport(args),
  receipt: async (args) => (await import('./audit-receipt.ts')).auditReceipt(args),
};

/** `ledger audit ...`: the auditor's tools; --from reads the ledger with LEDGER_AUDITOR_TOKEN; receipt needs nothing of the ledger running. */
export async function audit(args: string[]): Promise<void> {
  const [name, ...rest] = args;
  const run = name ? subcommands[name] : undefined;
  if (!run) throw new CliError(USAGE);
  await run(rest);
}
