// RFC 6962 / RFC 9162 Merkle trees over SHA-256, computed from stored hashes of complete subtrees.
//
// A complete subtree is named by its coordinates (level, index): the hash at (level, index) is
// MTH(D[index * 2^level : (index + 1) * 2^level]); level 0 holds the leaf hashes. These are the
// coordinates tlog-tiles uses: a tile at tile level L holds the hashes at level 8L. A log that
// stores the hash of every complete subtree as it appears (two per leaf, amortized) can compute any
// root and any proof by reading O(log n) of them, without rereading the leaves.
//
// Appending, and the hashes to store as a log grows, are in frontier.ts.
import { hash } from 'node:crypto';
import { concatBytes, equalBytes } from './encoding.ts';
import { TlogError } from './errors.ts';
import { assertSize, half, isOdd, isPowerOfTwo, log2Exact, splitPoint } from './tree-math.ts';

export type Hash = Uint8Array;
export const HASH_SIZE = 32;

/** Reads the stored hash of the complete subtree at (level, index). */
export type ReadHash = (level: number, index: number) => Promise<Hash>;

/** A complete subtree's hash and its coordinates: what a log persists. */
export interface StoredHash {
  level: number;
  index: number;
  hash: Hash;
}

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

// One-shot hashing of the concatenation: faster than a streaming hash for these short inputs.
function sha256(...parts: Uint8Array[]): Hash {
  const digest = hash('sha256', concatBytes(...parts), 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** The root of the empty tree: SHA-256 of no bytes (RFC 6962 section 2.1). */
export const EMPTY_TREE_HASH: Hash = sha256();

/** RFC 6962 leaf hash: SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Hash {
  return sha256(LEAF_PREFIX, data);
}

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256(NODE_PREFIX, left, right);
}

/** MTH of a list of leaf hashes, by the RFC's recursive definition (for tests and small trees). */
export function merkleTreeHash(leafHashes: readonly Hash[]): Hash {
  const n = leafHashes.length;
  if (n === 0) return EMPTY_TREE_HASH;
  if (n === 1) return leafHashes[0] as Hash;
  const k = splitPoint(n);
  return nodeHash(merkleTreeHash(leafHashes.slice(0, k)), merkleTreeHash(leafHashes.slice(k)));
}

/** Whether a value is a 32-byte hash. */
export const isHash = (h: unknown): h is Hash => h instanceof Uint8Array && h.length === HASH_SIZE;

/** Reads a stored hash, refusing one that is not 32 bytes (a damaged store must not yield a proof). */
export async function readStoredHash(readHash: ReadHash, level: number, index: number): Promise<Hash> {
  const h = await readHash(level, index);
  if (!isHash(h)) throw new TlogError('invalid-hash', `stored hash at level ${level} index ${index} is not ${HASH_SIZE} bytes`);
  return h;
}

// ---- roots and proofs from stored hashes -----------------------------------------------------

/**
 * MTH(D[start:end]) from stored hashes: one read when the range is a complete subtree, otherwise
 * the RFC's split. Ranges the proofs ask for are aligned, so this reads at most log2(width) hashes.
 */
async function rangeHash(start: number, end: number, readHash: ReadHash): Promise<Hash> {
  const width = end - start;
  if (isPowerOfTwo(width) && start % width === 0) return readStoredHash(readHash, log2Exact(width), start / width);
  const k = splitPoint(width);
  const [left, right] = await Promise.all([rangeHash(start, start + k, readHash), rangeHash(start + k, end, readHash)]);
  return nodeHash(left, right);
}

/** The root hash of the tree of the first `size` leaves, from stored complete-subtree hashes. */
export async function treeHash(size: number, readHash: ReadHash): Promise<Hash> {
  assertSize(size, 'tree size');
  return size === 0 ? EMPTY_TREE_HASH : rangeHash(0, size, readHash);
}

type Range = readonly [start: number, end: number];

// PATH(m, D[start:end]) of RFC 9162 section 2.1.3.1, as the ranges whose MTH makes each element.
function pathRanges(m: number, start: number, end: number, out: Range[]): void {
  const n = end - start;
  if (n <= 1) return;
  const k = splitPoint(n);
  if (m < k) {
    pathRanges(m, start, start + k, out);
    out.push([start + k, end]);
  } else {
    pathRanges(m - k, start + k, end, out);
    out.push([start, start + k]);
  }
}

// SUBPROOF(m, D[start:end], b) of RFC 9162 section 2.1.4.1, as ranges.
function subproofRanges(m: number, start: number, end: number, b: boolean, out: Range[]): void {
  const n = end - start;
  if (m === n) {
    if (!b) out.push([start, end]);
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproofRanges(m, start, start + k, b, out);
    out.push([start + k, end]);
  } else {
    subproofRanges(m - k, start + k, end, false, out);
    out.push([start, start + k]);
  }
}

/** The RFC 9162 inclusion proof (audit path) of leaf `index` in the tree of `size` leaves. */
export async function inclusionProof(index: number, size: number, readHash: ReadHash): Promise<Hash[]> {
  assertSize(size, 'tree size');
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new TlogError('invalid-tree-size', 'leaf index must be below the tree size');
  }
  const ranges: Range[] = [];
  pathRanges(index, 0, size, ranges);
  return Promise.all(ranges.map(([s, e]) => rangeHash(s, e, readHash)));
}

/** The RFC 9162 consistency proof from the tree of `m` leaves to the tree of `n` leaves (m <= n). */
export async function consistencyProof(m: number, n: number, readHash: ReadHash): Promise<Hash[]> {
  assertSize(m, 'first tree size');
  assertSize(n, 'second tree size');
  if (m > n) throw new TlogError('invalid-tree-size', 'the first tree size must not exceed the second');
  if (m === 0 || m === n) return [];
  const ranges: Range[] = [];
  subproofRanges(m, 0, n, true, ranges);
  return Promise.all(ranges.map(([s, e]) => rangeHash(s, e, readHash)));
}

// ---- verification, as RFC 9162 sections 2.1.3.2 and 2.1.4.2 state it ---------------------------

const isCount = (x: number): boolean => Number.isSafeInteger(x) && x >= 0;

/** Whether `proof` proves the leaf hash is at `index` in the tree of `size` leaves whose root is `root`. */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: readonly Hash[], root: Hash): boolean {
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash) || !isCount(index) || !isCount(size)) return false;
  // 1. If leaf_index is greater than or equal to tree_size, fail.
  if (index >= size) return false;
  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = index;
  let sn = size - 1;
  // 3. Set r to hash.
  let r = leaf;
  // 4. For each value p in the inclusion_path array:
  for (const p of proof) {
    // a. If sn is 0, stop the iteration and fail.
    if (sn === 0) return false;
    // b. If LSB(fn) is set, or if fn is equal to sn:
    if (isOdd(fn) || fn === sn) {
      // i. Set r to HASH(0x01 || p || r).
      r = nodeHash(p, r);
      // ii. If LSB(fn) is not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // Otherwise: set r to HASH(0x01 || r || p).
      r = nodeHash(r, p);
    }
    // c. Right-shift both fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 5. sn must be 0 and r must equal the root hash.
  return sn === 0 && equalBytes(r, root);
}

