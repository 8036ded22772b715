import { existsSync } from 'node:fs';
import { openSqlite } from './database.ts';
import { SqliteReadModelStore, fileHolds } from './read-model-store.ts';
import { quote, tableName as tableOf } from './read-model-sql.ts';

/** What moving one projection out of the shared read-model file did. */
export type ProjectionMoveReport =
  | { projection: string; moved: false; reason: string }
  | { projection: string; moved: true; tables: number; rows: number; ms: number };

interface CollectionRow {
  collection: string;
  generation: number;
}

/**
 * Moves every generation of `projection` (tables, checkpoint, generation numbers) from the shared
 * read-model file into `ownFile`, checks every row of the copy against the original, and only then
 * drops it from the shared file: two commits, the copy's first. A crash between them leaves the
 * projection in both files; the one of its own is then the one opened (openReadModelFiles), and
 * running the move again only drops what was left in the shared file. Stop the ledger first: a
 * projection thread writing the shared file meanwhile would write to what is being moved.
 */
export function moveProjectionToOwnFile(sharedFile: string, ownFile: string, projection: string): ProjectionMoveReport {
  const started = performance.now();
  if (!existsSync(sharedFile) || !fileHolds(sharedFile, projection)) {
    return { projection, moved: false, reason: existsSync(ownFile) ? 'it is in a file of its own already' : 'the shared file does not hold it' };
  }
  const db = openSqlite(ownFile);
  try {
    const own = new SqliteReadModelStore(db);
    db.prepare('ATTACH DATABASE ? AS shared').run(sharedFile);
    const collectionsOf = db.prepare<[string], CollectionRow>('SELECT collection, generation FROM shared.read_model_collections WHERE projection = ?');
    const tableName = (c: CollectionRow) => tableOf(c.collection, c.generation);

    let tables = 0;
    let rows = 0;
    if (!own.holds(projection)) {
      // The copy and its check in one transaction of the new file, read from one snapshot of the shared one.
      db.transaction(() => {
        for (const table of ['read_model_generations', 'read_model_collections', 'read_model_generation_numbers']) {
          db.prepare(`INSERT INTO main.${table} SELECT * FROM shared.${table} WHERE projection = ?`).run(projection);
        }
        db.exec('INSERT INTO main.projection_fences SELECT * FROM shared.projection_fences WHERE true ON CONFLICT (lease) DO UPDATE SET token = MAX(token, excluded.token)');
        for (const c of collectionsOf.all(projection)) {
          const name = tableName(c);
          const schema = db.prepare<[string], { sql: string }>('SELECT sql FROM shared.sqlite_schema WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type DESC').all(name);
          for (const { sql } of schema) db.exec(sql);
          rows += db.prepare(`INSERT INTO main.${quote(name)} (id, doc) SELECT id, doc FROM shared.${quote(name)}`).run().changes;
          const differing = db
            .prepare(
              `SELECT COUNT(*) FROM (SELECT id, doc FROM shared.${quote(name)} EXCEPT SELECT id, doc FROM main.${quote(name)}
               UNION ALL SELECT id, doc FROM main.${quote(name)} EXCEPT SELECT id, doc FROM shared.${quote(name)})`,
            )
            .pluck()
            .get() as number;
          if (differing > 0) throw new Error(`the copy of ${name} differs from the original in ${differing} rows; nothing was moved`);
          tables += 1;
        }
      }).immediate();
    }
    db.transaction(() => {
      for (const c of collectionsOf.all(projection)) db.exec(`DROP TABLE IF EXISTS shared.${quote(tableName(c))}`);
      db.prepare('DELETE FROM shared.read_model_collections WHERE projection = ?').run(projection);
      db.prepare('DELETE FROM shared.read_model_generations WHERE projection = ?').run(projection);
    }).immediate();
    return { projection, moved: true, tables, rows, ms: Math.round(performance.now() - started) };
  } finally {
    db.close();
  }
}
