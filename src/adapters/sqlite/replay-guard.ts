import type { ReplayGuard } from '../../ports/replay-guard.ts';
import type { SqliteDatabase } from './database.ts';
import { GroupCommit } from './group-commit.ts';

/** ReplayGuard on SQLite: a primary key makes the second insert of the same value a no-op, seen as a repeat. */
export class SqliteReplayGuard implements ReplayGuard {
  private readonly inserts: GroupCommit<{ scope: string; id: string; expiresAt: number }, boolean>;
  private readonly prune;
  private count = 0;

  constructor(db: SqliteDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS used_once (
      scope TEXT NOT NULL, id TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (scope, id)
    ) WITHOUT ROWID`);
    const insert = db.prepare<[string, string, number]>('INSERT OR IGNORE INTO used_once (scope, id, expires_at) VALUES (?, ?, ?)');
    this.prune = db.prepare<[number]>('DELETE FROM used_once WHERE expires_at < ?');
    // Durable before it answers: a value seen once must still be refused after a crash.
    this.inserts = new GroupCommit(db, ({ scope, id, expiresAt }) => insert.run(scope, id, expiresAt).changes === 1);
  }

  async consume(scope: string, id: string, expiresAt: number): Promise<boolean> {
    // Expired entries go in passing; a value past its expiry is refused by its own check anyway.
    if (++this.count % 1000 === 0) this.prune.run(Date.now());
    return this.inserts.submit({ scope, id, expiresAt });
  }
}
