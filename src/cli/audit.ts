import { CliError } from './cli-error.ts';

const USAGE = [
  'usage: ledger audit <verify|receipt> ...',
  '  verify  [--from <url> | --export <dir or file>]   recompute the log\'s tree and check every signed checkpoint',
  '  receipt <file> --jwks <file|url> --log-key <vkey|file|url> [--document <file>] [--json]',
  '          check an act\'s receipt offline: the ledger\'s signature, its commitment in the log, inclusion under the signed checkpoint',
].join('\n');

/** `ledger audit <subcommand>`: each subcommand lives in its own module, loaded only when asked for. */
export async function audit(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case 'receipt':
      return (await import('./audit-receipt.ts')).auditReceipt(rest);
    case 'verify':
      // Built beside this one (src/cli/audit-verify.ts); until it is here, say so rather than pretend.
      throw new CliError('ledger audit verify is not available in this build');
    default:
      throw new CliError(subcommand ? `unknown audit subcommand: ${subcommand}\n${USAGE}` : USAGE);
  }
}
