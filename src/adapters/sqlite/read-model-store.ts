import type { Statement } from 'better-sqlite3';
import { applyChange, type Change, type Filter, type ReadModelDocument } from '../../../projections/projection.ts';
import type { CheckpointStore } from '../../ports/checkpoint-store.ts';
import {
  ReadModelSchemaError,
  type FindQuery,
  type ProjectionLayout,
  type ProjectionWrite,
  type ReadModelStore,
  type RegisteredProjection,
  type StoredDocument,
} from '../../ports/read-model-store.ts';
import { FencedOffError, type Fence } from '../../ports/projection-lease.ts';
import { commitLazily, openSqlite, type SqliteDatabase } from './database.ts';
import { GroupCommit } from './group-commit.ts';
import { checkLayout, checkLimit, checkPosition, layoutKey } from '../read-model-layout.ts';
import { fieldColumn, orderBy, quote, tableName, whereClause } from './read-model-sql.ts';

/** Documents read per statement when listing a whole collection. */
const DOCUMENT_PAGE = 1000;

interface GenerationRow {
  projection: string;
  generation: number;
  version: number;
  layout: string;
  position: number;
  live: number;
}

interface CollectionRow {
  collection: string;
  generation: number;
  indexes: string;
}

/**
 * ReadModelStore on the ledger's SQLite file: one table per collection and generation, documents
 * as JSON, each indexed field a generated column with its index. Changes and checkpoint commit in
 * one transaction; a batch of many events is one transaction, one fsync.
 */
export class SqliteReadModelStore implements ReadModelStore {
  readonly checkpoints: CheckpointStore;
  private readonly cache = new Map<string, Statement>();
  private readonly parsedIndexes = new Map<string, readonly string[]>();
  /** Live collections found, valid while the schema version is `liveSchema`. */
  private readonly live = new Map<string, CollectionRow>();
  private liveSchema = -1;
  private readonly stmts;
  private readonly writeBatch: (writes: readonly ProjectionWrite[], fence?: Fence) => boolean[];
  private readonly deletions: GroupCommit<{ collection: string; where: Filter }, number>;

