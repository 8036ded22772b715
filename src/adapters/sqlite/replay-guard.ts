import type { ReplayGuard, SpendDurability } from '../../ports/replay-guard.ts';
import type { SqliteDatabase } from './database.ts';
import { GroupCommit } from './group-commit.ts';

interface Spend {
  scope: string;
  id: string;
  expiresAt: number;
}

/** ReplayGuard on SQLite: a primary key makes the second insert of the same value a no-op, seen as a repeat. */
export class SqliteReplayGuard implements ReplayGuard {
  private readonly inserts: Record<SpendDurability, GroupCommit<Spend, boolean>>;
  private readonly prune;
  private readonly lookup;
  private count = 0;

  constructor(db: SqliteDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS used_once (
      scope TEXT NOT NULL, id TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (scope, id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS used_once_expiry ON used_once (expires_at)`);
    const insert = db.prepare<[string, string, number]>('INSERT OR IGNORE INTO used_once (scope, id, expires_at) VALUES (?, ?, ?)');
    this.prune = db.prepare<[number]>('DELETE FROM used_once WHERE expires_at < ?');
    this.lookup = db.prepare<[string, string, number], { found: number }>('SELECT 1 AS found FROM used_once WHERE scope = ? AND id = ? AND expires_at >= ?');
    const spend = ({ scope, id, expiresAt }: Spend) => insert.run(scope, id, expiresAt).changes === 1;
    this.inserts = {
      // fsynced before it answers: a value seen once is still refused after a power loss.
      'power-loss': new GroupCommit(db, spend),
      // Committed to the WAL without waiting for the disk: the OS keeps it through a process crash.
      crash: new GroupCommit(db, spend, { lazy: true }),
    };
  }

  async consume(scope: string, id: string, expiresAt: number, durability: SpendDurability = 'power-loss'): Promise<boolean> {
    // Expired entries go in passing (a range of the expiry index, not a scan of the table); a value
    // past its expiry is refused by its own check anyway.
    if (++this.count % 1000 === 0) this.prune.run(Date.now());
    return this.inserts[durability].submit({ scope, id, expiresAt });
  }

  async seen(scope: string, id: string): Promise<boolean> {
    return this.lookup.get(scope, id, Date.now()) !== undefined;
  }
}
