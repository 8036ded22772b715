// C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text of a signed tree head.
//   <origin>\n<tree size in decimal>\n<base64 root hash>\n[<extension line>\n ...]
import { fromBase64, parseDecimal, toBase64 } from './encoding.ts';
import { TlogError } from './errors.ts';
import { HASH_SIZE, type Hash } from './merkle.ts';
import { type NoteVerifier, openNote } from './note.ts';

export interface Checkpoint {
  /** The log's identity, conventionally a schema-less URL; also the signing key's name. */
  origin: string;
  size: number;
  rootHash: Hash;
  /** Opaque, non-empty lines after the root hash (not recommended; kept for round trips). */
  extensions: string[];
}

const fail = (message: string): never => {
  throw new TlogError('malformed-checkpoint', message);
};

// A line holds no newline, no other control character and is well-formed text.
const isLine = (s: string): boolean => s.length > 0 && s.isWellFormed() && !/\p{Cc}/u.test(s);

/** The checkpoint's note text, ending in a newline. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions } = checkpoint;
  if (!isLine(origin)) fail('the origin must be a non-empty line');
  if (!Number.isSafeInteger(size) || size < 0) fail('the tree size must be a non-negative safe integer');
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== HASH_SIZE) fail(`the root hash must be ${HASH_SIZE} bytes`);
  if (!extensions.every(isLine)) fail('extension lines must be non-empty lines');
  return [origin, String(size), toBase64(rootHash), ...extensions].map((l) => `${l}\n`).join('');
}

/** Parses a checkpoint note text (the part a signed note's signatures cover), strictly. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) fail('a checkpoint ends in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) fail('a checkpoint has an origin, a tree size and a root hash line');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (!isLine(origin)) fail('the origin must be a non-empty line');
  const size = parseDecimal(sizeLine);
  if (size === undefined) fail('the tree size must be decimal without leading zeros');
  const rootHash = fromBase64(rootLine);
  if (!rootHash || rootHash.length !== HASH_SIZE) fail(`the root hash must be the base64 of ${HASH_SIZE} bytes`);
  if (!extensions.every(isLine)) fail('extension lines must be non-empty');
  return { origin, size: size as number, rootHash: rootHash as Hash, extensions };
}

/**
 * Opens a signed checkpoint with the log's verifiers (see openNote) and parses its text; with an
 * expected origin, refuses a checkpoint of another log.
 */
export function openCheckpoint(signed: string, verifiers: readonly NoteVerifier[], origin?: string): Checkpoint {
  const checkpoint = parseCheckpoint(openNote(signed, verifiers).text);
  if (origin !== undefined && checkpoint.origin !== origin) throw new TlogError('origin-mismatch', 'the checkpoint is of another log');
  return checkpoint;
}
