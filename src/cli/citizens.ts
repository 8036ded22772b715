import { createReadStream, statSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { DomainError } from '../../commands/errors.ts';
import type { LedgerConfig } from '../config.ts';
import { buildLedger } from '../composition/ledger.ts';
import { createLogger } from '../logger.ts';
import type { RegistryOutcome } from '../app/citizens/citizen-admin.ts';
import { CliError } from './cli-error.ts';

const USAGE = 'usage: ledger citizens import <file.ndjson>';

/** A line longer than this is refused unread: a person's record with 20 devices stays far below it. */
const MAX_LINE_CHARS = 256 * 1024;

/**
 * `ledger citizens import <file.ndjson>`: one person per line, `{ aifo, displayName?, country, phone?,
 * phoneVerified, phoneAllowed, mobileKeys?: [{ fcmToken, label, publicKey? }] }`, checked as the admin
 * citizen API checks its bodies. Read line by line (a file of millions of persons is never held in
 * memory) and idempotent: a line the registry already holds writes nothing and counts as unchanged.
 * Counts go to stdout, each refused line (number and reason, never its content) to stderr; the exit
 * code is 1 when a line was refused. The import records one CitizensImported event with its counts,
 * as `operator:<os user>@<host>` (the CLI holds no admin token); its lines are not recorded one by
 * one, since a national import would write millions of events that say no more than the summary.
 */
export async function citizens(config: LedgerConfig, args: string[]): Promise<void> {
  if (args[0] !== 'import' || args.length !== 2) throw new CliError(USAGE);
  const file = args[1]!;
  try {
    if (!statSync(file).isFile()) throw new CliError(`${file} is not a file\n${USAGE}`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }

  // Logs go to stderr: stdout carries the counts.
  const ledger = await buildLedger(config, { runJobs: false, logger: createLogger(config.logLevel, pino.destination({ dest: 2, sync: true })) });
  const counts: Record<RegistryOutcome | 'refused', number> = { created: 0, updated: 0, unchanged: 0, refused: 0 };
  const { citizenAdmin, registryAudit } = ledger.services;
  try {
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    let number = 0;
    for await (const text of lines) {
      number++;
      if (text.trim() === '') continue;
      try {
        counts[await citizenAdmin.importLine(parseLine(text))]++;
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        counts.refused++;
        process.stderr.write(`line ${number}: refused: ${error.message}\n`);
      }
    }
  } finally {
    // Also when the import stopped half-way: the lines before it are written, and someone wrote them.
    try {
      await registryAudit.citizensImported(counts, operatorActor());
    } finally {
      await ledger.close();
    }
  }
  process.stdout.write(`imported ${file}: created ${counts.created}, updated ${counts.updated}, unchanged ${counts.unchanged}, refused ${counts.refused}\n`);
  if (counts.refused > 0) process.exitCode = 1;
}

/** Who ran the import, as the machine knows them: the CLI's actor, since it holds no admin token. */
export function operatorActor(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for the uid (a container started with --user): the environment's name, if any.
    user = process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  }
  return `operator:${user}@${hostname()}`;
}

/** The line's JSON; a parse error's message is not repeated, since it quotes the line (personal data). */
function parseLine(text: string): unknown {
  if (text.length > MAX_LINE_CHARS) throw new DomainError('invalid-request', `longer than ${MAX_LINE_CHARS} characters`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DomainError('invalid-request', 'not JSON');
  }
}
