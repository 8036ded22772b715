import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_TREE_HASH,
  type Hash,
  inclusionProof,
  leafHash,
  MerkleFrontier,
  merkleTreeHash,
  nodeHash,
  type ReadHash,
  storedHashesForLeaf,
  toHex,
  treeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../../tlog/index.ts';

const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

// Reference data of transparency-dev/merkle (testonly/constants.go, proof/verify_test.go): the
// RFC 6962 test leaves, the root of every tree size 0..8, and the hash of every complete subtree
// by (level, index).
const LEAF_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const NODE_HASHES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  ['d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];
// Leaf indices here are zero-based (verify_test.go numbers the leaves from 1).
const INCLUSION = [
  { index: 0, size: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, proof: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 5, proof: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
];
const CONSISTENCY = [
  { m: 1, n: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { m: 6, n: 8, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { m: 2, n: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
  { m: 6, n: 7, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
];

/** A log's hash store as a projection would keep it: every complete subtree's hash by (level, index). */
function storeOf(leaves: readonly Hash[]) {
  const stored = new Map<string, Hash>();
  const frontier = MerkleFrontier.empty();
  for (const leaf of leaves) for (const s of frontier.append(leaf)) stored.set(`${s.level}/${s.index}`, s.hash);
  let reads = 0;
  const readHash: ReadHash = async (level, index) => {
    reads++;
    const h = stored.get(`${level}/${index}`);
    if (!h) throw new Error(`no stored hash at ${level}/${index}`);
    return h;
  };
  return { stored, frontier, readHash, reads: () => reads, resetReads: () => void (reads = 0) };
}

const flipped = (proof: readonly Hash[], i: number, byte: number, bit: number): Hash[] =>
  proof.map((h, j) => (j === i ? h.map((b, k) => (k === byte ? b ^ (1 << bit) : b)) : h));

const leavesOf = (n: number): Hash[] => Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`event ${i}`)));

describe('RFC 6962 hashing against the transparency-dev/merkle reference vectors', () => {
  const leaves = LEAF_INPUTS.map(leafHash);

  it('gives the empty tree the root SHA-256("") and every size 1..8 its published root', async () => {
    expect(toHex(EMPTY_TREE_HASH)).toBe(ROOTS[0]);
    const { readHash } = storeOf(leaves);
    for (let n = 0; n <= 8; n++) {
      expect(toHex(merkleTreeHash(leaves.slice(0, n))), `MTH size ${n}`).toBe(ROOTS[n]);
      expect(toHex(await treeHash(n, readHash)), `stored size ${n}`).toBe(ROOTS[n]);
    }
  });

  it('stores exactly the published complete-subtree hashes, at their (level, index)', () => {
    const { stored } = storeOf(leaves);
    const expected = new Map(NODE_HASHES.flatMap((level, l) => level.map((h, i) => [`${l}/${i}`, h] as const)));
    expect(new Map([...stored].map(([k, v]) => [k, toHex(v)]))).toEqual(expected);
  });

  it('produces the published inclusion proofs, which verify; every corruption of them fails', async () => {
    const { readHash } = storeOf(leaves);
    for (const v of INCLUSION) {
      const proof = await inclusionProof(v.index, v.size, readHash);
      expect(proof.map(toHex), `${v.index}@${v.size}`).toEqual(v.proof);
      const root = unhex(ROOTS[v.size] as string);
      const leaf = leaves[v.index] as Hash;
      expect(verifyInclusion(leaf, v.index, v.size, proof, root)).toBe(true);
      // The probes of verify_test.go: wrong index, size, leaf or root, extra or missing hashes, a flipped bit.
      expect(verifyInclusion(leaf, v.index + 1, v.size, proof, root)).toBe(false);
      if (v.index > 0) expect(verifyInclusion(leaf, v.index - 1, v.size, proof, root)).toBe(false);
      expect(verifyInclusion(leaf, v.index ^ 2, v.size, proof, root)).toBe(false);
      expect(verifyInclusion(leaf, v.index, v.size * 2, proof, root)).toBe(false);
      expect(verifyInclusion(leaf, v.index, Math.floor(v.size / 2), proof, root)).toBe(false);
      expect(verifyInclusion(leafHash(new Uint8Array([9])), v.index, v.size, proof, root)).toBe(false);
      expect(verifyInclusion(leaf, v.index, v.size, proof, EMPTY_TREE_HASH)).toBe(false);
      expect(verifyInclusion(leaf, v.index, v.size, [...proof, root], root)).toBe(false);
      expect(verifyInclusion(leaf, v.index, v.size, [root, ...proof], root)).toBe(false);
      expect(verifyInclusion(leaf, v.index, v.size, proof.slice(0, -1), root)).toBe(false);
      for (let i = 0; i < proof.length; i++) expect(verifyInclusion(leaf, v.index, v.size, flipped(proof, i, 0, 3), root)).toBe(false);
    }
    // A single-leaf tree: the leaf is the root and the proof is empty.
    expect(verifyInclusion(leaves[0] as Hash, 0, 1, [], unhex(ROOTS[1] as string))).toBe(true);
    expect(verifyInclusion(leaves[0] as Hash, 0, 0, [], EMPTY_TREE_HASH)).toBe(false);
  });

  it('produces the published consistency proofs, which verify; every corruption of them fails', async () => {
    const { readHash } = storeOf(leaves);
    for (const v of CONSISTENCY) {
      const proof = await consistencyProof(v.m, v.n, readHash);
      expect(proof.map(toHex), `${v.m}→${v.n}`).toEqual(v.proof);
      const rootM = unhex(ROOTS[v.m] as string);
      const rootN = unhex(ROOTS[v.n] as string);
      expect(verifyConsistency(v.m, v.n, proof, rootM, rootN)).toBe(true);
      expect(verifyConsistency(v.m - 1, v.n, proof, rootM, rootN)).toBe(false);
      expect(verifyConsistency(v.m + 1, v.n, proof, rootM, rootN)).toBe(false);
      expect(verifyConsistency(v.m ^ 2, v.n, proof, rootM, rootN)).toBe(false);
      expect(verifyConsistency(v.m, v.n * 2, proof, rootM, rootN)).toBe(false);
      expect(verifyConsistency(v.m, Math.floor(v.n / 2), proof, rootM, rootN)).toBe(false);
      expect(verifyConsistency(v.m, v.n, proof, rootN, rootM)).toBe(false);
      expect(verifyConsistency(v.m, v.n, [], rootM, rootN)).toBe(false);
      expect(verifyConsistency(v.m, v.n, [...proof, rootM], rootM, rootN)).toBe(false);
      expect(verifyConsistency(v.m, v.n, [...proof, rootN], rootM, rootN)).toBe(false);
      expect(verifyConsistency(v.m, v.n, [rootM, ...proof], rootM, rootN)).toBe(false);
      expect(verifyConsistency(v.m, v.n, [proof[0] as Hash, ...proof], rootM, rootN)).toBe(false);
      expect(verifyConsistency(v.m, v.n, proof.slice(0, -1), rootM, rootN)).toBe(false);
      for (let i = 0; i < proof.length; i++) expect(verifyConsistency(v.m, v.n, flipped(proof, i, 0, 4), rootM, rootN)).toBe(false);
    }
  });

  it('treats equal sizes and the empty tree as the reference does', () => {
    const [r1, r2] = [unhex(ROOTS[1] as string), unhex(ROOTS[2] as string)];
    expect(verifyConsistency(0, 0, [], r1, r1)).toBe(true);
    expect(verifyConsistency(0, 1, [], r1, r2)).toBe(true);
    expect(verifyConsistency(1, 1, [], r2, r2)).toBe(true);
    expect(verifyConsistency(1, 1, [], r1, r2)).toBe(false);
    expect(verifyConsistency(1, 0, [], r1, r2)).toBe(false);
    expect(verifyConsistency(2, 1, [], r1, r2)).toBe(false);
    expect(verifyConsistency(1, 2, [], r1, r2)).toBe(false);
    expect(verifyConsistency(0, 1, [EMPTY_TREE_HASH], EMPTY_TREE_HASH, EMPTY_TREE_HASH)).toBe(false);
    expect(verifyConsistency(1, 1, [EMPTY_TREE_HASH], EMPTY_TREE_HASH, EMPTY_TREE_HASH)).toBe(false);
  });
});

describe('proofs from stored hashes, for any tree', () => {
  const MAX = 600;
  const all = leavesOf(MAX);
  const store = storeOf(all);
  // The naive MTH of each prefix, the oracle, computed once per size.
  const naive = new Map<number, Hash>();
  const naiveRoot = (n: number): Hash => naive.get(n) ?? (naive.set(n, merkleTreeHash(all.slice(0, n))).get(n) as Hash);

  it('computes the same root as the naive MTH for every size, reading O(log n) hashes', async () => {
    for (let n = 0; n <= MAX; n++) {
      store.resetReads();
      expect(toHex(await treeHash(n, store.readHash)), `size ${n}`).toBe(toHex(naiveRoot(n)));
      expect(store.reads()).toBeLessThanOrEqual(Math.ceil(Math.log2(n + 1)));
    }
  });

  it('inclusion proofs verify for random sizes and indices, and fail for any flipped bit or wrong input', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: MAX }).chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1), fc.nat(), fc.nat(31), fc.nat(7))),
        async ([size, index, pick, byte, bit]) => {
          store.resetReads();
          const proof = await inclusionProof(index, size, store.readHash);
          expect(store.reads()).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size)) + 1);
          const root = naiveRoot(size);
          const leaf = all[index] as Hash;
          expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);
          if (proof.length > 0) expect(verifyInclusion(leaf, index, size, flipped(proof, pick % proof.length, byte, bit), root)).toBe(false);
          expect(verifyInclusion(flipped([leaf], 0, byte, bit)[0] as Hash, index, size, proof, root)).toBe(false);
          expect(verifyInclusion(leaf, index, size, proof, flipped([root], 0, byte, bit)[0] as Hash)).toBe(false);
          if (size > 1) expect(verifyInclusion(all[(index + 1) % size] as Hash, index, size, proof, root)).toBe(false);
          expect(verifyInclusion(leaf, index, size * 2, proof, root)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('consistency proofs verify for random size pairs, and fail for any flipped bit or another tree', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: MAX }).chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n), fc.nat(), fc.nat(31), fc.nat(7))),
        async ([m, n, pick, byte, bit]) => {
          store.resetReads();
          const proof = await consistencyProof(m, n, store.readHash);
          expect(store.reads()).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)) + 1);
          const rootM = naiveRoot(m);
          const rootN = naiveRoot(n);
          expect(verifyConsistency(m, n, proof, rootM, rootN)).toBe(true);
          if (m === n) return;
          expect(verifyConsistency(m, n, flipped(proof, pick % proof.length, byte, bit), rootM, rootN)).toBe(false);
          expect(verifyConsistency(m, n, proof, flipped([rootM], 0, byte, bit)[0] as Hash, rootN)).toBe(false);
          expect(verifyConsistency(m, n, proof, rootM, flipped([rootN], 0, byte, bit)[0] as Hash)).toBe(false);
          // A log that rewrote one of the first m leaves cannot prove its new tree extends the old one.
          const rewritten = all.slice(0, n);
          rewritten[pick % m] = leafHash(new Uint8Array([1, 2, 3]));
          const forged = await consistencyProof(m, n, storeOf(rewritten).readHash);
          expect(verifyConsistency(m, n, forged, rootM, merkleTreeHash(rewritten))).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses proofs the tree cannot have', async () => {
    await expect(inclusionProof(5, 5, store.readHash)).rejects.toMatchObject({ code: 'invalid-tree-size' });
    await expect(inclusionProof(-1, 5, store.readHash)).rejects.toMatchObject({ code: 'invalid-tree-size' });
    await expect(consistencyProof(6, 5, store.readHash)).rejects.toMatchObject({ code: 'invalid-tree-size' });
    await expect(treeHash(1.5, store.readHash)).rejects.toMatchObject({ code: 'invalid-tree-size' });
    await expect(treeHash(2, async () => new Uint8Array(31))).rejects.toMatchObject({ code: 'invalid-hash' });
  });
});

