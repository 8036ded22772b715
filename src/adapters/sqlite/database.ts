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
  // 64 MiB of page cache instead of 2: the index pages every act touches stay in memory instead of
  // being read back from the file on each write.
  db.pragma('cache_size = -65536');
  return db;
}

/**
 * Commits `write` without waiting for the disk. Only for writes whose loss in a crash is harmless or
 * repaired (a read model with its checkpoint; a data key no event refers to yet): in WAL mode the
 * next FULL commit on this file, such as the event append that follows, fsyncs these frames too,
 * since the WAL is one file written in order.
 */
export function commitLazily<T>(db: SqliteDatabase, write: () => T): T {
  let modes = syncModes.get(db);
  if (!modes) {
    modes = { normal: db.prepare('PRAGMA synchronous = NORMAL'), full: db.prepare('PRAGMA synchronous = FULL') };
    syncModes.set(db, modes);
  }
  modes.normal.run();
  try {
    return write();
  } finally {
    modes.full.run();
  }
}

/** Prepared once per connection: the pragma switch runs on every batch. */
const syncModes = new WeakMap<SqliteDatabase, { normal: Database.Statement; full: Database.Statement }>();

/**
 * WAL pages after which a commit checkpoints by itself on a connection that leaves checkpoints to
 * another thread: only reached when that thread is behind or gone. About 40 MiB of WAL.
 */
const BACKSTOP_CHECKPOINT_PAGES = 10_000;

/**
 * This connection stops copying the WAL back into the database inside its own commits (SQLite does
 * that every 1000 pages by default, fsync of the database file included); another connection calls
 * `checkpointPassively` instead, off the thread that answers requests.
 */
export function leaveCheckpointsToAnotherThread(db: SqliteDatabase): void {
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
}

/** Copies what it can of the WAL into the database, waiting for no reader or writer. */
export function checkpointPassively(db: SqliteDatabase): void {
  db.pragma('wal_checkpoint(PASSIVE)');
}
