// Appending to a log's Merkle tree: which complete-subtree hashes to store as each leaf arrives.
import { TlogError } from './errors.ts';
import { EMPTY_TREE_HASH, type Hash, HASH_SIZE, isHash, nodeHash, type ReadHash, readStoredHash, type StoredHash } from './merkle.ts';
import { assertSize, isOdd, log2Exact, log2Floor } from './tree-math.ts';

/**
 * The hashes to store when leaf `index` is appended: its leaf hash and every complete subtree it
 * completes, reading the left siblings it closes (one read per new parent, amortized one per leaf).
 */
export async function storedHashesForLeaf(index: number, leaf: Hash, readHash: ReadHash): Promise<StoredHash[]> {
  if (!Number.isSafeInteger(index) || index < 0) throw new TlogError('invalid-tree-size', 'leaf index must be a non-negative safe integer');
  if (!isHash(leaf)) throw new TlogError('invalid-hash', `leaf hash must be ${HASH_SIZE} bytes`);
  const out: StoredHash[] = [{ level: 0, index, hash: leaf }];
  let hash = leaf;
  let level = 0;
  let i = index;
  while (isOdd(i)) {
    hash = nodeHash(await readStoredHash(readHash, level, i - 1), hash);
    level++;
    i = (i - 1) / 2;
    out.push({ level, index: i, hash });
  }
  return out;
}

/**
 * The right edge of a growing tree: the complete subtrees that make up its leaves, largest first
 * (one per set bit of the size). Appending needs no reads; a log keeps it in memory, persists what
 * `append` returns, and rebuilds it after a restart with `MerkleFrontier.load`.
 */
export class MerkleFrontier {
  private constructor(
    private readonly subtrees: StoredHash[],
    private leaves: number,
  ) {}

  static empty(): MerkleFrontier {
    return new MerkleFrontier([], 0);
  }

  /** The frontier of the tree of `size` leaves, reading at most log2(size) + 1 stored hashes. */
  static async load(size: number, readHash: ReadHash): Promise<MerkleFrontier> {
    assertSize(size, 'tree size');
    const coordinates: Array<{ level: number; index: number }> = [];
    let start = 0;
    for (let width = 2 ** log2Floor(size); width >= 1; width /= 2) {
      if (start + width <= size) {
        coordinates.push({ level: log2Exact(width), index: start / width });
        start += width;
      }
    }
    const hashes = await Promise.all(coordinates.map((c) => readStoredHash(readHash, c.level, c.index)));
    return new MerkleFrontier(
      coordinates.map((c, i) => ({ ...c, hash: hashes[i] as Hash })),
      size,
    );
  }

  get size(): number {
    return this.leaves;
  }

  /** Appends a leaf hash; returns the hashes that became complete (the leaf's first), to be stored. */
  append(leaf: Hash): StoredHash[] {
    if (!isHash(leaf)) throw new TlogError('invalid-hash', `leaf hash must be ${HASH_SIZE} bytes`);
    let node: StoredHash = { level: 0, index: this.leaves, hash: leaf };
    const created = [node];
    for (let last = this.subtrees.at(-1); last && last.level === node.level; last = this.subtrees.at(-1)) {
      this.subtrees.pop();
      node = { level: node.level + 1, index: last.index / 2, hash: nodeHash(last.hash, node.hash) };
      created.push(node);
    }
    this.subtrees.push(node);
    this.leaves++;
    return created;
  }

  /** The root hash of the tree so far. */
  root(): Hash {
    let acc: Hash | undefined;
    for (let i = this.subtrees.length - 1; i >= 0; i--) {
      const h = (this.subtrees[i] as StoredHash).hash;
      acc = acc ? nodeHash(h, acc) : h;
    }
    return acc ?? EMPTY_TREE_HASH;
  }
}
