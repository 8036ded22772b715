import { CliError } from './cli-error.ts';

const USAGE =
  'usage: ledger audit <verify|export|receipt|log-key> ...\n' +
  '  log-key                                                                    print the checkpoint verifier key of the ledger in LEDGER_DATA_DIR (for the deployment\'s README)\n' +
  '  verify (--from <ledger URL> | --export <dir or .ndjson> [--log-key <file>])  recompute the log\'s tree and check every checkpoint against it\n' +
  '  export <dir> --from <ledger URL>                                           copy the log, its key, checkpoint and tiles for an offline verify\n' +
  '  receipt <file> --jwks <file|url> --log-key <vkey|file|url> [--document <file>] [--json]\n' +
  '                                                                             check an act\'s receipt offline: the ledger\'s signature, its commitment in the log, inclusion under the signed checkpoint';

const subcommands: Record<string, (args: string[]) => Promise<void>> = {
  'log-key': async () => printLogKey(),
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

/**
 * The verifier key of this deployment's checkpoints, from its key file and LEDGER_LOG_ORIGIN: what an
 * operator publishes beside the ledger (its README, a transparency page), so auditors pin it once
 * and do not take it from the ledger they check.
 */
async function printLogKey(): Promise<void> {
  const [{ loadConfig }, { LedgerKeys }] = await Promise.all([import('../config.ts'), import('../app/ledger-keys.ts')]);
  const config = loadConfig();
  const keys = await LedgerKeys.open(config.dataDir);
  process.stdout.write(`${keys.logVerifierKey(config.log.origin)}\n`);
}
