import { equalBytes, type Hash, HASH_SIZE, leafHash, type NoteVerifier, openCheckpoint, parseVerifierKey, TILE_WIDTH, toBase64, TlogError, verifyConsistency } from '../../../tlog/index.ts';
import { checkEntry, isEntryProblem, recordedCheckpoint, type CheckedEntry } from './log-entry.ts';
import { RecomputedTree } from './recomputed-tree.ts';

/**
 * The auditor's check of a ledger's log: recompute the Merkle tree from the events alone and hold
 * every signed statement the ledger made about it against that tree. No HTTP here: a source hands
 * over the events in order, the log key, the latest checkpoint it serves and, when it has them, the
 * published leaf hashes (level-0 tiles) and the ledger's consistency proofs. The walk stops at the
 * first divergence, which it names by position and sequence (or, when only a checkpoint's root
 * shows it, by the interval of sequences that checkpoint added).
 */
export interface AuditLogSource {
  /** The log's verifier key, in vkey form. */
  logKey(): Promise<string>;
  /** The latest signed checkpoint the ledger serves (/tlog/checkpoint), if any. */
  latestCheckpoint(): Promise<string | undefined>;
  /** The feed's NDJSON lines, in log order. */
  lines(): AsyncIterable<string>;
  /** Level-0 tile `index` of `width` leaf hashes as published, or undefined when not published. */
  leafTile?(index: number, width: number): Promise<Uint8Array | undefined>;
  /** The ledger's RFC 9162 consistency proof between two tree sizes. */
  consistencyProof?(from: number, to: number): Promise<Hash[]>;
}

/** The checks, in the order the report lists them. */
export const CHECKS = ['entries', 'order', 'streams', 'leaves', 'checkpoints', 'consistency', 'latest'] as const;
export type CheckName = (typeof CHECKS)[number];

export type DivergenceCode =
  | 'malformed-entry'
  | 'not-canonical'
  | 'entry-mismatch'
  | 'sequence-gap'
  | 'position-order'
  | 'revision-gap'
  | 'leaf-mismatch'
  | 'tile-malformed'
  | 'log-key-malformed'
  | 'checkpoint-malformed'
  | 'checkpoint-signature'
  | 'checkpoint-record-mismatch'
  | 'checkpoint-ahead'
  | 'checkpoint-root-mismatch'
  | 'checkpoint-shrank'
  | 'checkpoint-inconsistent'
  | 'checkpoint-beyond-log'
  | 'source-failed';

export interface Divergence {
  check: CheckName | 'source';
  code: DivergenceCode;
  detail: string;
  position?: number;
  sequence?: number;
  /** When only a checkpoint's root shows it: the sequences that checkpoint added, and their positions. */
  between?: { fromSequence: number; toSequence: number; fromPosition?: number; toPosition?: number };
}

export interface LogVerification {
  events: number;
  checkpoints: number;
  /** The recomputed root at the latest checkpoint verified (at the whole log when there is none). */
  root: { size: number; hash: Hash };
  /** One line per check, in CHECKS order. */
  summaries: Array<{ check: CheckName; passed: boolean; text: string }>;
  divergence?: Divergence;
}

class Diverged extends Error {
  constructor(readonly divergence: Divergence) {
    super(divergence.detail);
  }
}

function diverge(divergence: Divergence): never {
  throw new Diverged(divergence);
}

interface VerifiedCheckpoint {
  size: number;
  root: Hash;
  note: string;
}

/** Verifies the log a source hands over; never throws for what the source says, only reports it. */
export async function verifyLog(source: AuditLogSource): Promise<LogVerification> {
  const walk = new LogWalk(source);
  let divergence: Divergence | undefined;
  try {
    await walk.run();
  } catch (error) {
    if (error instanceof Diverged) divergence = error.divergence;
    else divergence = { check: 'source', code: 'source-failed', detail: error instanceof Error ? error.message : String(error) };
  }
  return walk.result(divergence);
}

class LogWalk {
  private readonly tree = new RecomputedTree();
  /** position of the event of each sequence (index sequence - 1), for reports by interval */
  private positions = new Float64Array(1024);
  private readonly revisions = new Map<string, number>();
  private verifier: NoteVerifier | undefined;
  private served: { note: string; size: number } | undefined;
  private tile: { index: number; hashes: Uint8Array | undefined } | undefined;
  private last: VerifiedCheckpoint | undefined;
  private lastPosition = 0;
  private leavesCompared = 0;
  private checkpointsVerified = 0;
  private consistencyPairs = 0;
  private latestChecked = false;

  constructor(private readonly source: AuditLogSource) {}

