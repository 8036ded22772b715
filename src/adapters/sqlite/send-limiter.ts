import type { SendLimiter } from '../../ports/send-limiter.ts';
import type { SqliteDatabase } from './database.ts';

/** SendLimiter on SQLite: one row per send, counted inside a transaction. */
export class SqliteSendLimiter implements SendLimiter {
  private readonly acquire: (key: string, limit: number, windowMs: number, nowMs: number) => boolean;

  constructor(db: SqliteDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS code_sends (key TEXT NOT NULL, at INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS code_sends_key_at ON code_sends (key, at);`);
    const count = db.prepare<[string, number], { n: number }>('SELECT COUNT(*) AS n FROM code_sends WHERE key = ? AND at > ?');
    const insert = db.prepare<[string, number]>('INSERT INTO code_sends (key, at) VALUES (?, ?)');
    const prune = db.prepare<[string, number]>('DELETE FROM code_sends WHERE key = ? AND at <= ?');
    this.acquire = db.transaction((key: string, limit: number, windowMs: number, nowMs: number) => {
      prune.run(key, nowMs - windowMs);
      if (count.get(key, nowMs - windowMs)!.n >= limit) return false;
      insert.run(key, nowMs);
      return true;
    });
  }

  async tryAcquire(key: string, limit: number, windowMs: number, nowMs: number): Promise<boolean> {
    return this.acquire(key, limit, windowMs, nowMs);
  }
}
