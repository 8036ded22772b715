import { MongoClient, MongoServerError, type ClientSession, type Db, type Document, type Filter as MongoFilter, type Sort } from 'mongodb';
import { toJson, type Change, type CollectionSpec, type Filter, type ReadModelDocument } from '../../../projections/projection.ts';
import type { CheckpointStore } from '../../ports/checkpoint-store.ts';
import {
  ReadModelSchemaError,
  type FindQuery,
  type ProjectionLayout,
  type ProjectionWrite,
  type ReadModelStore,
  type RegisteredProjection,
} from '../../ports/read-model-store.ts';
import { FencedOffError, type Fence } from '../../ports/projection-lease.ts';
import { checkFilter, checkLayout, checkLimit, checkPosition, checkSort, layoutKey } from '../read-model-layout.ts';

interface GenerationDoc {
  _id: string;
  projection: string;
  generation: number;
  version: number;
  layout: string;
  collections: CollectionSpec[];
  position: number;
  live: boolean;
}

/** A read-model document as stored: the projection's JSON under `doc`, so no field can collide with ours. */
interface StoredDoc {
  _id: string;
  doc: ReadModelDocument;
  /** Position of the last write to it: a write from an older position leaves it as it is. */
  _position: number;
}

const GENERATIONS = 'read_model_generations';
const generationId = (projection: string, generation: number) => `${projection}/${generation}`;
const collectionName = (collection: string, generation: number) => `rm.${collection}.g${generation}`;
const DUPLICATE_KEY = 11000;

/**
 * ReadModelStore on MongoDB (a replica set: writes run in transactions). Every apply is a
 * transaction that checks and moves the projection's checkpoint; each document also carries the
 * position that last wrote it, and its upserts keep a newer document unchanged.
 */
export class MongoReadModelStore implements ReadModelStore {
  readonly checkpoints: CheckpointStore;
  private readonly liveCache = new Map<string, { gen: GenerationDoc | null; at: number }>();

  /** Connects to `url`; the database is the one the URL names (`mongodb://host/ledger`) unless `database` is given. */
  static async connect(url: string, options: { database?: string; liveCacheMs?: number } = {}): Promise<MongoReadModelStore> {
    const client = new MongoClient(url, { ignoreUndefined: true });
    await client.connect();
    const store = new MongoReadModelStore(client, client.db(options.database), options.liveCacheMs);
    store.ownsClient = true;
    await store.generations.createIndex({ 'collections.name': 1, live: 1 });
    return store;
  }

  private ownsClient = false;

  /**
   * `liveCacheMs`: how long a reader trusts which generation is live. Another process's swap is seen
   * within it; the swapping process sees its own at once.
   */
  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly liveCacheMs = 1000,
  ) {
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
    const live = await this.generations.findOne({ projection: layout.name, live: true });
    if (live) {
      const upToDate = live.version === layout.version && live.layout === layoutKey(layout);
      return { generation: live.generation, position: live.position, upToDate };
    }
    const generation = (await this.newestGeneration(layout.name)) + 1;
    try {
      await this.createGeneration(layout, generation, true);
    } catch (error) {
      // Another process registered the same projection at the same moment: take what it made.
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      return this.register(layout);
    }
    return { generation, position: 0, upToDate: true };
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
    return result.deletedCount;
  }

  async startRebuild(layout: ProjectionLayout): Promise<number> {
    checkLayout(layout);
    await this.checkOwnership(layout);
    // Numbered before an abandoned rebuild is dropped, so a generation number is never reused.
    const generation = (await this.newestGeneration(layout.name)) + 1;
    for (const abandoned of await this.generations.find({ projection: layout.name, live: false }).toArray()) await this.dropGeneration(abandoned);
    await this.createGeneration(layout, generation, false);
    return generation;
  }

  async finishRebuild(projection: string, generation: number): Promise<void> {
    const replaced = await this.transaction(async (session) => {
      const fresh = await this.generations.findOne({ _id: generationId(projection, generation) }, { session });
      if (!fresh) throw new ReadModelSchemaError(`projection ${projection} has no generation ${generation}`);
      if (fresh.live) return null;
      const old = await this.generations.findOne({ projection, live: true }, { session });
      if (old) await this.generations.updateOne({ _id: old._id }, { $set: { live: false } }, { session });
      await this.generations.updateOne({ _id: fresh._id }, { $set: { live: true } }, { session });
      return old;
    });
    this.liveCache.clear();
    if (replaced) await this.dropGeneration(replaced);
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  /** Inside the batch transaction: guard, changes, checkpoint. Throwing aborts the whole batch. */
  private async writeNow(write: ProjectionWrite, session: ClientSession): Promise<boolean> {
    const gen = await this.generations.findOne(
      write.generation === undefined ? { projection: write.projection, live: true } : { _id: generationId(write.projection, write.generation) },
      { session },
    );
    if (!gen) throw new ReadModelSchemaError(`projection ${write.projection} is not registered${write.generation ? ` at generation ${write.generation}` : ''}`);
    if (gen.position >= write.position) return false;
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

  private async newestGeneration(projection: string): Promise<number> {
    const [newest] = await this.generations.find({ projection }).sort({ generation: -1 }).limit(1).toArray();
    return newest?.generation ?? 0;
  }

  private async checkOwnership(layout: ProjectionLayout): Promise<void> {
    for (const c of layout.collections) {
      const other = await this.generations.findOne({ 'collections.name': c.name, projection: { $ne: layout.name } });
      if (other) throw new ReadModelSchemaError(`collection ${c.name} belongs to projection ${other.projection}`);
    }
  }

  /** Collections and indexes first, then the generation document, so nothing points at a half-made collection. */
  private async createGeneration(layout: ProjectionLayout, generation: number, live: boolean): Promise<void> {
    for (const c of layout.collections) {
      const name = collectionName(c.name, generation);
      await this.db.createCollection(name).catch((error: unknown) => {
        if (!(error instanceof MongoServerError && error.codeName === 'NamespaceExists')) throw error;
      });
      for (const f of c.indexes) await this.db.collection(name).createIndex({ [`doc.${f}`]: 1, _id: 1 });
    }
    await this.generations.insertOne({
      _id: generationId(layout.name, generation),
      projection: layout.name,
      generation,
      version: layout.version,
      layout: layoutKey(layout),
      collections: layout.collections.map((c) => ({ name: c.name, indexes: [...c.indexes] })),
      position: 0,
      live,
    });
    this.liveCache.clear();
  }

  private async dropGeneration(gen: GenerationDoc): Promise<void> {
    await this.generations.deleteOne({ _id: gen._id });
    for (const c of gen.collections) await this.db.collection(collectionName(c.name, gen.generation)).drop().catch(() => false);
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
