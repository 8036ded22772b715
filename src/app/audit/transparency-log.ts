import type { Logger } from 'pino';
import type { AuditEvent } from '../../../events/audit.ts';
import { canonicalEventBytes } from '../../../events/canonical.ts';
import { streamNames } from '../../../events/envelope.ts';
import { currentSchemaVersion } from '../../../events/upcasters.ts';
import {
  checkpointKey,
  logTreeHashReader,
  LOG_CHECKPOINTS,
  LOG_TREE_HASHES,
  LOG_TREE_HEAD,
  LOG_TREE_HEAD_ID,
  tileKey,
  type LogCheckpointEntry,
  type LogTreeHash,
  type LogTreeHead,
} from '../../../projections/log-tree.ts';
import {
  consistencyProof,
  entryBundleBytes,
  formatCheckpoint,
  fromBase64,
  type Hash,
  HASH_SIZE,
  inclusionProof,
  type NoteSigner,
  type ReadHash,
  signNote,
  TILE_WIDTH,
  type TileRef,
  tileWidthAt,
  toBase64,
  treeHash,
} from '../../../tlog/index.ts';
import { WrongExpectedRevisionError, type EventStore } from '../../ports/event-store.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';
import { newId } from '../ids.ts';
import { EventSequence } from '../projecting/event-sequence.ts';

/** A signed checkpoint of the log, as recorded in the `ledger-checkpoints` stream. */
export interface SignedCheckpoint {
  treeSize: number;
  rootHash: Uint8Array;
  /** The C2SP signed note, as served at /tlog/checkpoint. */
  checkpoint: string;
  /** The position of its LedgerCheckpointed event. */
  position: number;
}

/** Why a proof or a tile cannot be given: a stable code for the HTTP edge. */
export class LogRangeError extends Error {
  override readonly name = 'LogRangeError';
  constructor(
    readonly code: 'beyond-tree' | 'not-in-log' | 'tile-not-yet' | 'not-sequenced',
    message: string,
  ) {
    super(message);
  }
}

export interface TransparencyLogDeps {
  eventStore: Pick<EventStore, 'append' | 'readAll'>;
  readModels: Pick<ReadModelStore, 'get' | 'find'>;
  origin: string;
  signer: NoteSigner;
  /** The signer's public key in C2SP vkey form. */
  verifierKey: string;
  clock: () => Date;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/**
 * The log as a transparency log: its Merkle tree (the log-tree projection keeps the hashes), the
 * checkpoints signed over it, and the proofs and tiles that let anyone check them. Reads never go
 * back to the log: every answer is O(log n) stored hashes.
 */
export class TransparencyLog {
  readonly origin: string;
  readonly verifierKey: string;
  private readonly sequence: EventSequence;
  private readonly readHash: ReadHash;

  constructor(private readonly deps: TransparencyLogDeps) {
    this.origin = deps.origin;
    this.verifierKey = deps.verifierKey;
    this.sequence = new EventSequence(deps.readModels);
    this.readHash = logTreeHashReader(deps.readModels);
  }

  /** Leaves hashed so far (the sequence of the last event the tree holds). */
  async treeSize(): Promise<number> {
    return (await this.head()).size;
  }

  /** The newest signed checkpoint, or undefined before the first. */
  async latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    const latest = await this.latestEntry();
    return latest && signed(latest);
  }

  /** The checkpoint of exactly `treeSize`, when one was signed. */
  async checkpointOf(treeSize: number): Promise<SignedCheckpoint | undefined> {
    const entry = await this.deps.readModels.get<LogCheckpointEntry>(LOG_CHECKPOINTS, checkpointKey(treeSize));
    return entry && signed(entry);
  }

  /** The sequence (1..N) of the event at `position`, once numbered. */
  sequenceOf(position: number): Promise<number | undefined> {
    return this.sequence.sequenceOf(position);
  }

  /** The position of the event numbered `sequence`, once numbered. */
  positionOf(sequence: number): Promise<number | undefined> {
    return this.sequence.positionOf(sequence);
  }

  /** The RFC 6962 leaf hash of leaf `index`. */
  async leafHash(index: number): Promise<Hash> {
    await this.within(index + 1);
    return this.readHash(0, index);
  }

  /** The root of the tree of the first `treeSize` leaves. */
  async rootAt(treeSize: number): Promise<Hash> {
    await this.within(treeSize);
    return treeHash(treeSize, this.readHash);
  }

  /** RFC 9162 inclusion proof of leaf `index` in the tree of `treeSize` leaves. */
  async inclusionProof(index: number, treeSize: number): Promise<Hash[]> {
    await this.within(treeSize);
    if (index >= treeSize) throw new LogRangeError('not-in-log', `leaf ${index} is not in the tree of ${treeSize} leaves`);
    return inclusionProof(index, treeSize, this.readHash);
  }

  /** RFC 9162 consistency proof from the tree of `from` leaves to the tree of `to` leaves. */
  async consistencyProof(from: number, to: number): Promise<Hash[]> {
    if (from > to) throw new LogRangeError('beyond-tree', `a consistency proof goes from a smaller tree to a larger one (from ${from} > to ${to})`);
    await this.within(to);
    return consistencyProof(from, to, this.readHash);
  }

