import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditLogSource } from '../app/audit/log-verification.ts';
import { formatTilePath, TILE_WIDTH } from '../../tlog/index.ts';
import { CliError } from './cli-error.ts';

/** The files of an export (`ledger audit export <dir>`), relative to its directory. */
export const EXPORT_FILES = { events: 'events.ndjson', logKey: 'log-key.vkey', checkpoint: 'checkpoint', tiles: 'tile' } as const;

/**
 * A log exported to files: a directory as `ledger audit export` writes it (events, log key, latest
 * checkpoint, level-0 tiles), or a lone NDJSON file of the feed with the log key beside it, whose
 * checkpoints are then only those recorded in the log itself.
 */
export class ExportAuditSource implements AuditLogSource {
  private constructor(
    private readonly events: string,
    private readonly vkey: string,
    private readonly dir: string | undefined,
  ) {}

  static open(path: string, logKeyFile: string | undefined): ExportAuditSource {
    if (!existsSync(path)) throw new CliError(`--export: ${path} does not exist`);
    if (statSync(path).isDirectory()) {
      const events = join(path, EXPORT_FILES.events);
      if (!existsSync(events)) throw new CliError(`--export: ${path} holds no ${EXPORT_FILES.events} (write one with ledger audit export)`);
      return new ExportAuditSource(events, readKey(logKeyFile ?? join(path, EXPORT_FILES.logKey)), path);
    }
    if (!logKeyFile) throw new CliError('--export with a single .ndjson file needs --log-key <file> (the vkey of GET /api/v1/audit/log-key)');
    return new ExportAuditSource(path, readKey(logKeyFile), undefined);
  }

  async logKey(): Promise<string> {
    return this.vkey;
  }

  async latestCheckpoint(): Promise<string | undefined> {
    const file = this.dir && join(this.dir, EXPORT_FILES.checkpoint);
    return file && existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }

  async *lines(): AsyncGenerator<string> {
    yield* createInterface({ input: createReadStream(this.events, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  }

  async leafTile(index: number, width: number): Promise<Uint8Array | undefined> {
    if (!this.dir) return undefined;
    for (const w of width < TILE_WIDTH ? [width, TILE_WIDTH] : [width]) {
      const file = join(this.dir, formatTilePath({ level: 0, index, width: w }));
      if (!existsSync(file)) continue;
      const bytes = new Uint8Array(readFileSync(file));
      // The tile asked for as it is (the verifier checks its length); a fuller one cut to the width.
      return w === width ? bytes : bytes.subarray(0, width * 32);
    }
    return undefined;
  }
}

function readKey(file: string): string {
  if (!existsSync(file)) throw new CliError(`the log key file ${file} does not exist`);
  return readFileSync(file, 'utf8');
}
