import type { Change, Filter, FindQuery, ProjectionLayout, ProjectionWrite, ReadModelDocument, ReadModelStore, RegisteredProjection, StoredDocument } from '../../ports/read-model-store.ts';
import { FencedOffError, type Fence } from '../../ports/projection-lease.ts';

/**
 * The read models as the lease holder's projector writes them: every batch carries the fencing
 * token of this holding, and the store refuses it once a later holder has written. `fencedOff` is
 * told at the first refusal, so the holder stops projecting at once instead of retrying.
 */
export class FencedReadModels implements ReadModelStore {
  constructor(
    private readonly store: ReadModelStore,
    private readonly fence: Fence,
    private readonly fencedOff: (error: FencedOffError) => void,
  ) {}

  get checkpoints() {
    return this.store.checkpoints;
  }

  register(layout: ProjectionLayout): Promise<RegisteredProjection> {
    return this.store.register(layout);
  }

  get<T extends object = ReadModelDocument>(collection: string, id: string, options?: { generation?: number }): Promise<T | undefined> {
    return this.store.get<T>(collection, id, options);
  }

  find<T extends object = ReadModelDocument>(collection: string, query?: FindQuery): Promise<T[]> {
    return this.store.find<T>(collection, query);
  }

  documents(collection: string, options?: { generation?: number }): AsyncIterable<StoredDocument> {
    return this.store.documents(collection, options);
  }

  async apply(projection: string, position: number, changes: readonly Change[]): Promise<boolean> {
    const [applied] = await this.applyBatch([{ projection, position, changes }]);
    return applied!;
  }

  async applyBatch(writes: readonly ProjectionWrite[]): Promise<boolean[]> {
    try {
      return await this.store.applyBatch(writes, { fence: this.fence });
    } catch (error) {
      if (error instanceof FencedOffError) this.fencedOff(error);
      throw error;
    }
  }

  deleteWhere(collection: string, where: Filter): Promise<number> {
    return this.store.deleteWhere(collection, where);
  }

  startRebuild(layout: ProjectionLayout): Promise<number> {
    return this.store.startRebuild(layout);
  }

  finishRebuild(projection: string, generation: number): Promise<void> {
    return this.store.finishRebuild(projection, generation);
  }

  dropRebuild(projection: string, generation: number): Promise<void> {
    return this.store.dropRebuild(projection, generation);
  }

  /** The store is the composition's to close; the holder only stops writing through it. */
  async close(): Promise<void> {}
}
