import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/sqlite/database.ts';
import { SqliteKeyVault } from '../../src/adapters/sqlite/key-vault.ts';
import { tempDir } from '../support/ledger.ts';
import { keyVaultContract } from './key-vault.contract.ts';

// The vault on a file of its own (events elsewhere): each key is committed before it is answered.
keyVaultContract('SQLite', async () => {
  const dir = tempDir('key-vault-');
  const file = join(dir, 'ledger.sqlite');
  const opened: SqliteDatabase[] = [];
  const open = () => {
    const db = openSqlite(file);
    opened.push(db);
    return new SqliteKeyVault(db);
  };
  return {
    vault: open(),
    another: async () => open(),
    cleanup: async () => {
      for (const db of opened.splice(0)) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
