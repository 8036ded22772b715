import { copyFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteReadModelStore } from '../../src/adapters/sqlite/read-model-store.ts';
import { layoutOf } from '../../src/app/projecting/projection-rebuild.ts';
import { ledgerFiles, moveToOwnFiles, openReadModelFiles } from '../../src/composition/stores.ts';
import { VERIFIED_ACTS, verificationIndexProjection } from '../../projections/verification-index.ts';
import { culProjection } from '../../projections/cul.ts';
import { tempDir } from '../support/ledger.ts';

const verified = { actId: 'a1', documentHash: 'ab'.repeat(32), name: 'Act', description: '', providerName: 'P', authorizedAt: '2026-12-03T10:00:00Z', method: 'sms' };

/** The read-model tables a SQLite file holds. */
function tablesIn(file: string): string[] {
  const db = openSqlite(file);
  try {
    return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm:%'`).all() as Array<{ name: string }>).map((t) => t.name);
  } finally {
    db.close();
  }
}

async function withFiles<T>(dataDir: string, use: (readModels: Awaited<ReturnType<typeof openReadModelFiles>>['readModels']) => Promise<T>): Promise<T> {
  const opened = openReadModelFiles(ledgerFiles(dataDir).readModels);
  try {
    return await use(opened.readModels);
  } finally {
    await opened.readModels.close();
    for (const db of opened.dbs) db.close();
  }
}

