import { randomBytes } from 'node:crypto';
import type { KeyVault } from '../../ports/key-vault.ts';
import type { SqliteDatabase } from './database.ts';

/**
 * KeyVault in the ledger's SQLite file (table `data_keys`, apart from the events). Creations in the
 * same tick share one transaction, like the event store's group commit.
 */
export class SqliteKeyVault implements KeyVault {
  private pending: Array<{ keyId: string; resolve: (k: Buffer) => void; reject: (e: unknown) => void }> = [];
  private readonly stmts;
  private readonly commit: (ids: string[]) => Buffer[];

  constructor(db: SqliteDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS data_keys (key_id TEXT PRIMARY KEY, key BLOB NOT NULL) WITHOUT ROWID`);
    this.stmts = {
      insert: db.prepare<[string, Buffer]>('INSERT OR IGNORE INTO data_keys (key_id, key) VALUES (?, ?)'),
      get: db.prepare<[string], { key: Buffer }>('SELECT key FROM data_keys WHERE key_id = ?'),
      destroy: db.prepare<[string]>('DELETE FROM data_keys WHERE key_id = ?'),
    };
    this.commit = db.transaction((ids: string[]) =>
      ids.map((id) => {
        this.stmts.insert.run(id, randomBytes(32));
        return this.stmts.get.get(id)!.key;
      }),
    );
  }

  create(keyId: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ keyId, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    try {
      const keys = this.commit(batch.map((p) => p.keyId));
      batch.forEach((p, i) => p.resolve(keys[i]!));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  async get(keyId: string): Promise<Buffer | undefined> {
    return this.stmts.get.get(keyId)?.key;
  }

  async destroy(keyIds: string[]): Promise<number> {
    let n = 0;
    for (const id of keyIds) n += this.stmts.destroy.run(id).changes;
    return n;
  }
}