  /** A hash tile's bytes, as `tlog-tiles` lays them out; a partial tile only up to the width asked. */
  async tile(tile: TileRef): Promise<Uint8Array> {
    if (tile.level === 'entries') throw new LogRangeError('tile-not-yet', 'entry bundles are served to auditors through the audit feed');
    const size = await this.treeSize();
    if (tileWidthAt(tile.level, tile.index, size) < tile.width) {
      throw new LogRangeError('tile-not-yet', `the tree of ${size} leaves has no tile ${tile.level}/${tile.index} of width ${tile.width} yet`);
    }
    const docs = await this.deps.readModels.find<LogTreeHash>(LOG_TREE_HASHES, {
      where: { tile: tileKey(tile.level, tile.index) },
      sort: [{ field: 'index' }],
      limit: TILE_WIDTH,
    });
    const out = new Uint8Array(tile.width * HASH_SIZE);
    for (let i = 0; i < tile.width; i++) {
      const hash = docs[i] && fromBase64(docs[i]!.hash);
      if (!hash || docs[i]!.index !== tile.index * TILE_WIDTH + i) throw new Error(`the log tree lacks hash ${i} of tile ${tile.level}/${tile.index}`);
      out.set(hash, i * HASH_SIZE);
    }
    return out;
  }

  /**
   * An entry bundle as `tlog-tiles` lays it out: the canonical bytes of the events numbered
   * 256N+1 .. 256N+W, each behind its big-endian uint16 length. For auditors only: entries are the events.
   */
  async entryBundle(index: number, width: number): Promise<Uint8Array> {
    const size = await this.treeSize();
    if (tileWidthAt('entries', index, size) < width) throw new LogRangeError('tile-not-yet', `the tree of ${size} leaves has no entry bundle ${index} of width ${width} yet`);
    const first = index * TILE_WIDTH + 1;
    const after = await this.sequence.positionOf(first - 1);
    if (after === undefined) throw new LogRangeError('not-sequenced', `event ${first - 1} is not numbered yet`);
    const events = await this.deps.eventStore.readAll({ after, limit: width });
    if (events.length < width) throw new LogRangeError('tile-not-yet', `the log holds fewer than ${width} events after sequence ${first - 1}`);
    return entryBundleBytes(events.map((event) => canonicalEventBytes(event)));
  }

  /**
   * Signs a checkpoint of the tree as far as it is hashed, when the log grew past the latest one by
   * more than checkpoints (each LedgerCheckpointed is a leaf too: without that rule every checkpoint
   * would call for the next). Answers the checkpoint now in force. Two processes signing at once:
   * the stream's expected revision lets one through; the other answers what it found.
   */
  async checkpointNow(): Promise<{ checkpoint: SignedCheckpoint | undefined; signed: boolean }> {
    const [head, latest] = await Promise.all([this.head(), this.latestEntry()]);
    if (latest && head.entriesSize <= latest.treeSize) return { checkpoint: signed(latest), signed: false };
    if (!latest && head.size === 0) return { checkpoint: undefined, signed: false };
    const rootHash = await treeHash(head.size, this.readHash);
    const note = signNote(formatCheckpoint({ origin: this.origin, size: head.size, rootHash, extensions: [] }), [this.deps.signer]);
    const now = this.deps.clock().toISOString();
    const event: AuditEvent = { type: 'LedgerCheckpointed', data: { origin: this.origin, treeSize: head.size, rootHash: toBase64(rootHash), checkpoint: note } };
    const eventId = newId();
    try {
      const result = await this.deps.eventStore.append(
        streamNames.checkpoints,
        [{ type: event.type, data: event.data, metadata: { eventId, correlationId: eventId, occurredAt: now, actor: 'system:log', schemaVersion: currentSchemaVersion(event.type) } }],
        latest ? latest.revision : 'no-stream',
      );
      this.deps.logger?.info({ treeSize: head.size, position: result.position }, 'log checkpoint signed');
      return { checkpoint: { treeSize: head.size, rootHash, checkpoint: note, position: result.position }, signed: true };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      // Another process signed one since the read model last looked: that one stands.
      return { checkpoint: latest && signed(latest), signed: false };
    }
  }

  private async head(): Promise<LogTreeHead> {
    return (await this.deps.readModels.get<LogTreeHead>(LOG_TREE_HEAD, LOG_TREE_HEAD_ID)) ?? { size: 0, entriesSize: 0 };
  }

  private async latestEntry(): Promise<LogCheckpointEntry | undefined> {
    const [latest] = await this.deps.readModels.find<LogCheckpointEntry>(LOG_CHECKPOINTS, { sort: [{ field: 'treeSize', direction: 'desc' }], limit: 1 });
    return latest;
  }

  private async within(treeSize: number): Promise<void> {
    const size = await this.treeSize();
    if (treeSize > size) throw new LogRangeError('beyond-tree', `the tree holds ${size} leaves so far, not ${treeSize}`);
  }

}

function signed(entry: LogCheckpointEntry): SignedCheckpoint {
  return { treeSize: entry.treeSize, rootHash: fromBase64(entry.rootHash)!, checkpoint: entry.checkpoint, position: entry.position };
}