/**
 * Whether `proof` proves the tree of `m` leaves with root `rootM` is a prefix of the tree of `n`
 * leaves with root `rootN`. The RFC's algorithm covers 0 < m < n; for m = n the proof must be empty
 * and the roots equal, and every tree extends the empty one (m = 0) with an empty proof.
 */
export function verifyConsistency(m: number, n: number, proof: readonly Hash[], rootM: Hash, rootN: Hash): boolean {
  if (!isHash(rootM) || !isHash(rootN) || !proof.every(isHash) || !isCount(m) || !isCount(n) || m > n) return false;
  if (m === n) return proof.length === 0 && equalBytes(rootM, rootN);
  if (m === 0) return proof.length === 0;
  // 1. If consistency_path is an empty array, fail.
  if (proof.length === 0) return false;
  // 2. If first is an exact power of 2, prepend first_hash to the consistency_path array.
  const path = isPowerOfTwo(m) ? [rootM, ...proof] : [...proof];
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = m - 1;
  let sn = n - 1;
  // 4. If LSB(fn) is set, right-shift both fn and sn equally until LSB(fn) is not set.
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr = path[0] as Hash;
  let sr = path[0] as Hash;
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of path.slice(1)) {
    // a. If sn is 0, stop the iteration and fail.
    if (sn === 0) return false;
    // b. If LSB(fn) is set, or if fn is equal to sn:
    if (isOdd(fn) || fn === sn) {
      // i. Set fr to HASH(0x01 || c || fr) and sr to HASH(0x01 || c || sr).
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      // ii. If LSB(fn) is not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // Otherwise: set sr to HASH(0x01 || sr || c).
      sr = nodeHash(sr, c);
    }
    // c. Right-shift both fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 7. fr must equal first_hash, sr must equal second_hash, and sn must be 0.
  return equalBytes(fr, rootM) && equalBytes(sr, rootN) && sn === 0;
}
