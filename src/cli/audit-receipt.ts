import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { JSONWebKeySet } from 'jose';
import { ReceiptKeysError, checkReceipt, type ReceiptVerdict } from '../app/acts/receipt-check.ts';
import { CliError } from './cli-error.ts';

const USAGE = 'usage: ledger audit receipt <receipt.json> --jwks <file|url> --log-key <vkey|file|url> [--document <file>] [--json]';

interface Options {
  receipt: string;
  jwks: string;
  logKey: string;
  document?: string;
  json: boolean;
}

/**
 * `ledger audit receipt`: checks a receipt with nothing but the ledger's JWK set and the log's
 * verifier key (files kept since, or fetched once from the ledger's /.well-known/jwks.json and
 * /api/v1/audit/log-key), and optionally the file it is for. Offline when both are files. Exits 0 only
 * when the receipt is genuine, in the log and, with --document, for that file.
 */
export async function auditReceipt(args: string[]): Promise<void> {
  const options = parseArgs(args);
  const receipt = receiptIn(await readJson(options.receipt, 'the receipt'));
  const jwks = (await readJson(options.jwks, 'the JWK set')) as JSONWebKeySet;
  const logKey = options.logKey.includes('+') && !(await isFile(options.logKey)) ? options.logKey : (await readText(options.logKey, 'the log key')).trim();
  const documentHash = options.document === undefined ? undefined : await sha256Of(options.document);
  let verdict: ReceiptVerdict;
  try {
    verdict = await checkReceipt(receipt, { jwks, logKey }, documentHash);
  } catch (error) {
    if (error instanceof ReceiptKeysError) throw new CliError(error.message);
    throw error;
  }
  const holds = verdict.genuine && verdict.inLog && verdict.matchesDocument !== false;
  process.stdout.write(options.json ? `${JSON.stringify({ holds, ...verdict, ...(documentHash ? { documentHash } : {}) }, null, 2)}\n` : report(verdict, documentHash));
  if (!holds) process.exitCode = 1;
}

/** A receipt file holds the receipt itself, or the whole act as GET /api/v1/acts/{actId} answered it. */
function receiptIn(value: unknown): unknown {
  return typeof value === 'object' && value !== null && 'receipt' in value && !('jws' in value) ? (value as { receipt: unknown }).receipt : value;
}

function report(v: ReceiptVerdict, documentHash: string | undefined): string {
  const yes = (b: boolean) => (b ? 'yes' : 'NO');
  const lines = [`genuine:   ${yes(v.genuine)}${v.claims ? `  (act ${v.claims.actId}, ${v.claims.method}, authorized ${v.claims.authorizedAt} for ${v.claims.providerName})` : ''}`];
  lines.push(`in log:    ${yes(v.inLog)}${v.checkpoint ? `  (${v.checkpoint.origin}, under the checkpoint of tree size ${v.checkpoint.treeSize}${v.claims ? `, leaf ${v.claims.sequence - 1}` : ''})` : ''}`);
  if (documentHash !== undefined) lines.push(`document:  ${v.matchesDocument ? 'matches' : 'DIFFERS'}  (SHA-256 ${documentHash}${v.claims && !v.matchesDocument ? `; the receipt is for ${v.claims.documentHash}` : ''})`);
  if (v.problems.length > 0) lines.push(`problems:  ${v.problems.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function parseArgs(args: string[]): Options {
  const named: Record<string, string> = {};
  const positional: string[] = [];
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') json = true;
    else if (['--jwks', '--log-key', '--document'].includes(arg)) {
      const value = args[++i];
      if (value === undefined) throw new CliError(`${arg} needs a value\n${USAGE}`);
      named[arg] = value;
    } else if (arg.startsWith('--')) throw new CliError(`bad argument: ${arg}\n${USAGE}`);
    else positional.push(arg);
  }
  if (positional.length !== 1) throw new CliError(USAGE);
  const jwks = named['--jwks'];
  const logKey = named['--log-key'];
  if (!jwks || !logKey) throw new CliError(`--jwks and --log-key are both needed: the receipt is checked against them and nothing else\n${USAGE}`);
  return { receipt: positional[0]!, jwks, logKey, json, ...(named['--document'] ? { document: named['--document'] } : {}) };
}

const isUrl = (source: string) => /^https?:\/\//.test(source);

async function isFile(source: string): Promise<boolean> {
  return readFile(source).then(
    () => true,
    () => false,
  );
}

async function readText(source: string, what: string): Promise<string> {
  try {
    if (!isUrl(source)) return await readFile(source, 'utf8');
    const response = await fetch(source, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${source} answered ${response.status}`);
    return await response.text();
  } catch (error) {
    throw new CliError(`${what} could not be read from ${source}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function readJson(source: string, what: string): Promise<unknown> {
  const text = await readText(source, what);
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${what} (${source}) is not JSON`);
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (error) {
    throw new CliError(`the document could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  return hash.digest('hex');
}
