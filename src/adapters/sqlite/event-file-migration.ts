import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { openSqlite, type SqliteDatabase } from './database.ts';
import { COMPACT_FORMAT, compactId, eventFileFormat, eventRows, recordedFormat, type EventFileFormat, type EventRow } from './event-file-format.ts';
import { dataKeysSchema } from './key-vault.ts';
import { liveLeases } from './projection-lease.ts';

/** What `ledger store migrate` did, or why it had nothing to do. */
export type MigrationReport =
  | { migrated: false; format: EventFileFormat; reason: string }
  | {
      migrated: true;
      from: EventFileFormat;
      to: EventFileFormat;
      events: number;
      dataKeys: number;
      /** The other tables, copied row for row. */
      tables: Record<string, number>;
      bytesBefore: number;
      bytesAfter: number;
      /** Where the file as it was is kept (the operator removes it once satisfied). */
      previousFile: string;
      copyMs: number;
      checkMs: number;
    };

/** The migration could not be done; the file is as it was. */
export class MigrationRefusedError extends Error {
  override readonly name = 'MigrationRefusedError';
}

/** Events copied per transaction of the new file. */
const BATCH = 10_000;

/**
 * Copies the event file at `file`, written in layout 1, into a new file in the compact layout
 * (event-file-format.ts), checks every event, every data key and every row of the other tables of
 * the copy against the original, then puts the copy in the original's place and keeps the original
 * beside it as `<file>.layout-1`. Positions, revisions, ids and every byte of each event's JSON stay
 * as they were, so read models, checkpoints and the log's tree go on as before. The original is
 * never written to: while the copy is made and checked it is held locked against writers, and any
 * failure leaves it in place, untouched. Refused while a ledger process holds the file's leases.
 */
export function migrateEventFile(file: string, options: { progress?: (line: string) => void; now?: () => number } = {}): MigrationReport {
  if (!existsSync(file)) throw new MigrationRefusedError(`${file} does not exist: there is nothing to migrate`);
  const progress = options.progress ?? (() => {});
  const source = openSqlite(file);
  try {
    const format = recordedFormat(source);
    if (format === 'new') throw new MigrationRefusedError(`${file} holds no events and no data keys: there is nothing to migrate`);
    if (format === COMPACT_FORMAT) return { migrated: false, format, reason: 'the file is in the compact layout already' };
    refuseWhileRunning(source, file, options.now?.() ?? Date.now());
    const previousFile = `${file}.layout-1`;
    if (existsSync(previousFile)) throw new MigrationRefusedError(`${previousFile} exists already (the original of an earlier migration?): move it away first`);
    // Writers wait (and fail after their busy timeout) until the copy is in place: nothing is appended to the original meanwhile.
    source.exec('BEGIN IMMEDIATE');
    refuseWhileRunning(source, file, options.now?.() ?? Date.now());

    const target = `${file}.migrating`;
    removeFile(target);
    const bytesBefore = fileBytes(file);
    let copy: SqliteDatabase | undefined = openSqlite(target);
    try {
      const started = performance.now();
      const copied = copyInto(source, copy, progress);
      const copyMs = performance.now() - started;
      progress(`copied ${copied.events.toLocaleString('en-US')} events and ${copied.dataKeys.toLocaleString('en-US')} data keys in ${(copyMs / 1000).toFixed(1)} s; checking every one`);
      const checking = performance.now();
      checkCopy(source, copy, copied.tables, progress);
      const checkMs = performance.now() - checking;
      copy.close();
      copy = undefined;

      source.exec('ROLLBACK');
      // Closing the last connection folds the original's WAL into it; then the copy takes its place.
      source.close();
      renameSync(file, previousFile);
      renameSync(target, file);
      fsyncDirectory(dirname(file));
      return { migrated: true, from: format, to: COMPACT_FORMAT, ...copied, bytesBefore, bytesAfter: fileBytes(file), previousFile, copyMs: Math.round(copyMs), checkMs: Math.round(checkMs) };
    } catch (error) {
      copy?.close();
      removeFile(target);
      throw error;
    }
  } finally {
    if (source.open) {
      if (source.inTransaction) source.exec('ROLLBACK');
      source.close();
    }
  }
}

/** MigrationRefusedError while a ledger process holds one of the file's leases. */
export function refuseWhileRunning(db: SqliteDatabase, file: string, now: number): void {
  const held = liveLeases(db, now);
  if (held.length > 0) {
    const who = held.map((l) => `${l.name} by ${l.host ?? '?'} pid ${l.pid ?? '?'}`).join(', ');
    throw new MigrationRefusedError(`a ledger process runs on ${basename(file)} (leases held: ${who}): stop every ledger process on this data dir, then migrate`);
  }
}

/** Tables the migration converts itself; every other table and index is copied as it is. */
const CONVERTED = new Set(['events', 'data_keys', 'sqlite_sequence']);

