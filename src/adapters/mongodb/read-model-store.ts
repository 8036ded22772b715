import { MongoServerError, type ClientSession, type Db, type Document, type Filter as MongoFilter, type MongoClient, type Sort } from 'mongodb';
import { toJson, type Change, type CollectionSpec, type Filter, type ReadModelDocument } from '../../../projections/projection.ts';
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
import { checkFilter, checkLayout, checkLimit, checkPosition, checkSort, layoutKey } from '../read-model-layout.ts';
import { connectMongo, DUPLICATE_KEY, type MongoConnection } from './connection.ts';

interface GenerationDoc {
  _id: string;
  projection: string;
  generation: number;
  version: number;
  layout: string;
  collections: CollectionSpec[];
  position: number;
  live: boolean;
  /** Replaced or abandoned: no longer written, dropped once no reader can still be using it. */
  retired?: boolean;
  /** When a replaced live generation was retired (absent on an abandoned rebuild: dropped at once). */
  retiredAt?: Date;
}

/** The last generation number handed out for a projection: numbers only grow, so none is used twice. */
interface GenerationCounter {
  _id: string;
  next: number;
}

/** A read-model document as stored: the projection's JSON under `doc`, so no field can collide with ours. */
interface StoredDoc {
  _id: string;
  doc: ReadModelDocument;
  /** Position of the last write to it: a write from an older position leaves it as it is. */
  _position: number;
}

const GENERATIONS = 'read_model_generations';
const GENERATION_COUNTERS = 'read_model_generation_counters';
const generationId = (projection: string, generation: number) => `${projection}/${generation}`;
const collectionName = (collection: string, generation: number) => `rm.${collection}.g${generation}`;

/**
 * ReadModelStore on MongoDB (a replica set: writes run in transactions). Every apply is a
 * transaction that checks and moves the projection's checkpoint; each document also carries the
 * position that last wrote it, and its upserts keep a newer document unchanged.
 *
 * Several processes may share one database (API processes reading, a worker projecting, a deploy
 * rebuilding), so generations follow these rules:
 * - a number is claimed from a counter document, once: two rebuilds never share one, and a number
 *   is never handed out again, whatever a crash left behind;
 * - a generation's document is written before its collections and points at them from the start,
 *   so whatever a crash leaves is found and dropped by the next rebuild;
 * - of rebuilds running at once, the newest claim wins: starting one retires only the unfinished
 *   generations numbered below it, and a retired generation refuses writes and cannot be swapped in;
 * - at most one generation is live (a unique index), and a replaced one is dropped only after
 *   `retiredDropMs`, so a reader of another process still holding it reads documents, not "not found".
 */
export class MongoReadModelStore implements ReadModelStore {
  readonly checkpoints: CheckpointStore;
  private readonly liveCache = new Map<string, { gen: GenerationDoc | null; at: number }>();
  private readonly dropTimers = new Set<NodeJS.Timeout>();
  private readonly liveCacheMs: number;
  private readonly retiredDropMs: number;
  private closeConnection: (() => Promise<void>) | undefined;

