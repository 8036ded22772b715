import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteDatabase = Database.Database;

/**
 * Opens the ledger's SQLite file. WAL with synchronous=FULL: every commit is fsynced before it
 * returns, so an acknowledged write survives `kill -9` and power loss.
 */
export function openSqlite(file: string): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // Another process (CLI, worker) may hold the write lock for a moment.
  db.pragma('busy_timeout = 5000');
  return db;
}
