import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { formatTilePath, parseCheckpoint, parseNote, TILE_WIDTH } from '../../tlog/index.ts';
import { EXPORT_FILES } from './audit-export-source.ts';
import { HttpAuditSource } from './audit-http-source.ts';
import { CliError } from './cli-error.ts';

export const EXPORT_USAGE = 'usage: ledger audit export <dir> --from <ledger base URL>   (auditor token in LEDGER_AUDITOR_TOKEN)';

/**
 * `ledger audit export <dir>`: copies what `ledger audit verify --export <dir>` checks later,
 * without the ledger: the feed's lines (events.ndjson), the log key, the latest signed checkpoint
 * and the level-0 tiles under it. The checkpoint is taken first, so the events cover it.
 */
export async function auditExport(args: string[]): Promise<void> {
  const { dir, from } = parseArgs(args);
  const source = HttpAuditSource.fromEnvironment(from);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, EXPORT_FILES.logKey), await source.logKey());
  const checkpoint = await source.latestCheckpoint();
  let tiles = 0;
  if (checkpoint !== undefined) {
    writeFileSync(join(dir, EXPORT_FILES.checkpoint), checkpoint);
    // Unverified here: the export copies, `audit verify` judges.
    const { size } = parseCheckpoint(parseNote(checkpoint).text);
    for (let index = 0; index * TILE_WIDTH < size; index++, tiles++) {
      const width = Math.min(TILE_WIDTH, size - index * TILE_WIDTH);
      const bytes = await source.leafTile(index, width);
      if (!bytes) throw new CliError(`the ledger serves no level-0 tile ${index} (width ${width}) for its checkpoint of ${size} events`);
      const file = join(dir, formatTilePath({ level: 0, index, width }));
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, bytes);
    }
  }
  const out = createWriteStream(join(dir, EXPORT_FILES.events));
  let events = 0;
  for await (const line of source.lines()) {
    if (line === '') continue;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
    events++;
  }
  out.end();
  await once(out, 'finish');
  process.stdout.write(`exported ${events} events, ${checkpoint === undefined ? 'no checkpoint' : 'the latest checkpoint'} and ${tiles} level-0 tiles to ${dir}\n`);
}

function parseArgs(args: string[]): { dir: string; from: string } {
  let dir: string | undefined;
  let from: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--from') from = args[++i];
    else if (arg.startsWith('--from=')) from = arg.slice('--from='.length);
    else if (!arg.startsWith('--') && dir === undefined) dir = arg;
    else throw new CliError(`bad argument: ${arg}\n${EXPORT_USAGE}`);
  }
  if (!dir || !from) throw new CliError(EXPORT_USAGE);
  return { dir, from };
}
