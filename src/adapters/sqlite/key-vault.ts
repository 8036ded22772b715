import { randomBytes } from 'node:crypto';
import type { KeyVault } from '../../ports/key-vault.ts';
import type { SqliteDatabase } from './database.ts';
import { GroupCommit } from './group-commit.ts';

/**
 * KeyVault in the ledger's SQLite file (table `data_keys`, apart from the events). When the event
 * store is the same file (`sharesFileWithEvents`), a new key needs no fsync of its own: the act's
 * first event, appended right after, makes it durable; a key whose event never came is harmless.
 */
export class SqliteKeyVault implements KeyVault {
  private readonly stmts;
  private readonly creations: GroupCommit<string, Buffer>;
  private readonly destroyAll: (keyIds: string[]) => number;

  constructor(db: SqliteDatabase, options: { sharesFileWithEvents?: boolean } = {}) {
    db.exec(`CREATE TABLE IF NOT EXISTS data_keys (key_id TEXT PRIMARY KEY, key BLOB NOT NULL) WITHOUT ROWID`);
    this.stmts = {
      insert: db.prepare<[string, Buffer]>('INSERT OR IGNORE INTO data_keys (key_id, key) VALUES (?, ?)'),
      get: db.prepare<[string], { key: Buffer }>('SELECT key FROM data_keys WHERE key_id = ?'),
      destroy: db.prepare<[string]>('DELETE FROM data_keys WHERE key_id = ?'),
    };
    this.creations = new GroupCommit(db, (keyId: string) => {
      this.stmts.insert.run(keyId, randomBytes(32));
      return this.stmts.get.get(keyId)!.key;
    }, { lazy: options.sharesFileWithEvents ?? false });
    // One durable transaction for a whole batch of erasures, not one fsync per key.
    const destroyAll = db.transaction((ids: string[]) => ids.reduce((n, id) => n + this.stmts.destroy.run(id).changes, 0));
    this.destroyAll = (ids) => destroyAll.immediate(ids);
  }

  create(keyId: string): Promise<Buffer> {
    return this.creations.submit(keyId);
  }

  async get(keyId: string): Promise<Buffer | undefined> {
    return this.stmts.get.get(keyId)?.key;
  }

  async destroy(keyIds: string[]): Promise<number> {
    return this.destroyAll(keyIds);
  }
}