  async run(): Promise<void> {
    const vkey = (await this.source.logKey()).trim();
    try {
      this.verifier = parseVerifierKey(vkey);
    } catch (error) {
      diverge({ check: 'checkpoints', code: 'log-key-malformed', detail: `the log key is not a vkey: ${(error as Error).message}` });
    }
    const served = await this.source.latestCheckpoint();
    // Opened first: its size says which leaf tiles were published with it.
    if (served !== undefined) this.served = { note: served, size: this.open(served, { check: 'latest' }, 'the served checkpoint').size };
    for await (const line of this.source.lines()) {
      if (line.trim() === '') continue;
      await this.take(line);
    }
    if (this.served) await this.checkLatest(this.served.note);
  }

  private async take(line: string): Promise<void> {
    const expected = this.tree.size + 1;
    const entry = checkEntry(line);
    if (isEntryProblem(entry)) diverge({ check: 'entries', sequence: expected, ...entry, detail: `${entry.detail} (line ${expected})` });
    const { position, sequence } = entry;
    const at = { position, sequence };
    if (sequence !== expected) diverge({ check: 'order', code: 'sequence-gap', ...at, detail: `sequence ${sequence} where ${expected} comes next` });
    if (position <= this.lastPosition) diverge({ check: 'order', code: 'position-order', ...at, detail: `position ${position} after ${this.lastPosition}` });
    const leaf = leafHash(entry.bytes);
    const published = await this.publishedLeaf(sequence - 1, at);
    if (published) {
      if (!equalBytes(published, leaf)) {
        diverge({ check: 'leaves', code: 'leaf-mismatch', ...at, detail: `the event here hashes to ${toBase64(leaf)}, the published tree has ${toBase64(published)} at index ${sequence - 1}: it was changed, or an event before it removed or moved` });
      }
      this.leavesCompared++;
    }
    this.checkRevision(entry);
    this.tree.append(leaf);
    this.lastPosition = position;
    this.rememberPosition(sequence, position);
    const recorded = recordedCheckpoint(entry);
    if (typeof recorded === 'string') diverge({ check: 'checkpoints', code: 'checkpoint-malformed', ...at, detail: recorded });
    if (recorded) await this.checkRecorded(recorded, at);
  }

  private checkRevision(entry: CheckedEntry): void {
    const before = this.revisions.get(entry.streamName);
    const expected = before === undefined ? 0 : before + 1;
    if (entry.revision !== expected) {
      diverge({
        check: 'streams',
        code: 'revision-gap',
        position: entry.position,
        sequence: entry.sequence,
        detail: `stream ${entry.streamName} goes on at revision ${entry.revision} where ${expected} comes next: an event of it is missing or moved`,
      });
    }
    this.revisions.set(entry.streamName, entry.revision);
  }

  private async checkRecorded(recorded: { origin: string; treeSize: number; rootHash: string; note: string }, at: { position: number; sequence: number }): Promise<void> {
    const checkpoint = this.open(recorded.note, { check: 'checkpoints', ...at }, `the checkpoint recorded at sequence ${at.sequence}`);
    if (checkpoint.origin !== recorded.origin || checkpoint.size !== recorded.treeSize || toBase64(checkpoint.rootHash) !== recorded.rootHash) {
      diverge({ check: 'checkpoints', code: 'checkpoint-record-mismatch', ...at, detail: 'the origin, treeSize or rootHash beside the signed checkpoint differ from it' });
    }
    // It covers events before the one recording it, never that one or later ones.
    if (checkpoint.size >= at.sequence) diverge({ check: 'checkpoints', code: 'checkpoint-ahead', ...at, detail: `a checkpoint of ${checkpoint.size} events recorded as event ${at.sequence}` });
    await this.holdAgainstTree({ size: checkpoint.size, root: checkpoint.rootHash, note: recorded.note }, { check: 'checkpoints', ...at }, `the checkpoint recorded at sequence ${at.sequence}`);
  }

  private async checkLatest(note: string): Promise<void> {
    const checkpoint = this.open(note, { check: 'latest' }, 'the served checkpoint');
    if (checkpoint.size > this.tree.size) {
      diverge({ check: 'latest', code: 'checkpoint-beyond-log', sequence: this.tree.size, detail: `/tlog/checkpoint covers ${checkpoint.size} events, the log holds ${this.tree.size}: events it signed are missing` });
    }
    if (this.last?.note !== note) await this.holdAgainstTree({ size: checkpoint.size, root: checkpoint.rootHash, note }, { check: 'latest' }, 'the served checkpoint');
    this.latestChecked = true;
  }

