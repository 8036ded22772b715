import { canonicalEventBytes } from '../events/canonical.ts';
import type { RecordedEvent } from '../events/envelope.ts';
import { streamNames } from '../events/envelope.ts';
import { fromBase64, leafHash, storedHashesForLeaf, TILE_HEIGHT, TILE_WIDTH, toBase64, TlogError, type Hash, type ReadHash } from '../tlog/index.ts';
import type { Change, Projection, ReadView } from './projection.ts';

/**
 * The log as an RFC 6962 Merkle tree: leaf i is the leaf hash of the canonical bytes of the event
 * numbered i+1 (events/canonical.ts), hashed as stored (sealed parts sealed). Every complete
 * subtree's hash is kept, one document each, so a root, a proof or a tile reads O(log n) documents
 * and never the log. The hashes at tile levels (0, 8, 16, ...) carry their tile's name, so a tile
 * is one query. Derived data: a rebuild from the log gives the same hashes.
 *
 * The signed checkpoints (LedgerCheckpointed, in the `ledger-checkpoints` stream) are listed here
 * too, from the same events, so "the latest checkpoint" and "the tree it signs" move together.
 */

export const LOG_TREE_HASHES = 'log_tree_hashes';
export const LOG_TREE_HEAD = 'log_tree_head';
export const LOG_CHECKPOINTS = 'log_checkpoints';
export const LOG_TREE_HEAD_ID = 'head';

/** One stored complete-subtree hash. */
export interface LogTreeHash {
  level: number;
  index: number;
  /** `<tile level>/<tile index>` for hashes at a tile level (multiples of 8); absent otherwise. */
  tile?: string;
  hash: string;
}

export interface LogTreeHead {
  /** Leaves hashed so far: the sequence of the last event hashed. */
  size: number;
  /** The tree size through the last event that is not a LedgerCheckpointed: a checkpoint is due only past it. */
  entriesSize: number;
}

export interface LogCheckpointEntry {
  treeSize: number;
  rootHash: string;
  checkpoint: string;
  /** Where the LedgerCheckpointed event sits: its position, and its revision in the stream. */
  position: number;
  revision: number;
}

export const hashKey = (level: number, index: number): string => `${level}-${index}`;
export const tileKey = (tileLevel: number, tileIndex: number): string => `${tileLevel}/${tileIndex}`;
/** Checkpoint ids sort as their sizes do. */
export const checkpointKey = (treeSize: number): string => String(treeSize).padStart(16, '0');

/**
 * Reads the stored hashes of the tree from documents: the projection's view (the batch's own writes
 * first) while it appends, the read-model store when proofs are given.
 */
export function logTreeHashReader(read: Pick<ReadView, 'get'>): ReadHash {
  return async (level: number, index: number): Promise<Hash> => {
    const doc = await read.get<LogTreeHash>(LOG_TREE_HASHES, hashKey(level, index));
    const hash = doc && fromBase64(doc.hash);
    if (!hash) throw new TlogError('invalid-hash', `the log tree lacks its hash at level ${level} index ${index}`);
    return hash;
  };
}

export const logTreeProjection: Projection = {
  name: 'log-tree',
  version: 1,
  collections: [
    { name: LOG_TREE_HASHES, indexes: ['tile', 'index'] },
    { name: LOG_TREE_HEAD, indexes: [] },
    { name: LOG_CHECKPOINTS, indexes: ['treeSize'] },
  ],
  handles: 'every-event',
  async project(event: RecordedEvent, read): Promise<Change[]> {
    const head = (await read.get<LogTreeHead>(LOG_TREE_HEAD, LOG_TREE_HEAD_ID)) ?? { size: 0, entriesSize: 0 };
    const index = head.size;
    const stored = await storedHashesForLeaf(index, leafHash(canonicalEventBytes(event)), logTreeHashReader(read));
    const changes: Change[] = stored.map(({ level, index: at, hash }) => {
      const doc: LogTreeHash = { level, index: at, hash: toBase64(hash) };
      if (level % TILE_HEIGHT === 0) doc.tile = tileKey(level / TILE_HEIGHT, Math.floor(at / TILE_WIDTH));
      return { collection: LOG_TREE_HASHES, op: 'put', id: hashKey(level, at), doc };
    });
    const checkpointed = event.streamName === streamNames.checkpoints && event.type === 'LedgerCheckpointed';
    const next: LogTreeHead = { size: index + 1, entriesSize: checkpointed ? head.entriesSize : index + 1 };
    changes.push({ collection: LOG_TREE_HEAD, op: 'put', id: LOG_TREE_HEAD_ID, doc: next });
    if (checkpointed) {
      const data = event.data as { treeSize: number; rootHash: string; checkpoint: string };
      const entry: LogCheckpointEntry = { treeSize: data.treeSize, rootHash: data.rootHash, checkpoint: data.checkpoint, position: event.position, revision: event.revision };
      changes.push({ collection: LOG_CHECKPOINTS, op: 'put', id: checkpointKey(data.treeSize), doc: entry });
    }
    return changes;
  },
};
