// C2SP tlog-proof (c2sp.org/tlog-proof@v1): an offline-verifiable proof that an entry is in a log.
//   c2sp.org/tlog-proof@v1
//   [extra <base64>]
//   index <decimal>
//   <base64 inclusion proof hash, from the leaf's sibling up>  (zero or more)
//   <empty line>
//   <the signed checkpoint, verbatim>
import { type Checkpoint, openCheckpoint } from './checkpoint.ts';
import { fromBase64, parseDecimal, toBase64 } from './encoding.ts';
import { TlogError } from './errors.ts';
import { HASH_SIZE, type Hash, verifyInclusion } from './merkle.ts';
import type { NoteVerifier } from './note.ts';

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

export interface TlogProof {
  /** Opaque, unauthenticated extra data; absent when the proof carries none. */
  extra?: Uint8Array;
  index: number;
  inclusionProof: Hash[];
  /** The signed checkpoint note, verbatim (ends in a newline). */
  checkpoint: string;
}

const fail = (message: string): never => {
  throw new TlogError('malformed-proof', message);
};

/** The proof's text. */
export function formatTlogProof(proof: TlogProof): string {
  const { extra, index, inclusionProof, checkpoint } = proof;
  if (!Number.isSafeInteger(index) || index < 0) fail('the index must be a non-negative safe integer');
  if (!inclusionProof.every((h) => h instanceof Uint8Array && h.length === HASH_SIZE)) fail(`inclusion proof hashes are ${HASH_SIZE} bytes`);
  if (!checkpoint.endsWith('\n') || checkpoint.startsWith('\n')) fail('the checkpoint is a signed note ending in a newline');
  const lines = [TLOG_PROOF_HEADER];
  if (extra !== undefined) lines.push(`extra ${toBase64(extra)}`);
  lines.push(`index ${index}`, ...inclusionProof.map(toBase64), '');
  return `${lines.join('\n')}\n${checkpoint}`;
}

/** Parses a proof's text strictly; the checkpoint is returned verbatim, for the note verifier. */
export function parseTlogProof(text: string): TlogProof {
  const lines = text.split('\n');
  let at = 0;
  const next = (): string => lines[at++] ?? fail('the proof ends early');
  if (next() !== TLOG_PROOF_HEADER) fail(`the first line must be ${TLOG_PROOF_HEADER}`);
  let line = next();
  let extra: Uint8Array | undefined;
  if (line.startsWith('extra ')) {
    extra = fromBase64(line.slice('extra '.length)) ?? fail('the extra data must be base64');
    line = next();
  }
  if (!line.startsWith('index ')) fail('the index line must follow the header');
  const index = parseDecimal(line.slice('index '.length)) ?? fail('the index must be decimal without leading zeros');
  const inclusionProof: Hash[] = [];
  for (line = next(); line !== ''; line = next()) {
    const hash = fromBase64(line);
    if (!hash || hash.length !== HASH_SIZE) fail(`inclusion proof lines are the base64 of ${HASH_SIZE} bytes`);
    inclusionProof.push(hash as Hash);
  }
  const checkpoint = lines.slice(at).join('\n');
  if (checkpoint === '' || !checkpoint.endsWith('\n') || checkpoint.startsWith('\n')) fail('a signed checkpoint must follow the empty line');
  return { ...(extra === undefined ? {} : { extra }), index, inclusionProof, checkpoint };
}

/**
 * Verifies a proof offline: its checkpoint is signed by one of the log's verifiers (and names the
 * expected origin, when given), and the entry with this leaf hash is at the proof's index in it.
 */
export function verifyTlogProof(text: string, leaf: Hash, verifiers: readonly NoteVerifier[], origin?: string): { index: number; checkpoint: Checkpoint } {
  const proof = parseTlogProof(text);
  const checkpoint = openCheckpoint(proof.checkpoint, verifiers, origin);
  if (!verifyInclusion(leaf, proof.index, checkpoint.size, proof.inclusionProof, checkpoint.rootHash)) {
    throw new TlogError('inclusion-not-proven', 'the entry is not at that index under the signed checkpoint');
  }
  return { index: proof.index, checkpoint };
}
