import { randomBytes } from 'node:crypto';
import type { KeyVault } from '../../ports/key-vault.ts';
import type { SqliteDatabase } from './database.ts';
import { compactId, eventFileFormat } from './event-file-format.ts';
import { GroupCommit, type SameTransactionWrite } from './group-commit.ts';

/** The `data_keys` table: key ids as text (layout 1) or, compact (layout 2), a UUID as its 16 bytes. */
export const dataKeysSchema = (compact: boolean) =>
  `CREATE TABLE IF NOT EXISTS data_keys (key_id ${compact ? 'BLOB' : 'TEXT'} PRIMARY KEY, key BLOB NOT NULL) WITHOUT ROWID`;

/**
 * KeyVault in the ledger's SQLite file (table `data_keys`, apart from the events).
 *
 * How a new key becomes durable, in one place:
 * - `withEvents` (the event store is this same file): `create` only stages the key. The event store
 *   is built with `pendingKeys` as a write alongside its appends, so the staged keys are inserted in
 *   the transaction of the next append, the act's first event: no transaction or fsync of their own,
 *   durable with that event. A key whose event never came refers to nothing; keys of a transaction
 *   that failed stay staged and go in with the next one.
 * - otherwise (events elsewhere, or none): each key is committed, and fsynced, before it is answered.
 */
export class SqliteKeyVault implements KeyVault {
  private readonly stmts;
  private readonly creations: ((keyId: string) => Promise<Buffer>) | undefined;
  /** New keys waiting for the next append's transaction (`withEvents` only). */
  private readonly staged = new Map<string, Buffer>();
  /** The staged keys the transaction under way writes; they leave `staged` once it has committed. */
  private writing: string[] = [];
  private readonly destroyAll: (keyIds: string[]) => number;
  /** A key id as this file's layout stores it. */
  private readonly keyOf: (keyId: string) => string | Buffer;

  /** What the event store writes inside each append's transaction: the keys staged since the last. */
  readonly pendingKeys: SameTransactionWrite = {
    write: () => {
      for (const [keyId, key] of this.staged) this.stmts.insert.run(this.keyOf(keyId), key);
      this.writing = [...this.staged.keys()];
    },
    committed: () => {
      for (const keyId of this.writing) this.staged.delete(keyId);
      this.writing = [];
    },
  };

  constructor(db: SqliteDatabase, options: { withEvents?: boolean } = {}) {
    // Layout 2 (event-file-format.ts) keys a UUID key id by its 16 bytes; an old file keeps text.
    const compact = eventFileFormat(db) === 2;
    db.exec(dataKeysSchema(compact));
    const keyOf = compact ? compactId : (id: string) => id;
    this.keyOf = keyOf;
    this.stmts = {
      insert: db.prepare<[string | Buffer, Buffer]>('INSERT OR IGNORE INTO data_keys (key_id, key) VALUES (?, ?)'),
      get: db.prepare<[string | Buffer], { key: Buffer }>('SELECT key FROM data_keys WHERE key_id = ?'),
      destroy: db.prepare<[string | Buffer]>('DELETE FROM data_keys WHERE key_id = ?'),
    };
    if (!options.withEvents) {
      const creations = new GroupCommit(db, (keyId: string) => {
        this.stmts.insert.run(keyOf(keyId), randomBytes(32));
        return this.stmts.get.get(keyOf(keyId))!.key;
      });
      this.creations = (keyId) => creations.submit(keyId);
    }
    // One durable transaction for a whole batch of erasures, not one fsync per key.
    const destroyAll = db.transaction((ids: string[]) => ids.reduce((n, id) => n + this.stmts.destroy.run(keyOf(id)).changes, 0));
    this.destroyAll = (ids) => destroyAll.immediate(ids);
  }

  async create(keyId: string): Promise<Buffer> {
    if (this.creations) return this.creations(keyId);
    const existing = this.staged.get(keyId) ?? this.stmts.get.get(this.keyOf(keyId))?.key;
    if (existing) return existing;
    const key = randomBytes(32);
    this.staged.set(keyId, key);
    return key;
  }

  async get(keyId: string): Promise<Buffer | undefined> {
    return this.staged.get(keyId) ?? this.stmts.get.get(this.keyOf(keyId))?.key;
  }

  async destroy(keyIds: string[]): Promise<number> {
    for (const id of keyIds) this.staged.delete(id);
    return this.destroyAll(keyIds);
  }
}