describe('appending', () => {
  it('stores the same hashes whether appended statelessly or through the frontier, and a reloaded frontier continues the same tree', async () => {
    const leaves = leavesOf(300);
    const { stored, frontier, readHash } = storeOf(leaves);
    const again = new Map<string, Hash>();
    for (let i = 0; i < leaves.length; i++) {
      for (const s of await storedHashesForLeaf(i, leaves[i] as Hash, async (l, x) => again.get(`${l}/${x}`) as Hash)) again.set(`${s.level}/${s.index}`, s.hash);
    }
    expect([...again.keys()].sort()).toEqual([...stored.keys()].sort());
    expect(stored.size).toBeLessThan(2 * leaves.length);
    expect(toHex(frontier.root())).toBe(toHex(merkleTreeHash(leaves)));
    for (const size of [0, 1, 2, 37, 128, 255]) {
      const reloaded = await MerkleFrontier.load(size, readHash);
      expect(toHex(reloaded.root())).toBe(toHex(merkleTreeHash(leaves.slice(0, size))));
      for (const leaf of leaves.slice(size)) reloaded.append(leaf);
      expect(reloaded.size).toBe(leaves.length);
      expect(toHex(reloaded.root())).toBe(toHex(merkleTreeHash(leaves)));
    }
  });

  it('handles sizes far beyond 32 bits (a log of identical leaves, whose subtree hashes depend only on their level)', async () => {
    const byLevel = [leafHash(new Uint8Array([7]))];
    for (let l = 1; l <= 53; l++) byLevel.push(nodeHash(byLevel[l - 1] as Hash, byLevel[l - 1] as Hash));
    const readHash: ReadHash = async (level) => byLevel[level] as Hash;
    for (const [m, n] of [[2 ** 33 + 5, 2 ** 40 + 12345], [2 ** 32 - 1, 2 ** 32 + 1], [1, Number.MAX_SAFE_INTEGER]] as const) {
      const rootN = await treeHash(n, readHash);
      const proof = await inclusionProof(m, n, readHash);
      expect(verifyInclusion(byLevel[0] as Hash, m, n, proof, rootN)).toBe(true);
      const consistency = await consistencyProof(m, n, readHash);
      expect(verifyConsistency(m, n, consistency, await treeHash(m, readHash), rootN)).toBe(true);
    }
  });
});
