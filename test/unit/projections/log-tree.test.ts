import { describe, expect, it } from 'vitest';
import { canonicalEventBytes } from '../../../events/canonical.ts';
import type { RecordedEvent } from '../../../events/envelope.ts';
import { applyChange, type ReadModelDocument } from '../../../projections/projection.ts';
import { hashKey, LOG_CHECKPOINTS, LOG_TREE_HASHES, LOG_TREE_HEAD, LOG_TREE_HEAD_ID, logTreeProjection, type LogTreeHash, type LogTreeHead } from '../../../projections/log-tree.ts';
import { fromBase64, leafHash, merkleTreeHash, treeHash } from '../../../tlog/index.ts';
import { loadConfig } from '../../../src/config.ts';
import { recordedEvent } from '../../support/projection-spec.ts';

/** Runs the projection over `events` into an in-memory store, as the runner applies changes. */
async function project(events: RecordedEvent[]): Promise<Map<string, Map<string, ReadModelDocument>>> {
  const store = new Map<string, Map<string, ReadModelDocument>>(logTreeProjection.collections.map((c) => [c.name, new Map()]));
  const read = { get: async <T extends object>(collection: string, id: string) => store.get(collection)!.get(id) as T | undefined };
  for (const event of events) {
    for (const change of await logTreeProjection.project(event, read)) {
      if (change.op === 'deleteWhere') throw new Error('the log tree never deletes');
      const docs = store.get(change.collection)!;
      const next = applyChange(docs.get(change.id), change);
      if (next) docs.set(change.id, next);
      else docs.delete(change.id);
    }
  }
  return store;
}

const events = (n: number): RecordedEvent[] =>
  Array.from({ length: n }, (_, i) =>
    recordedEvent('retention', 'RetentionPolicyChanged', {
      by: `admin:${i}`,
      old: { failedAuthorizationRetentionMs: i, purgeEveryMs: 1000 },
      new: { failedAuthorizationRetentionMs: i + 1, purgeEveryMs: 1000 },
      changedAt: '2026-11-20T08:00:00.000Z',
    }, { revision: i }),
  );

describe('log-tree projection', () => {
  it('keeps every complete subtree hash of the RFC 6962 tree of the canonical bytes, in log order', async () => {
    for (const n of [1, 2, 3, 7, 8, 255, 256, 257, 600]) {
      const log = events(n);
      const store = await project(log);
      const hashes = store.get(LOG_TREE_HASHES)!;
      const read = async (level: number, index: number) => fromBase64((hashes.get(hashKey(level, index)) as unknown as LogTreeHash).hash)!;
      const leaves = log.map((e) => leafHash(canonicalEventBytes(e)));
      expect(Buffer.from(await treeHash(n, read))).toEqual(Buffer.from(merkleTreeHash(leaves)));
      expect(store.get(LOG_TREE_HEAD)!.get(LOG_TREE_HEAD_ID)).toEqual({ size: n, entriesSize: n });
      // About two documents a leaf: the leaf and the subtrees it completes.
      expect(hashes.size).toBeLessThan(2 * n);
    }
  });

  it('names the tile of each hash at a tile level, and of no other', async () => {
    const hashes = (await project(events(600))).get(LOG_TREE_HASHES)!;
    expect((hashes.get(hashKey(0, 300)) as unknown as LogTreeHash).tile).toBe('0/1');
    expect((hashes.get(hashKey(8, 1)) as unknown as LogTreeHash).tile).toBe('1/0');
    expect((hashes.get(hashKey(3, 5)) as unknown as LogTreeHash).tile).toBeUndefined();
  });

  it('lists checkpoints, and does not count their own events as growth a checkpoint is due for', async () => {
    const log = events(5);
    const checkpoint = recordedEvent('ledger-checkpoints', 'LedgerCheckpointed', {
      origin: 'example.test/act-ledger',
      treeSize: 5,
      rootHash: Buffer.alloc(32, 7).toString('base64'),
      checkpoint: 'example.test/act-ledger\n5\nBwcH\n\n— example.test/act-ledger AAAA\n',
    });
    const store = await project([...log, checkpoint]);
    expect(store.get(LOG_TREE_HEAD)!.get(LOG_TREE_HEAD_ID) as unknown as LogTreeHead).toEqual({ size: 6, entriesSize: 5 });
    expect([...store.get(LOG_CHECKPOINTS)!.values()]).toEqual([expect.objectContaining({ treeSize: 5, position: checkpoint.position, revision: 0 })]);
  });
});

describe('LEDGER_LOG_ORIGIN and LEDGER_CHECKPOINT_EVERY', () => {
  it('defaults to the public host and ten seconds, and refuses an origin that cannot name a note key', () => {
    expect(loadConfig({ LEDGER_PUBLIC_URL: 'https://ledger.example.gov' }).log).toEqual({ origin: 'ledger.example.gov/act-ledger', checkpointEveryMs: 10_000 });
    expect(loadConfig({ LEDGER_LOG_ORIGIN: 'log.example/x', LEDGER_CHECKPOINT_EVERY: 'PT2S' }).log).toEqual({ origin: 'log.example/x', checkpointEveryMs: 2000 });
    expect(() => loadConfig({ LEDGER_LOG_ORIGIN: 'a b' })).toThrow(/LEDGER_LOG_ORIGIN/);
    expect(() => loadConfig({ LEDGER_LOG_ORIGIN: 'a+b' })).toThrow(/LEDGER_LOG_ORIGIN/);
    expect(() => loadConfig({ LEDGER_CHECKPOINT_EVERY: 'PT0.1S' })).toThrow(/LEDGER_CHECKPOINT_EVERY/);
  });
});
