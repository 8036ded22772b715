import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { LedgerConfig } from '../config.ts';
import { ledgerFiles, moveToOwnFiles } from '../composition/stores.ts';
import { openSqlite } from '../adapters/sqlite/database.ts';
import type { ProjectionMoveReport } from '../adapters/sqlite/read-model-move.ts';
import { recordedFormat } from '../adapters/sqlite/event-file-format.ts';
import { MigrationRefusedError, migrateEventFile, refuseWhileRunning } from '../adapters/sqlite/event-file-migration.ts';
import { CliError } from './cli-error.ts';

const USAGE = 'usage: ledger store info | ledger store migrate [--json]';

/**
 * `ledger store info`: the event file's layout and size. `ledger store migrate`: copies an event
 * file of layout 1 (versions before 2026-12) into the compact layout, checks every event of the
 * copy, and puts it in place, keeping the original beside it (src/adapters/sqlite/event-file-migration.ts);
 * then moves the read models that have files of their own out of the shared read-model file
 * (src/adapters/sqlite/read-model-move.ts).
 * Stop every ledger process on the data dir first; the migration refuses while one holds its leases.
 */
export async function store(config: LedgerConfig, args: string[]): Promise<void> {
  const [command, ...rest] = args;
  const json = rest.includes('--json');
  const unknown = rest.filter((a) => a !== '--json');
  if (unknown.length > 0 || (command !== 'info' && command !== 'migrate')) throw new CliError(USAGE);
  if (config.eventStore.kind !== 'sqlite') throw new CliError(`the events are in ${config.eventStore.kind} (LEDGER_EVENT_STORE), not in the data dir's file: nothing here to ${command}`);
  const file = ledgerFiles(config.dataDir).events;
  if (!existsSync(file)) throw new CliError(`${file} does not exist (LEDGER_DATA_DIR=${config.dataDir})`);
  if (command === 'info') return info(file, json);

  try {
    const report = migrateEventFile(file, { progress: (line) => process.stderr.write(`${line}\n`) });
    const readModels = moveReadModels(config.dataDir, file);
    if (json) return print(JSON.stringify({ ...report, readModels }, null, 2));
    const lines: string[] = [];
    if (!report.migrated) lines.push(`${file}: ${report.reason}; nothing to do`);
    else {
      const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
      lines.push(
        `migrated ${file} from layout ${report.from} to layout ${report.to}: ${report.events} events, ${report.dataKeys} data keys, ` +
          `${Object.keys(report.tables).length} other tables, each checked against the original (copied in ${(report.copyMs / 1000).toFixed(1)} s, checked in ${(report.checkMs / 1000).toFixed(1)} s); ` +
          `${mib(report.bytesBefore)} before, ${mib(report.bytesAfter)} after.\n` +
          `The original is kept as ${report.previousFile}: remove it once the ledger runs well on the new file.`,
      );
    }
    for (const move of readModels) {
      if (move.moved) lines.push(`moved the read model ${move.projection} into a file of its own: ${move.tables} tables, ${move.rows} rows, each checked against the original (${(move.ms / 1000).toFixed(1)} s)`);
    }
    print(lines.join('\n'));
  } catch (error) {
    if (error instanceof MigrationRefusedError) throw new CliError(error.message);
    throw error;
  }
}

function info(file: string, json: boolean): void {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const format = recordedFormat(db);
    const events = format === 'new' ? 0 : ((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number } | undefined)?.n ?? 0);
    const bytes = statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
    const report = { file, layout: format === 'new' ? null : format, events, bytes };
    if (json) return print(JSON.stringify(report, null, 2));
    const layout = format === 'new' ? 'empty' : format === 1 ? 'layout 1 (written by a version before 2026-12; `ledger store migrate` makes it compact)' : 'layout 2 (compact)';
    print(`${file}: ${layout}, ${events} events, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    db.close();
  }
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** The projections kept in files of their own, moved out of the shared read-model file of an older data dir. */
function moveReadModels(dataDir: string, eventFile: string): ProjectionMoveReport[] {
  const db = openSqlite(eventFile);
  try {
    refuseWhileRunning(db, eventFile, Date.now());
  } finally {
    db.close();
  }
  return moveToOwnFiles(dataDir);
}
