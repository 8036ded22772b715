import { startLedgerUnderLoad, type LedgerUnderLoad } from './ledger-fixture.ts';
import { measure, type LoadSettings, type Measurement } from './measure.ts';
import type { BenchContext, Scenario } from './scenario.ts';
import { scenarios, workloads } from './scenarios/index.ts';

const USAGE = 'usage: npm run bench -- [--duration <seconds, 1-60, default 5>] [--connections <1-500, default 50>] [--only <id,id>]';

interface Row {
  scenario: Scenario;
  result: Measurement;
  /** The bare route measured just before this row: the ratio's denominator. */
  bare: Measurement;
  note?: string;
}

/**
 * `ledger bench`: every scenario in turn against loopback, then one table with ratios to the bare
 * route. The bare route is measured again right before each row and the row is divided by that
 * figure: the speed of a shared machine drifts by a third within minutes, and a ratio to a bare
 * figure taken minutes apart would carry that drift.
 */
export async function runBenchmarks(args: string[]): Promise<void> {
  const { settings, only } = parseArgs(args);
  const baseline = scenarios.find((s) => s.baseline);
  if (!baseline) throw new Error('no baseline scenario');
  const chosenWorkloads = workloads.filter((w) => !only || only.includes(w.id));
  // `--only` naming workloads alone skips the HTTP table (and its baseline).
  const onlyWorkloads = only !== undefined && !scenarios.some((s) => !s.baseline && only.includes(s.id)) && chosenWorkloads.length > 0;
  const chosen = onlyWorkloads ? [] : scenarios.filter((s) => s.baseline || !only || only.includes(s.id));
  if (chosen.length > 0) {
    process.stdout.write(
      `${chosen.length} routes, ${settings.durationS} s each, ${settings.connections} connections, loopback; ` +
        `each server in its own process (the ledger as \`ledger serve\` on SQLite), load generator in this process\n`,
    );
  }
  // Interrupted, the bench still exits through the 'exit' hooks that kill the servers and remove their data dirs.
  const interrupted = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  let ledger: Promise<LedgerUnderLoad> | undefined;
  const context: BenchContext = { settings, ledger: () => (ledger ??= startLedgerUnderLoad()) };
  const rows: Row[] = [];
  const bare = chosen.length > 0 ? await baseline.prepare(context) : undefined;
  try {
    for (const scenario of chosen) {
      const { target, note, close } = scenario === baseline ? { ...bare!, close: undefined } : await scenario.prepare(context);
      try {
        process.stdout.write(`  measuring ${scenario.route} ...\n`);
        const paired = await measure(bare!.target, settings);
        const result = scenario === baseline ? paired : await measure(target, settings);
        const text = note?.();
        rows.push({ scenario, result, bare: paired, ...(text ? { note: text } : {}) });
      } finally {
        await close?.();
      }
    }
  } finally {
    await bare?.close?.();
    if (ledger) await (await ledger).close();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
  if (rows.length > 0) process.stdout.write(`\n${table(rows)}\n`);
  for (const workload of chosenWorkloads) {
    process.stdout.write(`  measuring ${workload.name} ...\n`);
    process.stdout.write(`${workload.name}: ${await workload.run(context)}\n`);
  }
}

function parseArgs(args: string[]): { settings: LoadSettings; only?: string[] } {
  const settings: LoadSettings = { durationS: 5, connections: 50 };
  let only: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const given = args[i]!;
    const [flag, inline] = given.split('=', 2) as [string, string | undefined];
    const value = inline ?? args[++i];
    const number = Number(value);
    if (flag === '--duration' && Number.isInteger(number) && number >= 1 && number <= 60) settings.durationS = number;
    else if (flag === '--connections' && Number.isInteger(number) && number >= 1 && number <= 500) settings.connections = number;
    else if (flag === '--only' && value) only = value.split(',');
    else throw new Error(`bad argument: ${given}${inline === undefined && value !== undefined ? ` ${value}` : ''}\n${USAGE}`);
  }
  return { settings, ...(only ? { only } : {}) };
}

function table(rows: Row[]): string {
  const header = ['route', 'requests/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'bare just before', 'ratio to bare'];
  const body = rows.map(({ scenario, result, bare }) => [
    scenario.route,
    Math.round(result.okPerSecond).toLocaleString('en-US'),
    result.p50Ms.toFixed(1),
    result.p99Ms.toFixed(1),
    String(result.non2xx),
    String(result.errors),
    Math.round(bare.okPerSecond).toLocaleString('en-US'),
    bare.okPerSecond > 0 ? `${(result.okPerSecond / bare.okPerSecond).toFixed(3)}` : 'n/a',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const notes = rows.flatMap((r) => (r.note ? [`note (${r.scenario.route}): ${r.note}`] : []));
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), ...notes].join('\n');
}
