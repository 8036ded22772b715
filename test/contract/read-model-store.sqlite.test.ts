import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/sqlite/database.ts';
import { SqliteReadModelStore } from '../../src/adapters/sqlite/read-model-store.ts';
import { PartitionedReadModelStore } from '../../src/adapters/partitioned-read-model-store.ts';
import { tempDir } from '../support/ledger.ts';
import { readModelStoreContract } from './read-model-store.contract.ts';

/** A store on a fresh temp file; reopen closes the file and opens it again, as a restart would. */
async function sqliteStore() {
  const dir = tempDir('read-models-');
  const file = join(dir, 'ledger.sqlite');
  let db = openSqlite(file);
  let store = new SqliteReadModelStore(db);
  const others: SqliteDatabase[] = [];
  const closeAll = async () => {
    await store.close();
    db.close();
  };
  return {
    store,
    db: () => db,
    reopen: async () => {
      await closeAll();
      db = openSqlite(file);
      store = new SqliteReadModelStore(db);
      return store;
    },
    // A connection of its own to the same file, as another process (or the projection thread) has.
    another: async () => {
      const otherDb = openSqlite(file);
      others.push(otherDb);
      return new SqliteReadModelStore(otherDb);
    },
    cleanup: async () => {
      await closeAll();
      for (const other of others.splice(0)) other.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

readModelStoreContract('SQLite', sqliteStore);

/**
 * Two files, as the embedded ledger keeps the verification index: the contract's own projection
 * (`…-index`, with its `…_acts` and `…_tally`) in a file of its own, every other one in the shared
 * file, so its batches, fences and ownership checks span both.
 */
async function partitionedStore() {
  const dir = tempDir('read-models-partitioned-');
  const files = [join(dir, 'read-models.sqlite'), join(dir, 'read-models.own.sqlite')];
  const dbs: SqliteDatabase[] = [];
  const open = () => {
    const [shared, own] = files.map((file) => {
      const db = openSqlite(file);
      dbs.push(db);
      return new SqliteReadModelStore(db);
    });
    return new PartitionedReadModelStore(shared!, [
      { store: own!, projection: (name) => name.endsWith('-index'), collection: (name) => name.endsWith('_acts') || name.endsWith('_tally') },
    ]);
  };
  let store = open();
  return {
    store,
    reopen: async () => {
      await store.close();
      for (const db of dbs.splice(0)) db.close();
      store = open();
      return store;
    },
    another: async () => open(),
    cleanup: async () => {
      await store.close();
      for (const db of dbs.splice(0)) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

readModelStoreContract('SQLite, partitioned over two files', partitionedStore);

describe('SQLite read-model store', () => {
  it('answers filtered queries from the index of the field, not by scanning the table', async () => {
    const subject = await sqliteStore();
    try {
      await subject.store.register({ name: 'plan', version: 1, collections: [{ name: 'plan_acts', indexes: ['documentHash'] }] });
      const plan = subject
        .db()
        .prepare(`EXPLAIN QUERY PLAN SELECT doc FROM "rm:plan_acts:g1" WHERE "f:documentHash" IS ? ORDER BY id`)
        .all('h') as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join(' | ')).toMatch(/USING (COVERING )?INDEX/);
    } finally {
      await subject.cleanup();
    }
  });

  it('drops the tables of a replaced generation, so purged rows do not linger on disk', async () => {
    const subject = await sqliteStore();
    try {
      const layout = { name: 'gone', version: 1, collections: [{ name: 'gone_acts', indexes: [] }] };
      await subject.store.register(layout);
      const generation = await subject.store.startRebuild({ ...layout, version: 2 });
      await subject.store.finishRebuild('gone', generation);
      const tables = subject.db().prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm:gone_acts:%'`).all();
      expect(tables).toEqual([{ name: `rm:gone_acts:g${generation}` }]);
    } finally {
      await subject.cleanup();
    }
  });
});
