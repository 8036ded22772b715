import type { SendLimiter } from '../../ports/send-limiter.ts';
import { commitLazily, type SqliteDatabase } from './database.ts';

/** SendLimiter on SQLite: one row per send, counted inside a transaction. */
export class SqliteSendLimiter implements SendLimiter {
  private readonly acquire: (key: string, limit: number, windowMs: number, nowMs: number) => boolean;

  constructor(db: SqliteDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS code_sends (key TEXT NOT NULL, at INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS code_sends_key_at ON code_sends (key, at);`);
    const count = db.prepare<[string, number], { n: number }>('SELECT COUNT(*) AS n FROM code_sends WHERE key = ? AND at > ?');
    const insert = db.prepare<[string, number]>('INSERT INTO code_sends (key, at) VALUES (?, ?)');
    const prune = db.prepare<[string, number]>('DELETE FROM code_sends WHERE key = ? AND at <= ?');
    const acquire = db.transaction((key: string, limit: number, windowMs: number, nowMs: number) => {
      prune.run(key, nowMs - windowMs);
      if (count.get(key, nowMs - windowMs)!.n >= limit) return false;
      insert.run(key, nowMs);
      return true;
    });
    // No fsync of its own: on the embedded default the code's CodeIssued, appended to this file
    // right after, makes the count durable with it. With another event store, a power cut may
    // forget the last counts: a process crash does not, and a forgotten count only lets a few more codes out.
    this.acquire = (key, limit, windowMs, nowMs) => commitLazily(db, () => acquire.immediate(key, limit, windowMs, nowMs));
  }

  async tryAcquire(key: string, limit: number, windowMs: number, nowMs: number): Promise<boolean> {
    return this.acquire(key, limit, windowMs, nowMs);
  }
}
