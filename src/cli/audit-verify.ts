import { type Divergence, type LogVerification, verifyLog } from '../app/audit/log-verification.ts';
import { toBase64 } from '../../tlog/index.ts';
import { ExportAuditSource } from './audit-export-source.ts';
import { HttpAuditSource } from './audit-http-source.ts';
import { CliError } from './cli-error.ts';

export const VERIFY_USAGE =
  'usage: ledger audit verify (--from <ledger base URL> | --export <export dir or events .ndjson file> [--log-key <vkey file>])\n' +
  '  --from reads the auditor feed with the token in LEDGER_AUDITOR_TOKEN';

/**
 * `ledger audit verify`: recomputes the log's tree from its events and checks every checkpoint,
 * leaf tile and consistency proof against it (src/app/audit/log-verification.ts). Prints one line
 * per check, then OK or the first divergence; exits 1 on any divergence.
 */
export async function auditVerify(args: string[]): Promise<void> {
  const options = parseArgs(args);
  const source = options.from !== undefined ? HttpAuditSource.fromEnvironment(options.from) : ExportAuditSource.open(options.export as string, options.logKey);
  const result = await verifyLog(source);
  process.stdout.write(report(result));
  if (result.divergence) process.exitCode = 1;
}

/** The report's text: a line per check, then the verdict line. */
export function report(result: LogVerification): string {
  const lines = result.summaries.map((s) => `${`${s.check}:`.padEnd(13)}${s.text}`);
  lines.push(result.divergence ? divergenceLine(result.divergence) : `OK: ${result.events} events, ${result.checkpoints} checkpoints, root ${toBase64(result.root.hash)} at ${result.root.size}`);
  return `${lines.join('\n')}\n`;
}

function divergenceLine(d: Divergence): string {
  // The log could not be read to the end: nothing is known to diverge, nothing is verified either.
  if (d.code === 'source-failed') return `UNVERIFIED: ${d.code}: ${d.detail}`;
  let where = '';
  if (d.position !== undefined) where = ` at position ${d.position}${d.sequence !== undefined ? ` (sequence ${d.sequence})` : ''}`;
  else if (d.between) {
    const { fromSequence, toSequence, fromPosition, toPosition } = d.between;
    where = ` between sequence ${fromSequence} and ${toSequence}${fromPosition !== undefined && toPosition !== undefined ? ` (positions ${fromPosition}..${toPosition})` : ''}`;
  } else if (d.sequence !== undefined) where = ` at sequence ${d.sequence}`;
  return `DIVERGENCE${where}: ${d.code}: ${d.detail}`;
}

function parseArgs(args: string[]): { from?: string; export?: string; logKey?: string } {
  const options: { from?: string; export?: string; logKey?: string } = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? args[++i] ?? fail(`${name} needs a value`);
    if (name === '--from') options.from = value();
    else if (name === '--export') options.export = value();
    else if (name === '--log-key') options.logKey = value();
    else if (name === '--token' || name.startsWith('--token')) fail('the auditor token is read from LEDGER_AUDITOR_TOKEN, never from the command line');
    else fail(`bad argument: ${arg}`);
  }
  if ((options.from === undefined) === (options.export === undefined)) fail('give exactly one of --from and --export');
  if (options.from !== undefined && options.logKey !== undefined) fail('--log-key goes with --export (--from reads the key the ledger publishes)');
  return options;
}

function fail(message: string): never {
  throw new CliError(`${message}\n${VERIFY_USAGE}`);
}