function copyInto(source: SqliteDatabase, copy: SqliteDatabase, progress: (line: string) => void) {
  if (eventFileFormat(copy) !== COMPACT_FORMAT) throw new Error('the new file is not in the compact layout');
  const from = eventRows(1);
  const to = eventRows(COMPACT_FORMAT);
  copy.exec(to.schema);
  copy.exec(dataKeysSchema(true));

  const objects = source.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC").all() as Array<{ type: string; name: string; tbl_name: string; sql: string }>;
  const tables = objects.filter((o) => o.type === 'table' && !CONVERTED.has(o.name)).map((o) => o.name);
  for (const o of objects) if (!CONVERTED.has(o.tbl_name) && (o.type === 'table' || o.type === 'index')) copy.exec(o.sql);

  const insert = copy.prepare(to.insertAt);
  let events = 0;
  const rows = source.prepare(`SELECT ${from.select} FROM events ORDER BY position`).iterate() as IterableIterator<EventRow>;
  const batch: EventRow[] = [];
  const flush = copy.transaction((list: EventRow[]) => {
    for (const row of list) {
      const e = from.recorded(row);
      insert.run(row.position, ...to.values(e.streamName, e.revision, e));
    }
  });
  for (const row of rows) {
    batch.push(row);
    if (batch.length === BATCH) {
      flush(batch);
      events += batch.length;
      batch.length = 0;
      if (events % 500_000 === 0) progress(`copied ${events.toLocaleString('en-US')} events`);
    }
  }
  flush(batch);
  events += batch.length;


  const keys = source.prepare('SELECT key_id, key FROM data_keys').iterate() as IterableIterator<{ key_id: string; key: Buffer }>;
  const insertKey = copy.prepare('INSERT INTO data_keys (key_id, key) VALUES (?, ?)');
  let dataKeys = 0;
  copy.transaction(() => {
    for (const { key_id, key } of keys) {
      insertKey.run(compactId(key_id), key);
      dataKeys++;
    }
  })();

  const counts: Record<string, number> = {};
  copy.prepare('ATTACH DATABASE ? AS original').run(source.name);
  try {
    copy.transaction(() => {
      for (const table of tables) counts[table] = copy.prepare(`INSERT INTO main."${table}" SELECT * FROM original."${table}"`).run().changes;
    })();
  } finally {
    copy.exec('DETACH DATABASE original');
  }
  // Each AUTOINCREMENT table goes on where the original's would have: a position is never reused.
  const sequences = source.prepare('SELECT name, seq FROM sqlite_sequence').all() as Array<{ name: string; seq: number }>;
  copy.transaction(() => {
    for (const { name, seq } of sequences) {
      const updated = copy.prepare('UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?').run(seq, name).changes;
      if (updated === 0) copy.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(name, seq);
    }
  })();
  return { events, dataKeys, tables: counts };
}

/** Every event, data key and row of the copy against the original; throws at the first difference. */
function checkCopy(source: SqliteDatabase, copy: SqliteDatabase, tables: Record<string, number>, progress: (line: string) => void): void {
  const from = eventRows(1);
  const to = eventRows(COMPACT_FORMAT);
  const original = source.prepare(`SELECT ${from.select} FROM events ORDER BY position`).iterate() as IterableIterator<EventRow>;
  const copied = copy.prepare(`SELECT ${to.select} FROM events ORDER BY position`).iterate() as IterableIterator<EventRow>;
  let checked = 0;
  for (;;) {
    const a = original.next();
    const b = copied.next();
    if (a.done || b.done) {
      if (a.done !== b.done) throw new Error(`the copy holds ${a.done ? 'more' : 'fewer'} events than the original (after ${checked})`);
      break;
    }
    const x = from.recorded(a.value);
    const y = to.recorded(b.value);
    const same =
      x.position === y.position &&
      x.streamName === y.streamName &&
      x.revision === y.revision &&
      x.type === y.type &&
      x.metadata.eventId === a.value.event_id &&
      y.metadata.eventId === a.value.event_id &&
      JSON.stringify(x.data) === JSON.stringify(y.data) &&
      JSON.stringify(x.metadata) === JSON.stringify(y.metadata);
    if (!same) throw new Error(`the copy of the event at position ${x.position} (${x.streamName}@${x.revision}) differs from the original`);
    checked++;
    if (checked % 1_000_000 === 0) progress(`checked ${checked.toLocaleString('en-US')} events`);
  }

  const keyOf = copy.prepare<[string | Buffer], { key: Buffer }>('SELECT key FROM data_keys WHERE key_id = ?');
  let keys = 0;
  for (const { key_id, key } of source.prepare('SELECT key_id, key FROM data_keys').iterate() as IterableIterator<{ key_id: string; key: Buffer }>) {
    if (!keyOf.get(compactId(key_id))?.key.equals(key)) throw new Error(`the data key ${key_id} differs in the copy`);
    keys++;
  }
  const copiedKeys = (copy.prepare('SELECT COUNT(*) AS n FROM data_keys').get() as { n: number }).n;
  if (copiedKeys !== keys) throw new Error(`the copy holds ${copiedKeys} data keys, the original ${keys}`);

  copy.prepare('ATTACH DATABASE ? AS original').run(source.name);
  try {
    for (const table of Object.keys(tables)) {
      const differing = copy.prepare(`SELECT (SELECT COUNT(*) FROM (SELECT * FROM main."${table}" EXCEPT SELECT * FROM original."${table}")) + (SELECT COUNT(*) FROM (SELECT * FROM original."${table}" EXCEPT SELECT * FROM main."${table}")) AS n`).get() as { n: number };
      if (differing.n !== 0) throw new Error(`the table ${table} differs in the copy (${differing.n} rows)`);
    }
  } finally {
    copy.exec('DETACH DATABASE original');
  }
}

const withSidecars = (file: string) => [file, `${file}-wal`, `${file}-shm`];

function removeFile(file: string): void {
  for (const f of withSidecars(file)) rmSync(f, { force: true });
}

function fileBytes(file: string): number {
  return withSidecars(file).reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);
}

/** The renames are durable once the directory itself is fsynced. */
function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
