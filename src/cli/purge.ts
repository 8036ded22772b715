import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { LedgerConfig } from '../config.ts';
import { buildLedger } from '../composition/ledger.ts';
import { createLogger } from '../logger.ts';

const USAGE = 'usage: ledger purge [--dry-run] [--limit <acts listed, default 10000>] [--json]';

/**
 * `ledger purge`: erases now the failed authorizations past the retention in force, once, as the
 * scheduled job would (safe beside it). `--dry-run` shows what that would erase and touches nothing.
 */
export async function purge(config: LedgerConfig, args: string[]): Promise<void> {
  const options = parseArgs(args);
  // Logs to stderr: stdout carries the answer.
  const ledger = await buildLedger(config, { runJobs: false, logger: createLogger(config.logLevel, pino.destination({ dest: 2, sync: true })) });
  try {
    const { eventStore, projections, retentionPurge } = ledger.services;
    // The purge finds acts through the read models: let them show every failure recorded so far.
    await projections.waitFor(await eventStore.headPosition(), 120_000);
    if (options.dryRun) {
      const plan = await retentionPurge.plan(options.limit);
      if (options.json) return print(JSON.stringify(plan, null, 2));
      const reasons = Object.entries(plan.byReason).map(([reason, n]) => `${reason} ${n}`).join(', ');
      print(
        `dry run: ${plan.truncated ? 'at least ' : ''}${plan.count} failed authorization${plan.count === 1 ? '' : 's'} would be erased now ` +
          `(retention ${plan.retention}: failed at or before ${plan.cutoff})${reasons ? `\n  by reason: ${reasons}` : ''}`,
      );
      for (const actId of plan.actIds) print(`  ${actId}`);
      if (plan.truncated) print(`  ... more than ${options.limit}; raise --limit to list them`);
      return;
    }
    const report = await retentionPurge.run(`cli:${randomUUID()}`);
    if (options.json) return print(JSON.stringify(report, null, 2));
    print(
      `erased ${report.erasedActs} failed authorization${report.erasedActs === 1 ? '' : 's'} (retention ${report.retention}: failed at or before ${report.cutoff}); ` +
        `${report.recordedActs} recorded in the retention stream, ${report.keysDestroyed} data keys destroyed, in ${report.ms} ms`,
    );
  } finally {
    await ledger.close();
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function parseArgs(args: string[]): { dryRun: boolean; limit: number; json: boolean } {
  const options = { dryRun: false, limit: 10_000, json: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--dry-run') options.dryRun = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--limit' || arg.startsWith('--limit=')) {
      const value = Number(arg.includes('=') ? arg.split('=')[1] : args[++i]);
      if (!Number.isInteger(value) || value < 1 || value > 1_000_000) throw new Error(`--limit must be a whole number from 1 to 1000000\n${USAGE}`);
      options.limit = value;
    } else throw new Error(`bad argument: ${arg}\n${USAGE}`);
  }
  return options;
}
