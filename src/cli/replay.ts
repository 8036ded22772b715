import type { LedgerConfig } from '../config.ts';
import { replayLedger } from '../composition/replay.ts';
import { CliError } from './cli-error.ts';
import type { ReplayReport } from '../app/projecting/replay.ts';

const USAGE = 'usage: ledger replay [--json] [--listed <differences shown per projection, default 20>]';

/**
 * `ledger replay`: rebuilds every projection from zero into shadow read models (never made live,
 * dropped after), compares them with the live ones at the live checkpoints, and prints what
 * differs. Exit code 1 on any difference, 0 otherwise.
 */
export async function replay(config: LedgerConfig, args: string[]): Promise<void> {
  const options = parseArgs(args);
  const report = await replayLedger(config, { listed: options.listed });
  print(options.json ? JSON.stringify(report, null, 2) : describe(report));
  if (report.differences > 0) process.exitCode = 1;
}

/** The report as an auditor reads it: one line per projection, then each listed difference. */
export function describe(report: ReplayReport): string {
  const rate = report.buildMs > 0 ? Math.round((report.events / report.buildMs) * 1000) : 0;
  const lines = [
    `replayed ${report.events} events into shadow read models in ${seconds(report.buildMs)} (${rate} events/s), compared in ${seconds(report.compareMs)}`,
  ];
  const width = Math.max(...report.projections.map((p) => `${p.projection} v${p.version}`.length));
  for (const p of report.projections) {
    const name = `${p.projection} v${p.version}`.padEnd(width);
    if (!p.upToDate) {
      lines.push(`  ${name}  not compared: the live read model was built by another version or layout (the next start of the ledger rebuilds it)`);
      continue;
    }
    const verdict = p.differenceCount === 0 ? 'no differences' : `${p.differenceCount} difference${p.differenceCount === 1 ? '' : 's'}`;
    lines.push(`  ${name}  at position ${p.position}, ${p.events} events, ${p.documents} documents compared: ${verdict}${p.liveMoving ? ' (the live read model kept moving while compared: run again)' : ''}`);
    for (const d of p.differences) lines.push(`      ${d.collection} ${d.id}: live ${shown(d.live)} | replayed ${shown(d.replayed)}`);
    if (p.differences.length < p.differenceCount) lines.push(`      ... ${p.differenceCount - p.differences.length} more`);
  }
  const projections = report.projections.filter((p) => !p.upToDate || p.differenceCount > 0).length;
  lines.push(report.differences === 0 ? 'no differences' : `differences in ${projections} projection${projections === 1 ? '' : 's'}`);
  return lines.join('\n');
}

function shown(doc: object | undefined): string {
  if (doc === undefined) return '(absent)';
  const json = JSON.stringify(doc);
  return json.length > 160 ? `${json.slice(0, 157)}...` : json;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function parseArgs(args: string[]): { json: boolean; listed: number } {
  const options = { json: false, listed: 20 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') options.json = true;
    else if (arg === '--listed' || arg.startsWith('--listed=')) {
      const value = Number(arg.includes('=') ? arg.split('=')[1] : args[++i]);
      if (!Number.isInteger(value) || value < 0 || value > 100_000) throw new CliError(`--listed must be a whole number from 0 to 100000\n${USAGE}`);
      options.listed = value;
    } else throw new CliError(`bad argument: ${arg}\n${USAGE}`);
  }
  return options;
}
