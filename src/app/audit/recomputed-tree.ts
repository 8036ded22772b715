import { consistencyProof, type Hash, HASH_SIZE, MerkleFrontier, treeHash } from '../../../tlog/index.ts';

/**
 * The log's Merkle tree as an auditor recomputes it from the events alone: every complete-subtree
 * hash is kept (about 64 bytes a leaf, in one growing buffer a level rather than an object a hash),
 * so the root at any earlier size and a consistency proof between two sizes can be read back when
 * a checkpoint recorded later in the log names that size.
 */
export class RecomputedTree {
  private readonly frontier = MerkleFrontier.empty();
  private readonly levels: Array<{ bytes: Uint8Array; count: number }> = [];

  get size(): number {
    return this.frontier.size;
  }

  append(leaf: Hash): void {
    for (const { level, index, hash } of this.frontier.append(leaf)) {
      const store = (this.levels[level] ??= { bytes: new Uint8Array(HASH_SIZE * 1024), count: 0 });
      if (index !== store.count) throw new Error(`the tree stored level ${level} out of order (${index} after ${store.count})`);
      if ((store.count + 1) * HASH_SIZE > store.bytes.length) {
        const grown = new Uint8Array(store.bytes.length * 2);
        grown.set(store.bytes);
        store.bytes = grown;
      }
      store.bytes.set(hash, store.count * HASH_SIZE);
      store.count++;
    }
  }

  /** The root of the tree of the first `size` leaves (size <= this.size). */
  root(size: number): Promise<Hash> {
    if (size > this.size) throw new Error(`the recomputed tree has ${this.size} leaves, not ${size}`);
    return treeHash(size, this.readHash);
  }

  /** The RFC 9162 consistency proof from the tree of `from` leaves to the tree of `to` leaves. */
  consistency(from: number, to: number): Promise<Hash[]> {
    return consistencyProof(from, to, this.readHash);
  }

  private readonly readHash = async (level: number, index: number): Promise<Hash> => {
    const store = this.levels[level];
    if (!store || index >= store.count) throw new Error(`the recomputed tree has no hash at level ${level} index ${index}`);
    return store.bytes.slice(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  };
}