  /** A signed checkpoint's root against the recomputed tree, and against the previous checkpoint. */
  private async holdAgainstTree(checkpoint: VerifiedCheckpoint, at: { check: CheckName; position?: number; sequence?: number }, what: string): Promise<void> {
    const previous = this.last;
    const from = previous?.size ?? 0;
    if (checkpoint.size < from) diverge({ ...at, check: 'consistency', code: 'checkpoint-shrank', detail: `${what} is of ${checkpoint.size} events, the one before it of ${from}` });
    const recomputed = await this.tree.root(checkpoint.size);
    if (!equalBytes(recomputed, checkpoint.root)) {
      const fromSequence = Math.min(from + 1, checkpoint.size);
      diverge({
        check: at.check,
        code: 'checkpoint-root-mismatch',
        between: { fromSequence, toSequence: checkpoint.size, ...this.positionOf('fromPosition', fromSequence), ...this.positionOf('toPosition', checkpoint.size) },
        detail: `${what} signs root ${toBase64(checkpoint.root)} at ${checkpoint.size}, the events give ${toBase64(recomputed)}`,
      });
    }
    if (previous && checkpoint.size > previous.size) {
      const proof = this.source.consistencyProof ? await this.source.consistencyProof(previous.size, checkpoint.size) : await this.tree.consistency(previous.size, checkpoint.size);
      if (!verifyConsistency(previous.size, checkpoint.size, proof, previous.root, checkpoint.root)) {
        diverge({ ...at, check: 'consistency', code: 'checkpoint-inconsistent', detail: `no consistency proof from ${previous.size} to ${checkpoint.size} holds between the two signed roots` });
      }
      this.consistencyPairs++;
    }
    if (at.check === 'checkpoints') this.checkpointsVerified++;
    this.last = checkpoint;
  }

  private open(note: string, at: { check: CheckName; position?: number; sequence?: number }, what: string) {
    try {
      return openCheckpoint(note, [this.verifier as NoteVerifier], (this.verifier as NoteVerifier).name);
    } catch (error) {
      const malformed = error instanceof TlogError && error.code.startsWith('malformed');
      return diverge({ ...at, code: malformed ? 'checkpoint-malformed' : 'checkpoint-signature', detail: `${what} does not verify with the log key: ${(error as Error).message}` });
    }
  }

  private async publishedLeaf(index: number, at: { position: number; sequence: number }): Promise<Hash | undefined> {
    const size = this.served?.size;
    if (!this.source.leafTile || size === undefined || index >= size) return undefined;
    const tileIndex = Math.floor(index / TILE_WIDTH);
    if (this.tile?.index !== tileIndex) {
      const width = Math.min(TILE_WIDTH, size - tileIndex * TILE_WIDTH);
      const hashes = await this.source.leafTile(tileIndex, width);
      if (hashes && hashes.length !== width * HASH_SIZE) diverge({ check: 'leaves', code: 'tile-malformed', ...at, detail: `level-0 tile ${tileIndex} holds ${hashes.length} bytes, not ${width * HASH_SIZE}` });
      this.tile = { index: tileIndex, hashes };
    }
    const offset = (index - tileIndex * TILE_WIDTH) * HASH_SIZE;
    return this.tile.hashes?.slice(offset, offset + HASH_SIZE);
  }

  private rememberPosition(sequence: number, position: number): void {
    if (sequence > this.positions.length) {
      const grown = new Float64Array(this.positions.length * 2);
      grown.set(this.positions);
      this.positions = grown;
    }
    this.positions[sequence - 1] = position;
  }

  private positionOf<K extends string>(key: K, sequence: number): Partial<Record<K, number>> {
    return sequence >= 1 && sequence <= this.tree.size ? ({ [key]: this.positions[sequence - 1] } as Record<K, number>) : {};
  }

  async result(divergence: Divergence | undefined): Promise<LogVerification> {
    const size = this.last?.size ?? this.tree.size;
    const events = this.tree.size;
    const failed = divergence?.check;
    const line = (check: CheckName, text: string) => ({ check, passed: failed !== check, text: failed === check ? `FAILED (${divergence?.code}) after ${text}` : text });
    const key = this.verifier ? `${this.verifier.name}+${this.verifier.keyId.toString(16).padStart(8, '0')}` : 'the log key';
    return {
      events,
      checkpoints: this.checkpointsVerified,
      root: { size, hash: await this.tree.root(Math.min(size, events)) },
      divergence,
      summaries: [
        line('entries', `${events} events with canonical bytes in RFC 8785 form`),
        line('order', `sequences 1..${events} dense, positions increasing`),
        line('streams', `revisions contiguous in ${this.revisions.size} streams`),
        line('leaves', this.source.leafTile && this.served ? `${this.leavesCompared} leaves equal the published level-0 tiles` : 'no published leaves to compare with'),
        line('checkpoints', `${this.checkpointsVerified} recorded checkpoints signed by ${key}, roots equal the recomputed tree`),
        line('consistency', `${this.consistencyPairs} successive checkpoints consistent (${this.source.consistencyProof ? "the ledger's proofs" : 'proofs from the recomputed tree'})`),
        line('latest', !this.served ? 'no checkpoint served' : this.latestChecked ? `the served checkpoint at ${this.served.size} is signed and in the recomputed tree` : 'the served checkpoint not yet checked'),
      ],
    };
  }
}
