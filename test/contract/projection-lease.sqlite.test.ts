import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteProjectionLease } from '../../src/adapters/sqlite/projection-lease.ts';
import { SqliteReadModelStore } from '../../src/adapters/sqlite/read-model-store.ts';
import { tempDir } from '../support/ledger.ts';
import { projectionLeaseContract } from './projection-lease.contract.ts';

// Two connections to one file, as two processes on one data dir have.
projectionLeaseContract('SQLite', async () => {
  const dir = tempDir('lease-');
  const file = join(dir, 'ledger.sqlite');
  const dbs = [openSqlite(file), openSqlite(file), openSqlite(join(dir, 'read-models.sqlite'))];
  return {
    first: new SqliteProjectionLease(dbs[0]!),
    second: new SqliteProjectionLease(dbs[1]!),
    readModels: new SqliteReadModelStore(dbs[2]!),
    cleanup: async () => {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite projection lease: a holder that died on this machine', () => {
  it('is taken over at once, before its time runs out, and only when its process is gone', async () => {
    const dir = tempDir('lease-');
    const file = join(dir, 'ledger.sqlite');
    const a = openSqlite(file);
    const b = openSqlite(file);
    try {
      const held = (await new SqliteProjectionLease(a).acquire('projections', 'holder-a', 60_000))!;
      // The row names this process as the holder's; pretend it is another process of this machine.
      a.prepare('UPDATE projection_leases SET pid = ? WHERE name = ?').run(process.pid + 1, 'projections');
      let alive = true;
      const contender = new SqliteProjectionLease(b, { processAlive: () => alive });
      expect(await contender.acquire('projections', 'holder-b', 60_000)).toBeUndefined();
      alive = false;
      const taken = await contender.acquire('projections', 'holder-b', 60_000);
      expect(taken?.token).toBeGreaterThan(held.token);
      expect(await contender.holderOf('projections')).toMatchObject({ holder: 'holder-b' });
    } finally {
      a.close();
      b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