  constructor(private readonly db: SqliteDatabase) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS read_model_generations (
        projection TEXT NOT NULL, generation INTEGER NOT NULL, version INTEGER NOT NULL, layout TEXT NOT NULL,
        position INTEGER NOT NULL DEFAULT 0, live INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (projection, generation)
      ) WITHOUT ROWID;
      -- The last generation number handed out per projection: a dropped rebuild's number is not handed out again.
      CREATE TABLE IF NOT EXISTS read_model_generation_numbers (projection TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS projection_fences (lease TEXT PRIMARY KEY, token INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS read_model_collections (
        collection TEXT NOT NULL, generation INTEGER NOT NULL, projection TEXT NOT NULL, indexes TEXT NOT NULL,
        PRIMARY KEY (collection, generation)
      ) WITHOUT ROWID;
    `);
    this.stmts = {
      live: db.prepare<[string], GenerationRow>('SELECT * FROM read_model_generations WHERE projection = ? AND live = 1'),
      generation: db.prepare<[string, number], GenerationRow>('SELECT * FROM read_model_generations WHERE projection = ? AND generation = ?'),
      newest: db.prepare<[string, string], { g: number | null }>(
        `SELECT MAX(g) AS g FROM (SELECT MAX(generation) AS g FROM read_model_generations WHERE projection = ?
         UNION ALL SELECT last FROM read_model_generation_numbers WHERE projection = ?)`,
      ),
      handedOut: db.prepare<[string, number]>(
        'INSERT INTO read_model_generation_numbers (projection, last) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET last = MAX(last, excluded.last)',
      ),
      anyGeneration: db.prepare<[string], number>('SELECT 1 FROM read_model_generations WHERE projection = ? LIMIT 1').pluck(),
      unfinished: db.prepare<[string], GenerationRow>('SELECT * FROM read_model_generations WHERE projection = ? AND live = 0'),
      insertGeneration: db.prepare<[string, number, number, string, number]>(
        'INSERT INTO read_model_generations (projection, generation, version, layout, live) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteGeneration: db.prepare<[string, number]>('DELETE FROM read_model_generations WHERE projection = ? AND generation = ?'),
      setLive: db.prepare<[string, number]>('UPDATE read_model_generations SET live = 1 WHERE projection = ? AND generation = ?'),
      setPosition: db.prepare<[number, string, number]>('UPDATE read_model_generations SET position = ? WHERE projection = ? AND generation = ?'),
      liveCollection: db.prepare<[string], CollectionRow>(
        `SELECT c.collection, c.generation, c.indexes FROM read_model_collections c
         JOIN read_model_generations g ON g.projection = c.projection AND g.generation = c.generation
         WHERE c.collection = ? AND g.live = 1`,
      ),
      schemaVersion: db.prepare<[], number>('PRAGMA schema_version').pluck(),
      collectionAt: db.prepare<[string, number], CollectionRow>(
        'SELECT collection, generation, indexes FROM read_model_collections WHERE collection = ? AND generation = ?',
      ),
      collectionsOf: db.prepare<[string, number], CollectionRow>(
        'SELECT collection, generation, indexes FROM read_model_collections WHERE projection = ? AND generation = ?',
      ),
      owner: db.prepare<[string, string], { projection: string }>(
        'SELECT projection FROM read_model_collections WHERE collection = ? AND projection <> ? LIMIT 1',
      ),
      insertCollection: db.prepare<[string, number, string, string]>(
        'INSERT INTO read_model_collections (collection, generation, projection, indexes) VALUES (?, ?, ?, ?)',
      ),
      deleteCollections: db.prepare<[string, number]>('DELETE FROM read_model_collections WHERE projection = ? AND generation = ?'),
      fence: db.prepare<[string], number>('SELECT token FROM projection_fences WHERE lease = ?').pluck(),
      raiseFence: db.prepare<[string, number]>(
        'INSERT INTO projection_fences (lease, token) VALUES (?, ?) ON CONFLICT (lease) DO UPDATE SET token = excluded.token WHERE excluded.token > token',
      ),
    };
    const batch = db.transaction((writes: readonly ProjectionWrite[], fence?: Fence) => {
      if (fence) this.checkFence(fence);
      return writes.map((w) => this.writeNow(w));
    });
    // A read model and its checkpoint commit together, so a crash loses both or neither: the runner
    // then re-applies from the older checkpoint. No fsync of its own is needed (see commitLazily).
    // IMMEDIATE (as every write here): the projection thread, the purge and other processes write
    // this file too; the write lock is taken up front and waited for, never upgraded into SQLITE_BUSY.
    this.writeBatch = (writes, fence) => commitLazily(db, () => batch.immediate(writes, fence));
    // Retention deletes an act's rows from every collection at once: deletions issued in the same
    // tick share one durable transaction instead of one fsync each.
    this.deletions = new GroupCommit(db, ({ collection, where }: { collection: string; where: Filter }) => this.deleteNow(collection, where));

    const stmts = this.stmts;
    this.checkpoints = {
      get: async (projection, generation) =>
        (generation === undefined ? stmts.live.get(projection) : stmts.generation.get(projection, generation))?.position ?? 0,
      reset: async (projection) => {
        db.transaction(() => {
          const live = stmts.live.get(projection);
          if (!live) return;
          for (const c of stmts.collectionsOf.all(projection, live.generation)) db.exec(`DELETE FROM ${quote(tableName(c.collection, c.generation))}`);
          stmts.setPosition.run(0, projection, live.generation);
        }).immediate();
      },
    };
  }

  async register(layout: ProjectionLayout): Promise<RegisteredProjection> {
    checkLayout(layout);
    return this.db.transaction((): RegisteredProjection => {
      this.checkOwnership(layout);
      const live = this.stmts.live.get(layout.name);
      if (!live) {
        const generation = (this.stmts.newest.get(layout.name, layout.name)?.g ?? 0) + 1;
        this.createGeneration(layout, generation, true);
        return { generation, position: 0, upToDate: true };
      }
      const upToDate = live.version === layout.version && live.layout === layoutKey(layout);
      return { generation: live.generation, position: live.position, upToDate };
    }).immediate();
  }

  /** Whether this file has any generation of the projection: where a projection once was, it stays. */
  holds(projection: string): boolean {
    return this.stmts.anyGeneration.get(projection) !== undefined;
  }

  /**
   * Reads the live generation's index of `field` into this connection's page cache (and the
   * kernel's), as a scan of the index alone: the first queries on it after a start then find their
   * pages there instead of on disk. Answers the entries read; nothing when the collection is not there.
   */
  preload(collection: string, field: string): number {
    const found = this.collection(collection);
    if (!found || !this.indexesOf(found).includes(field)) return 0;
    const table = tableName(collection, found.generation);
    // COUNT(id): the index holds the id, so only its pages are read (COUNT(*) would take the smallest index instead).
    return this.statement(`SELECT COUNT(id) FROM ${quote(table)} INDEXED BY ${quote(`${table}:${field}`)}`).pluck().get() as number;
  }

  async get<T extends object = ReadModelDocument>(collection: string, id: string, options: { generation?: number } = {}): Promise<T | undefined> {
    const found = this.collection(collection, options.generation);
    if (!found) return undefined;
    const table = tableName(collection, found.generation);
    const row = this.statement(`SELECT doc FROM ${quote(table)} WHERE id = ?`).get(id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as T) : undefined;
  }

  async find<T extends object = ReadModelDocument>(collection: string, query: FindQuery = {}): Promise<T[]> {
    const found = this.collection(collection);
    if (!found) return [];
    const indexes = this.indexesOf(found);
    const where = whereClause(query.where ?? {}, indexes);
    let sql = `SELECT doc FROM ${quote(tableName(collection, found.generation))}${where.sql} ORDER BY ${orderBy(query.sort ?? [], indexes)}`;
    const params: unknown[] = [...where.params];
    if (query.limit !== undefined) {
      checkLimit(query.limit);
      sql += ' LIMIT ?';
      params.push(query.limit);
    }
    return (this.statement(sql).all(...params) as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as T);
  }

  async *documents(collection: string, options: { generation?: number } = {}): AsyncIterable<StoredDocument> {
    // Page by page after the last id seen: no statement stays open while the caller awaits (the
    // connection may write meanwhile), and a table dropped in between just ends the listing.
    let after = '';
    for (;;) {
      const found = this.collection(collection, options.generation);
      if (!found) return;
      const page = this.statement(`SELECT id, doc FROM ${quote(tableName(collection, found.generation))} WHERE id > ? ORDER BY id LIMIT ${DOCUMENT_PAGE}`).all(after) as Array<{ id: string; doc: string }>;
      for (const row of page) yield { id: row.id, doc: JSON.parse(row.doc) as ReadModelDocument };
      if (page.length < DOCUMENT_PAGE) return;
      after = page[page.length - 1]!.id;
    }
  }

  async apply(projection: string, position: number, changes: readonly Change[]): Promise<boolean> {
    const [applied] = this.writeBatch([{ projection, position, changes }]);
    return applied!;
  }

  async applyBatch(writes: readonly ProjectionWrite[], options: { fence?: Fence } = {}): Promise<boolean[]> {
    return this.writeBatch(writes, options.fence);
  }

  async deleteWhere(collection: string, where: Filter): Promise<number> {
    return this.deletions.submit({ collection, where });
  }

  private deleteNow(collection: string, where: Filter): number {
    const found = this.collection(collection);
    if (!found) return 0;
    const clause = whereClause(where, this.indexesOf(found));
    return this.statement(`DELETE FROM ${quote(tableName(collection, found.generation))}${clause.sql}`).run(...clause.params).changes;
  }

  async startRebuild(layout: ProjectionLayout): Promise<number> {
    checkLayout(layout);
    return this.db.transaction(() => {
      this.checkOwnership(layout);
      // Numbered before an abandoned rebuild is dropped, so a generation number is never reused.
      const generation = (this.stmts.newest.get(layout.name, layout.name)?.g ?? 0) + 1;
      for (const abandoned of this.stmts.unfinished.all(layout.name)) this.dropGeneration(abandoned);
      this.createGeneration(layout, generation, false);
      return generation;
    }).immediate();
  }

  async finishRebuild(projection: string, generation: number): Promise<void> {
    this.db.transaction(() => {
      const fresh = this.stmts.generation.get(projection, generation);
      if (!fresh) throw new ReadModelSchemaError(`projection ${projection} has no generation ${generation}`);
      if (fresh.live) return;
      const old = this.stmts.live.get(projection);
      if (old) this.dropGeneration(old);
      this.stmts.setLive.run(projection, generation);
    }).immediate();
  }

  async dropRebuild(projection: string, generation: number): Promise<void> {
    this.db.transaction(() => {
      const gen = this.stmts.generation.get(projection, generation);
      if (!gen) return;
      if (gen.live) throw new ReadModelSchemaError(`generation ${generation} of projection ${projection} is live: it is replaced by a rebuild, never dropped`);
      this.dropGeneration(gen);
    }).immediate();
  }

  async close(): Promise<void> {
    this.cache.clear();
  }

  /** Inside the batch transaction, under its write lock: a token lower than the highest seen rolls the batch back. */
  private checkFence(fence: Fence): void {
    const highest = this.stmts.fence.get(fence.lease);
    if (highest !== undefined && highest > fence.token) throw new FencedOffError(fence, highest);
    this.stmts.raiseFence.run(fence.lease, fence.token);
  }

  /** Inside the batch transaction: guard, changes, checkpoint. Throwing rolls the whole batch back. */
  private writeNow(write: ProjectionWrite): boolean {
    checkPosition(write.position);
    const gen =
      write.generation === undefined ? this.stmts.live.get(write.projection) : this.stmts.generation.get(write.projection, write.generation);
    if (!gen) throw new ReadModelSchemaError(`projection ${write.projection} is not registered${write.generation ? ` at generation ${write.generation}` : ''}`);
    if (gen.position >= write.position) return false;
    // Changes computed on another checkpoint than the stored one: another process wrote (or reset) meanwhile.
    if (write.after !== undefined && gen.position !== write.after) return false;
    const own = new Map(this.stmts.collectionsOf.all(write.projection, gen.generation).map((c) => [c.collection, c]));
    for (const change of write.changes) {
      const found = own.get(change.collection);
      if (!found) throw new ReadModelSchemaError(`projection ${write.projection} has no collection ${change.collection}`);
      this.change(found, change);
    }
    this.stmts.setPosition.run(write.position, write.projection, gen.generation);
    return true;
  }

  private change(found: CollectionRow, change: Change): void {
    const table = quote(tableName(found.collection, found.generation));
    const upsert = (id: string, doc: ReadModelDocument | object) =>
      this.statement(`INSERT INTO ${table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`).run(id, JSON.stringify(doc));
    switch (change.op) {
      case 'put':
        upsert(change.id, change.doc);
        return;
      case 'merge': {
        const row = this.statement(`SELECT doc FROM ${table} WHERE id = ?`).get(change.id) as { doc: string } | undefined;
        upsert(change.id, applyChange(row ? (JSON.parse(row.doc) as ReadModelDocument) : undefined, change)!);
        return;
      }
      case 'delete':
        this.statement(`DELETE FROM ${table} WHERE id = ?`).run(change.id);
        return;
      case 'deleteWhere': {
        const clause = whereClause(change.where, this.indexesOf(found));
        this.statement(`DELETE FROM ${table}${clause.sql}`).run(...clause.params);
        return;
      }
    }
  }

  private collection(collection: string, generation?: number): CollectionRow | undefined {
    if (generation !== undefined) return this.stmts.collectionAt.get(collection, generation);
    // Every change of a live generation creates or drops tables, which moves the schema version
    // (in the file's header, so another connection's change counts too): until it moves, the
    // live table found last time is still the one.
    const schema = this.stmts.schemaVersion.get()!;
    if (schema !== this.liveSchema) {
      this.live.clear();
      this.liveSchema = schema;
    }
    let found = this.live.get(collection);
    if (!found) {
      found = this.stmts.liveCollection.get(collection);
      if (found) this.live.set(collection, found);
    }
    return found;
  }

  private indexesOf(row: CollectionRow): readonly string[] {
    let indexes = this.parsedIndexes.get(row.indexes);
    if (!indexes) {
      indexes = JSON.parse(row.indexes) as string[];
      this.parsedIndexes.set(row.indexes, indexes);
    }
    return indexes;
  }

  private checkOwnership(layout: ProjectionLayout): void {
    for (const c of layout.collections) {
      const other = this.stmts.owner.get(c.name, layout.name);
      if (other) throw new ReadModelSchemaError(`collection ${c.name} belongs to projection ${other.projection}`);
    }
  }

  private createGeneration(layout: ProjectionLayout, generation: number, live: boolean): void {
    this.stmts.insertGeneration.run(layout.name, generation, layout.version, layoutKey(layout), live ? 1 : 0);
    this.stmts.handedOut.run(layout.name, generation);
    for (const c of layout.collections) {
      const table = tableName(c.name, generation);
      const columns = c.indexes.map((f) => `, ${fieldColumn(f)} GENERATED ALWAYS AS (json_extract(doc, '$.${f}')) VIRTUAL`).join('');
      // Clustered on the document id: one b-tree per write instead of a rowid table plus its id index.
      this.db.exec(`CREATE TABLE ${quote(table)} (id TEXT PRIMARY KEY, doc TEXT NOT NULL${columns}) WITHOUT ROWID`);
      for (const f of c.indexes) this.db.exec(`CREATE INDEX ${quote(`${table}:${f}`)} ON ${quote(table)} (${fieldColumn(f)}, id)`);
      this.stmts.insertCollection.run(c.name, generation, layout.name, JSON.stringify([...c.indexes]));
    }
  }

  private dropGeneration(gen: GenerationRow): void {
    for (const c of this.stmts.collectionsOf.all(gen.projection, gen.generation)) {
      const table = tableName(c.collection, c.generation);
      this.db.exec(`DROP TABLE IF EXISTS ${quote(table)}`);
      for (const sql of this.cache.keys()) if (sql.includes(quote(table))) this.cache.delete(sql);
    }
    this.stmts.deleteCollections.run(gen.projection, gen.generation);
    this.stmts.deleteGeneration.run(gen.projection, gen.generation);
  }

  private statement(sql: string): Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      if (this.cache.size > 1000) this.cache.clear();
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}

/** Whether the read-model file at `file` has any generation of the projection (see `holds`); opened and closed again. */
export function fileHolds(file: string, projection: string): boolean {
  const db = openSqlite(file);
  try {
    return new SqliteReadModelStore(db).holds(projection);
  } finally {
    db.close();
  }
}