describe('the read models on files', () => {
  it('keeps the verification index in a file of its own on a new data dir, and every other projection in the shared one', async () => {
    const dataDir = tempDir('rm-files-');
    await withFiles(dataDir, async (readModels) => {
      await readModels.register(layoutOf(verificationIndexProjection));
      await readModels.register(layoutOf(culProjection));
      await readModels.apply(verificationIndexProjection.name, 1, [{ collection: VERIFIED_ACTS, op: 'put', id: 'a1', doc: verified }]);
    });
    const files = ledgerFiles(dataDir).readModels;
    const own = files.own[verificationIndexProjection.name]!;
    expect(tablesIn(own).sort()).toEqual(verificationIndexProjection.collections.map((c) => `rm:${c.name}:g1`).sort());
    expect(tablesIn(files.shared).some((t) => t.startsWith(`rm:${VERIFIED_ACTS}:`))).toBe(false);
    expect(tablesIn(files.shared)).toEqual(expect.arrayContaining(culProjection.collections.map((c) => `rm:${c.name}:g1`)));
    // Opened again (a restart, or the other thread): found where it was written, checkpoint and all.
    await withFiles(dataDir, async (readModels) => {
      expect(await readModels.find(VERIFIED_ACTS, { where: { documentHash: verified.documentHash } })).toEqual([verified]);
      expect(await readModels.checkpoints.get(verificationIndexProjection.name)).toBe(1);
    });
  });

  it('leaves the verification index in the shared file of a data dir from before, where it already was', async () => {
    const dataDir = tempDir('rm-files-old-');
    const files = ledgerFiles(dataDir).readModels;
    const db = openSqlite(files.shared);
    const before = new SqliteReadModelStore(db);
    await before.register(layoutOf(verificationIndexProjection));
    await before.apply(verificationIndexProjection.name, 7, [{ collection: VERIFIED_ACTS, op: 'put', id: 'a1', doc: verified }]);
    db.close();
    await withFiles(dataDir, async (readModels) => {
      expect((await readModels.register(layoutOf(verificationIndexProjection))).position).toBe(7);
      expect(await readModels.find(VERIFIED_ACTS, { where: { documentHash: verified.documentHash } })).toEqual([verified]);
    });
    expect(existsSync(files.own[verificationIndexProjection.name]!)).toBe(false);
  });

  /** A data dir as a version before the verification index's own file left it: everything in the shared file. */
  async function dataDirFromBefore(): Promise<string> {
    const dataDir = tempDir('rm-files-move-');
    const db = openSqlite(ledgerFiles(dataDir).readModels.shared);
    const before = new SqliteReadModelStore(db);
    await before.register(layoutOf(verificationIndexProjection));
    await before.register(layoutOf(culProjection));
    await before.apply(verificationIndexProjection.name, 7, [
      { collection: VERIFIED_ACTS, op: 'put', id: 'a1', doc: verified },
      { collection: VERIFIED_ACTS, op: 'put', id: 'a2', doc: { ...verified, actId: 'a2' } },
    ]);
    // A rebuild under way moves too.
    const shadow = await before.startRebuild(layoutOf(verificationIndexProjection));
    await before.applyBatch([{ projection: verificationIndexProjection.name, generation: shadow, position: 3, changes: [{ collection: VERIFIED_ACTS, op: 'put', id: 'a1', doc: verified }] }]);
    db.close();
    return dataDir;
  }

  it('ledger store migrate moves it out of the shared file, every row checked, and nothing else', async () => {
    const dataDir = await dataDirFromBefore();
    const files = ledgerFiles(dataDir).readModels;
    const [report] = moveToOwnFiles(dataDir);
    expect(report).toMatchObject({ projection: verificationIndexProjection.name, moved: true, tables: 4, rows: 3 });
    expect(tablesIn(files.shared).some((t) => t.startsWith(`rm:${VERIFIED_ACTS}:`) || t.startsWith('rm:verification_pending:'))).toBe(false);
    expect(tablesIn(files.shared)).toEqual(expect.arrayContaining(culProjection.collections.map((c) => `rm:${c.name}:g1`)));
    expect(tablesIn(files.own[verificationIndexProjection.name]!)).toHaveLength(4);
    await withFiles(dataDir, async (readModels) => {
      expect(await readModels.register(layoutOf(verificationIndexProjection))).toMatchObject({ generation: 1, position: 7, upToDate: true });
      expect(await readModels.find(VERIFIED_ACTS, { where: { documentHash: verified.documentHash } })).toHaveLength(2);
      expect(await readModels.checkpoints.get(verificationIndexProjection.name, 2)).toBe(3);
      // The next rebuild's number is not one handed out before.
      expect(await readModels.startRebuild(layoutOf(verificationIndexProjection))).toBe(3);
    });
    expect(moveToOwnFiles(dataDir)).toEqual([{ projection: verificationIndexProjection.name, moved: false, reason: 'it is in a file of its own already' }]);
  });

  it('after a move cut short between its two commits, opens the copy and finishes the move when run again', async () => {
    const dataDir = await dataDirFromBefore();
    const files = ledgerFiles(dataDir).readModels;
    copyFileSync(files.shared, `${files.shared}.before`);
    moveToOwnFiles(dataDir);
    await withFiles(dataDir, async (readModels) => {
      await readModels.apply(verificationIndexProjection.name, 8, [{ collection: VERIFIED_ACTS, op: 'put', id: 'a3', doc: { ...verified, actId: 'a3' } }]);
    });
    // The shared file as it was before the second commit: it still holds the projection too.
    copyFileSync(`${files.shared}.before`, files.shared);
    await withFiles(dataDir, async (readModels) => {
      expect(await readModels.checkpoints.get(verificationIndexProjection.name)).toBe(8);
      expect(await readModels.get(VERIFIED_ACTS, 'a3')).toMatchObject({ actId: 'a3' });
    });
    expect(moveToOwnFiles(dataDir)).toEqual([expect.objectContaining({ moved: true, tables: 0, rows: 0 })]);
    expect(tablesIn(files.shared).some((t) => t.startsWith(`rm:${VERIFIED_ACTS}:`))).toBe(false);
    await withFiles(dataDir, async (readModels) => {
      expect(await readModels.find(VERIFIED_ACTS, { where: { documentHash: verified.documentHash } })).toHaveLength(3);
    });
  });

  it('reads the lookup\'s index whole when the query connection opens, from its index pages alone, and maps its file', async () => {
    const dataDir = tempDir('rm-files-preload-');
    await withFiles(dataDir, async (readModels) => {
      await readModels.register(layoutOf(verificationIndexProjection));
      await readModels.apply(verificationIndexProjection.name, 1, [
        { collection: VERIFIED_ACTS, op: 'put', id: 'a1', doc: verified },
        { collection: VERIFIED_ACTS, op: 'put', id: 'a2', doc: { ...verified, actId: 'a2', documentHash: 'cd'.repeat(32) } },
      ]);
    });
    const opened = openReadModelFiles(ledgerFiles(dataDir).readModels, { forQueries: true });
    try {
      expect(opened.preloaded).toEqual([{ collection: VERIFIED_ACTS, field: 'documentHash', entries: 2, ms: expect.any(Number) }]);
      const own = opened.dbs[1]!;
      // Mapped into memory on this connection, the shared file not (it is larger than SQLite maps).
      expect(own.pragma('mmap_size', { simple: true })).toBe(2 ** 31 - 2 ** 16);
      expect(opened.dbs[0]!.pragma('mmap_size', { simple: true })).toBe(0);
      const plan = own.prepare(`EXPLAIN QUERY PLAN SELECT COUNT(id) FROM "rm:verification_acts:g1" INDEXED BY "rm:verification_acts:g1:documentHash"`).all() as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join()).toContain('COVERING INDEX');
    } finally {
      for (const db of opened.dbs) db.close();
    }
    // The projection thread's connection reads nothing ahead.
    expect(openReadModelFilesPreloaded(dataDir)).toEqual([]);
  });
});

function openReadModelFilesPreloaded(dataDir: string) {
  const opened = openReadModelFiles(ledgerFiles(dataDir).readModels);
  for (const db of opened.dbs) db.close();
  return opened.preloaded;
}
