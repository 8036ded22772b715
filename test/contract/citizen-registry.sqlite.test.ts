import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/sqlite/database.ts';
import { SqliteCitizenRegistry } from '../../src/adapters/sqlite/citizen-registry.ts';
import { tempDir } from '../support/ledger.ts';
import { citizenRegistryContract } from './citizen-registry.contract.ts';

citizenRegistryContract('SQLite', async () => {
  const dir = tempDir('citizens-');
  const file = join(dir, 'ledger.sqlite');
  const opened: SqliteDatabase[] = [];
  // Each registry on a connection of its own to the one file, as two processes would have.
  const open = () => {
    const db = openSqlite(file);
    opened.push(db);
    return new SqliteCitizenRegistry(db);
  };
  return {
    registry: open(),
    another: async () => open(),
    cleanup: async () => {
      for (const db of opened.splice(0)) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
