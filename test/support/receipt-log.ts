import { canonicalEventBytes } from '../../events/canonical.ts';
import type { EventStore } from '../../src/ports/event-store.ts';
import type { ReceiptLog } from '../../src/app/acts/receipts.ts';
import { formatCheckpoint, generateNoteKey, inclusionProof, leafHash, merkleTreeHash, parseSignerKey, signNote, treeHash, type Hash } from '../../tlog/index.ts';

/**
 * A small, real transparency log over an event store, for tests of receipts: leaf i is the leaf hash
 * of the canonical bytes of the i+1-th event of the log (AUDIT-CONTRACTS.md), the tree is computed
 * by tlog/ from those leaves, and checkpoints are signed notes under a fresh Ed25519 key. `checkpointNow`
 * covers everything appended so far; nothing is checkpointed until it is called.
 */
export async function storeLog(store: EventStore, origin = 'ledger.test/act-ledger'): Promise<ReceiptLog & { verifierKey: string; origin: string; checkpointNow(): Promise<number> }> {
  const { signerKey, verifierKey } = generateNoteKey(origin);
  const signer = parseSignerKey(signerKey);
  let latest: { treeSize: number; rootHash: Uint8Array; checkpoint: string } | undefined;
  const leaves = async () => (await store.readAll({ limit: 1_000_000 })).map((e) => ({ position: e.position, leaf: leafHash(canonicalEventBytes(e)) }));
  // The hash of the complete subtree at (level, index), from the leaves: what a stored tile would hold.
  const readHashOf = (hashes: Hash[]) => async (level: number, index: number) => merkleTreeHash(hashes.slice(index * 2 ** level, (index + 1) * 2 ** level));
  return {
    origin,
    verifierKey,
    async checkpointNow() {
      const hashes = (await leaves()).map((l) => l.leaf);
      const rootHash = await treeHash(hashes.length, readHashOf(hashes));
      latest = { treeSize: hashes.length, rootHash, checkpoint: signNote(formatCheckpoint({ origin, size: hashes.length, rootHash, extensions: [] }), [signer]) };
      return hashes.length;
    },
    async latestCheckpoint() {
      return latest;
    },
    async inclusionProof(index, treeSize) {
      const hashes = (await leaves()).map((l) => l.leaf);
      return inclusionProof(index, treeSize, readHashOf(hashes));
    },
    async sequenceOf(position) {
      const at = (await leaves()).findIndex((l) => l.position === position);
      return at < 0 ? undefined : at + 1;
    },
  };
}

