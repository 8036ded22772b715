import type { Change, Filter, ReadModelDocument } from '../../projections/projection.ts';
import type { CheckpointStore } from '../ports/checkpoint-store.ts';
import type { Fence } from '../ports/projection-lease.ts';
import {
  ReadModelSchemaError,
  type FindQuery,
  type ProjectionLayout,
  type ProjectionWrite,
  type ReadModelStore,
  type RegisteredProjection,
  type StoredDocument,
} from '../ports/read-model-store.ts';

/** Projections (and their collections) kept in a store of their own rather than the shared one. */
export interface Partition {
  store: ReadModelStore;
  /** The projections it keeps. */
  projection: (name: string) => boolean;
  /** The collections it keeps: exactly those of its projections. */
  collection: (name: string) => boolean;
}

/**
 * One ReadModelStore made of several: each projection, with its collections and its checkpoint,
 * lives in exactly one of them (a partition, or the shared store). Readers need no registration to
 * find a collection: the partitions say by name what they keep, in every process alike.
 *
 * A write and its checkpoint stay atomic, since both live in the projection's store. A batch that
 * spans stores commits store by store: were one store's part refused midway (its disk, a fence), the
 * parts already committed stand, each behind its own checkpoint, and re-delivering the batch applies
 * only what is missing. A change into another store's collection is refused before anything is written.
 */
export class PartitionedReadModelStore implements ReadModelStore {
  readonly checkpoints: CheckpointStore;
  private readonly stores: readonly ReadModelStore[];

  constructor(
    private readonly shared: ReadModelStore,
    private readonly partitions: readonly Partition[],
  ) {
    this.stores = [shared, ...partitions.map((p) => p.store)];
    this.checkpoints = {
      get: (projection, generation) => this.ofProjection(projection).checkpoints.get(projection, generation),
      reset: (projection) => this.ofProjection(projection).checkpoints.reset(projection),
    };
  }

  async register(layout: ProjectionLayout): Promise<RegisteredProjection> {
    return this.placed(layout).register(layout);
  }

  async get<T extends object = ReadModelDocument>(collection: string, id: string, options?: { generation?: number }): Promise<T | undefined> {
    return this.ofCollection(collection).get<T>(collection, id, options);
  }

  async find<T extends object = ReadModelDocument>(collection: string, query?: FindQuery): Promise<T[]> {
    return this.ofCollection(collection).find<T>(collection, query);
  }

  documents(collection: string, options?: { generation?: number }): AsyncIterable<StoredDocument> {
    return this.ofCollection(collection).documents(collection, options);
  }

  async apply(projection: string, position: number, changes: readonly Change[]): Promise<boolean> {
    const [applied] = await this.applyBatch([{ projection, position, changes }]);
    return applied!;
  }

  async applyBatch(writes: readonly ProjectionWrite[], options: { fence?: Fence } = {}): Promise<boolean[]> {
    const parts = new Map<ReadModelStore, number[]>();
    writes.forEach((write, i) => {
      const store = this.ofProjection(write.projection);
      for (const change of write.changes) {
        if (this.ofCollection(change.collection) !== store) {
          throw new ReadModelSchemaError(`projection ${write.projection} has no collection ${change.collection}`);
        }
      }
      const part = parts.get(store);
      if (part) part.push(i);
      else parts.set(store, [i]);
    });
    const applied = new Array<boolean>(writes.length);
    for (const [store, indexes] of parts) {
      const answers = await store.applyBatch(
        indexes.map((i) => writes[i]!),
        options,
      );
      indexes.forEach((i, k) => {
        applied[i] = answers[k]!;
      });
    }
    return applied;
  }

  async deleteWhere(collection: string, where: Filter): Promise<number> {
    return this.ofCollection(collection).deleteWhere(collection, where);
  }

  async startRebuild(layout: ProjectionLayout): Promise<number> {
    return this.placed(layout).startRebuild(layout);
  }

  async finishRebuild(projection: string, generation: number): Promise<void> {
    return this.ofProjection(projection).finishRebuild(projection, generation);
  }

  async dropRebuild(projection: string, generation: number): Promise<void> {
    return this.ofProjection(projection).dropRebuild(projection, generation);
  }

  async close(): Promise<void> {
    for (const store of this.stores) await store.close();
  }

  /** The projection's store, once every collection of the layout is found to live there too. */
  private placed(layout: ProjectionLayout): ReadModelStore {
    const store = this.ofProjection(layout.name);
    for (const c of layout.collections) {
      if (this.ofCollection(c.name) !== store) {
        throw new ReadModelSchemaError(`collection ${c.name} is kept in another store than its projection ${layout.name}`);
      }
    }
    return store;
  }

  private ofProjection(name: string): ReadModelStore {
    return this.partitions.find((p) => p.projection(name))?.store ?? this.shared;
  }

  private ofCollection(name: string): ReadModelStore {
    return this.partitions.find((p) => p.collection(name))?.store ?? this.shared;
  }
}