  /** Connects to `url` (a client of its own, closed with the store); the database is the one the URL names unless `database` is given. */
  static async connect(url: string, options: { database?: string; liveCacheMs?: number; retiredDropMs?: number } = {}): Promise<MongoReadModelStore> {
    const connection = await connectMongo(url, options);
    try {
      const store = await MongoReadModelStore.open(connection, options);
      store.closeConnection = () => connection.close();
      return store;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /** The store on a shared connection (closing the store leaves the connection open). */
  static async open(connection: Pick<MongoConnection, 'client' | 'db'>, options: { liveCacheMs?: number; retiredDropMs?: number } = {}): Promise<MongoReadModelStore> {
    const store = new MongoReadModelStore(connection.client, connection.db, options);
    await store.generations.createIndex({ 'collections.name': 1, live: 1 });
    await store.generations.createIndex({ projection: 1, generation: 1 });
    await store.generations.createIndex({ projection: 1 }, { name: 'one_live_generation', unique: true, partialFilterExpression: { live: true } });
    return store;
  }

  /**
   * `liveCacheMs`: how long a reader trusts which generation is live. Another process's swap is seen
   * within it; the swapping process sees its own at once. `retiredDropMs` (longer, with room for
   * the slowest read): how long a replaced generation is kept for readers that still hold it.
   */
  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    options: { liveCacheMs?: number; retiredDropMs?: number } = {},
  ) {
    this.liveCacheMs = options.liveCacheMs ?? 1000;
    this.retiredDropMs = Math.max(options.retiredDropMs ?? 30_000, this.liveCacheMs);
    this.checkpoints = {
      get: async (projection, generation) =>
        (await this.generations.findOne(generation === undefined ? { projection, live: true } : { _id: generationId(projection, generation) }))
          ?.position ?? 0,
      reset: async (projection) => {
        await this.transaction(async (session) => {
          const live = await this.generations.findOne({ projection, live: true }, { session });
          if (!live) return;
          for (const c of live.collections) await this.db.collection(collectionName(c.name, live.generation)).deleteMany({}, { session });
          await this.generations.updateOne({ _id: live._id }, { $set: { position: 0 } }, { session });
        });
      },
    };
  }

  private get generations() {
    return this.db.collection<GenerationDoc>(GENERATIONS);
  }

  async register(layout: ProjectionLayout): Promise<RegisteredProjection> {
    checkLayout(layout);
    await this.checkOwnership(layout);
    await this.dropRetired(layout.name);
    for (;;) {
      const live = await this.generations.findOne({ projection: layout.name, live: true });
      if (live) {
        const upToDate = live.version === layout.version && live.layout === layoutKey(layout);
        return { generation: live.generation, position: live.position, upToDate };
      }
      const generation = await this.createGeneration(layout);
      try {
        const made = await this.generations.updateOne({ _id: generationId(layout.name, generation), retired: { $ne: true } }, { $set: { live: true } });
        if (made.modifiedCount === 1) {
          this.liveCache.clear();
          return { generation, position: 0, upToDate: true };
        }
      } catch (error) {
        // Another process registered the same projection at the same moment: take what it made.
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      }
      await this.retire(generation, layout.name);
    }
  }

  async get<T extends object = ReadModelDocument>(collection: string, id: string, options: { generation?: number } = {}): Promise<T | undefined> {
    const gen = await this.generationOf(collection, options.generation);
    if (!gen) return undefined;
    const found = await this.db.collection<StoredDoc>(collectionName(collection, gen.generation)).findOne({ _id: id });
    return found ? (found.doc as T) : undefined;
  }

  async find<T extends object = ReadModelDocument>(collection: string, query: FindQuery = {}): Promise<T[]> {
    const gen = await this.generationOf(collection);
    if (!gen) return [];
    const indexes = gen.collections.find((c) => c.name === collection)!.indexes;
    const where = query.where ?? {};
    const sort = query.sort ?? [];
    checkFilter(where, indexes);
    checkSort(sort, indexes);
    checkLimit(query.limit);
    if (query.limit === 0) return []; // MongoDB reads limit 0 as "no limit"
    const order: Sort = Object.fromEntries(sort.map((k) => [k.field === 'id' ? '_id' : `doc.${k.field}`, k.direction === 'desc' ? -1 : 1]));
    if (!sort.some((k) => k.field === 'id')) (order as Record<string, 1 | -1>)._id = 1;
    let cursor = this.db.collection<StoredDoc>(collectionName(collection, gen.generation)).find(toMongoFilter(where)).sort(order);
    if (query.limit !== undefined) cursor = cursor.limit(query.limit);
    return (await cursor.toArray()).map((d) => d.doc as T);
  }

  async *documents(collection: string, options: { generation?: number } = {}): AsyncIterable<StoredDocument> {
    const gen = await this.generationOf(collection, options.generation);
    if (!gen) return;
    // By _id, which compares strings by their bytes: one order for every generation.
    const cursor = this.db.collection<StoredDoc>(collectionName(collection, gen.generation)).find({}, { projection: { _id: 1, doc: 1 } }).sort({ _id: 1 }).batchSize(1000);
    for await (const found of cursor) yield { id: found._id, doc: found.doc };
  }

  async apply(projection: string, position: number, changes: readonly Change[]): Promise<boolean> {
    const [applied] = await this.applyBatch([{ projection, position, changes }]);
    return applied!;
  }

  async applyBatch(writes: readonly ProjectionWrite[], options: { fence?: Fence } = {}): Promise<boolean[]> {
    for (const w of writes) checkPosition(w.position);
    const { fence } = options;
    return this.transaction(async (session) => {
      if (fence) await checkFence(this.db, fence, session);
      const applied: boolean[] = [];
      for (const w of writes) applied.push(await this.writeNow(w, session));
      return applied;
    });
  }

  async deleteWhere(collection: string, where: Filter): Promise<number> {
    const gen = await this.generationOf(collection, undefined, true);
    if (!gen) return 0;
    checkFilter(where, gen.collections.find((c) => c.name === collection)!.indexes);
    const result = await this.db.collection<StoredDoc>(collectionName(collection, gen.generation)).deleteMany(toMongoFilter(where));
    // A replaced generation still kept for readers loses the same documents: a purge is not undone by a stale reader.
    for (const kept of await this.generations.find({ retired: true, 'collections.name': collection }).toArray()) {
      await this.db.collection<StoredDoc>(collectionName(collection, kept.generation)).deleteMany(toMongoFilter(where));
    }
    return result.deletedCount;
  }

  async startRebuild(layout: ProjectionLayout): Promise<number> {
    checkLayout(layout);
    await this.checkOwnership(layout);
    const generation = await this.createGeneration(layout);
    // Unfinished rebuilds numbered below this one are superseded; one numbered above is newer and
    // wins over this one (its start retires this generation), so two starts never drop each other's.
    const unfinished = await this.generations.find({ projection: layout.name, live: false, retired: { $ne: true }, generation: { $lt: generation } }).toArray();
    for (const gen of unfinished) await this.retire(gen.generation, layout.name);
    await this.dropRetired(layout.name);
    return generation;
  }

  async finishRebuild(projection: string, generation: number): Promise<void> {
    const replaced = await this.transaction(async (session) => {
      const fresh = await this.generations.findOne({ _id: generationId(projection, generation) }, { session });
      if (fresh?.live) return null;
      if (!fresh || fresh.retired || (await this.superseded(fresh, session))) throw new ReadModelSchemaError(`projection ${projection} has no generation ${generation}`);
      const old = await this.generations.findOne({ projection, live: true }, { session });
      if (old) await this.generations.updateOne({ _id: old._id }, { $set: { live: false, retired: true, retiredAt: new Date() } }, { session });
      await this.generations.updateOne({ _id: fresh._id }, { $set: { live: true } }, { session });
      return old;
    });
    this.liveCache.clear();
    if (replaced) this.dropLater(projection);
  }

  async dropRebuild(projection: string, generation: number): Promise<void> {
    const gen = await this.generations.findOne({ _id: generationId(projection, generation) });
    if (!gen) return;
    if (gen.live) throw new ReadModelSchemaError(`generation ${generation} of projection ${projection} is live: it is replaced by a rebuild, never dropped`);
    await this.retire(generation, projection);
  }

  async close(): Promise<void> {
    for (const timer of this.dropTimers) clearTimeout(timer);
    this.dropTimers.clear();
    await this.closeConnection?.();
  }

  /** Inside the batch transaction: guard, changes, checkpoint. Throwing aborts the whole batch. */
  private async writeNow(write: ProjectionWrite, session: ClientSession): Promise<boolean> {
    const gen = await this.generations.findOne(
      write.generation === undefined ? { projection: write.projection, live: true } : { _id: generationId(write.projection, write.generation) },
      { session },
    );
    if (!gen || gen.retired || (write.generation !== undefined && (await this.superseded(gen, session)))) {
      throw new ReadModelSchemaError(`projection ${write.projection} is not registered${write.generation ? ` at generation ${write.generation}` : ''}`);
    }
    // Read in this transaction: a checkpoint another process moved meanwhile conflicts with ours and retries.
    if (gen.position >= write.position) return false;
    if (write.after !== undefined && gen.position !== write.after) return false;
    for (const change of write.changes) {
      const spec = gen.collections.find((c) => c.name === change.collection);
      if (!spec) throw new ReadModelSchemaError(`projection ${write.projection} has no collection ${change.collection}`);
      await this.change(collectionName(spec.name, gen.generation), spec, change, write.position, session);
    }
    await this.generations.updateOne({ _id: gen._id }, { $set: { position: write.position } }, { session });
    return true;
  }

  private async change(name: string, spec: CollectionSpec, change: Change, position: number, session: ClientSession): Promise<void> {
    const collection = this.db.collection<StoredDoc>(name);
    // A document last written from a later position keeps its content: pipeline upserts decide on the server.
    const newer = { $gt: [{ $ifNull: ['$_position', 0] }, position] };
    const upsert = (id: string, doc: Document) =>
      collection.updateOne({ _id: id }, [{ $replaceWith: { $cond: { if: newer, then: '$$ROOT', else: { _id: { $literal: id }, _position: position, doc } } } }], {
        upsert: true,
        session,
      });
    switch (change.op) {
      case 'put':
        await upsert(change.id, { $literal: toJson(change.doc) });
        return;
      case 'merge':
        await upsert(change.id, { $mergeObjects: [{ $ifNull: ['$doc', {}] }, { $literal: toJson(change.doc) }] });
        return;
      case 'delete':
        await collection.deleteOne({ _id: change.id, _position: { $lte: position } }, { session });
        return;
      case 'deleteWhere':
        checkFilter(change.where, spec.indexes);
        await collection.deleteMany({ ...toMongoFilter(change.where), _position: { $lte: position } }, { session });
        return;
    }
  }

  private async generationOf(collection: string, generation?: number, fresh = false): Promise<GenerationDoc | null> {
    if (generation !== undefined) return this.generations.findOne({ generation, 'collections.name': collection });
    const hit = this.liveCache.get(collection);
    if (!fresh && hit && Date.now() - hit.at < this.liveCacheMs) return hit.gen;
    const gen = await this.generations.findOne({ live: true, 'collections.name': collection });
    if (this.liveCache.size > 1000) this.liveCache.clear();
    this.liveCache.set(collection, { gen, at: Date.now() });
    return gen;
  }

  /** A generation number no one had: one past every number handed out or found for the projection. */
  private async claimNumber(projection: string): Promise<number> {
    // Found ones count too: generations made before the counter existed are never numbered again.
    const [newest] = await this.generations.find({ projection }).sort({ generation: -1 }).limit(1).toArray();
    const floor = newest?.generation ?? 0;
    const counters = this.db.collection<GenerationCounter>(GENERATION_COUNTERS);
    for (;;) {
      try {
        const claimed = await counters.findOneAndUpdate(
          { _id: projection },
          [{ $set: { next: { $add: [{ $max: [{ $ifNull: ['$next', 0] }, floor] }, 1] } } }],
          { upsert: true, returnDocument: 'after' },
        );
        return claimed!.next;
      } catch (error) {
        // Two first claims racing to create the counter: the loser claims again on the winner's.
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      }
    }
  }

  private async checkOwnership(layout: ProjectionLayout): Promise<void> {
    for (const c of layout.collections) {
      const other = await this.generations.findOne({ 'collections.name': c.name, projection: { $ne: layout.name } });
      if (other) throw new ReadModelSchemaError(`collection ${c.name} belongs to projection ${other.projection}`);
    }
  }

  /**
   * A fresh, non-live generation under a newly claimed number: its document first (so a crash
   * leaves nothing the next rebuild cannot find), then its collections and indexes.
   */
  private async createGeneration(layout: ProjectionLayout): Promise<number> {
    const generation = await this.claimNumber(layout.name);
    await this.generations.insertOne({
      _id: generationId(layout.name, generation),
      projection: layout.name,
      generation,
      version: layout.version,
      layout: layoutKey(layout),
      collections: layout.collections.map((c) => ({ name: c.name, indexes: [...c.indexes] })),
      position: 0,
      live: false,
    });
    for (const c of layout.collections) {
      const name = collectionName(c.name, generation);
      // Rows under this name can only be left from a build before numbers were claimed: not ours.
      await this.db.collection(name).drop().catch(() => false);
      await this.db.createCollection(name).catch((error: unknown) => {
        if (!(error instanceof MongoServerError && error.codeName === 'NamespaceExists')) throw error;
      });
      for (const f of c.indexes) await this.db.collection(name).createIndex({ [`doc.${f}`]: 1, _id: 1 });
    }
    return generation;
  }

  /**
   * True when a rebuild started after this generation's (a higher number, not retired): the newest
   * start wins even when it has not yet retired this one, so this one is neither written nor swapped in.
   */
  private async superseded(gen: GenerationDoc, session: ClientSession): Promise<boolean> {
    const newer = await this.generations.findOne({ projection: gen.projection, generation: { $gt: gen.generation }, retired: { $ne: true } }, { session, projection: { _id: 1 } });
    return newer !== null;
  }

  /** Retires a generation that is not live (writes to it are refused from then on), then drops it. */
  private async retire(generation: number, projection: string): Promise<void> {
    const id = generationId(projection, generation);
    await this.generations.updateOne({ _id: id, live: false }, { $set: { retired: true }, $unset: { retiredAt: '' } });
    const gen = await this.generations.findOne({ _id: id, retired: true });
    if (gen) await this.dropGeneration(gen);
  }

  /** Drops the projection's retired generations no reader can still hold (and any a crash left retired). */
  private async dropRetired(projection: string): Promise<void> {
    const before = new Date(Date.now() - this.retiredDropMs);
    const due = await this.generations.find({ projection, retired: true, $or: [{ retiredAt: { $exists: false } }, { retiredAt: { $lte: before } }] }).toArray();
    for (const gen of due) await this.dropGeneration(gen);
  }

  /** After the grace period, here; if this process is gone by then, the next rebuild or start drops them. */
  private dropLater(projection: string): void {
    const timer = setTimeout(() => {
      this.dropTimers.delete(timer);
      this.dropRetired(projection).catch(() => undefined);
    }, this.retiredDropMs + 100);
    timer.unref();
    this.dropTimers.add(timer);
  }

  /** Collections first, then the document: until it is gone, a crash part-way leaves something to find. */
  private async dropGeneration(gen: GenerationDoc): Promise<void> {
    for (const c of gen.collections) await this.db.collection(collectionName(c.name, gen.generation)).drop().catch(() => false);
    await this.generations.deleteOne({ _id: gen._id, retired: true });
    this.liveCache.clear();
  }

  private transaction<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    return this.client.withSession((session) => session.withTransaction(() => work(session)));
  }
}

/**
 * Inside the batch transaction: refuses a token lower than the highest seen, and writes the fence
 * document every time, so two batches under different tokens conflict and one is retried after the
 * other committed (it then reads the other's token).
 */
async function checkFence(db: Db, fence: Fence, session: ClientSession): Promise<void> {
  const fences = db.collection<{ _id: string; token: number; batches: number }>('projection_fences');
  const found = await fences.findOne({ _id: fence.lease }, { session });
  if (found && found.token > fence.token) throw new FencedOffError(fence, found.token);
  await fences.updateOne({ _id: fence.lease }, { $set: { token: fence.token }, $inc: { batches: 1 } }, { upsert: true, session });
}

function toMongoFilter(where: Filter): MongoFilter<StoredDoc> {
  return Object.fromEntries(Object.entries(where).map(([field, value]) => [`doc.${field}`, value])) as MongoFilter<StoredDoc>;
}
