import type { Change, CollectionSpec, Filter, ReadModelDocument } from '../../projections/projection.ts';
import type { CheckpointStore } from './checkpoint-store.ts';
import type { Fence } from './projection-lease.ts';

export type { Change, CollectionSpec, Filter, ReadModelDocument } from '../../projections/projection.ts';

/** What a store needs to know of a projection: its name, version and collections. */
export interface ProjectionLayout {
  name: string;
  version: number;
  collections: readonly CollectionSpec[];
}

export interface SortKey {
  /** An indexed field, or `id`. */
  field: string;
  direction?: 'asc' | 'desc';
}

export interface FindQuery {
  where?: Filter;
  /** Ties, and a query without sort, are ordered by document id. */
  sort?: readonly SortKey[];
  limit?: number;
}

/** Changes from a run of events, written with the position of the last of them. */
export interface ProjectionWrite {
  projection: string;
  position: number;
  changes: readonly Change[];
  /** The generation a rebuild is filling; the live one when left out. */
  generation?: number;
  /**
   * The checkpoint the changes were computed on (what the projection's reads saw). When given, the
   * write applies only while the stored checkpoint is still exactly this; otherwise another writer
   * moved it (or reset it) since, and the write answers false and changes nothing.
   */
  after?: number;
}

/** A document with its id, as `documents` lists them. */
export interface StoredDocument {
  id: string;
  doc: ReadModelDocument;
}

export interface RegisteredProjection {
  /** The generation readers see. */
  generation: number;
  /** Its checkpoint. */
  position: number;
  /** False when the live generation was built by another version or collection layout: rebuild it. */
  upToDate: boolean;
}

/** Raised for a collection, field or projection the store was not told about; nothing is written. */
export class ReadModelSchemaError extends Error {
  override readonly name = 'ReadModelSchemaError';
}

/**
 * Named collections of JSON documents keyed by id, written only by projections through `apply`.
 * Each projection's collections exist in generations: readers see the live one, a rebuild fills a
 * fresh one and `finishRebuild` swaps it in atomically. All adapters pass
 * test/contract/read-model-store.contract.ts.
 */
export interface ReadModelStore {
  readonly checkpoints: CheckpointStore;
  /** Declares a projection; creates its first generation when new. Safe to repeat; never rebuilds by itself. */
  register(layout: ProjectionLayout): Promise<RegisteredProjection>;
  /** One document of the live generation (or of `generation`), or undefined. */
  get<T extends object = ReadModelDocument>(collection: string, id: string, options?: { generation?: number }): Promise<T | undefined>;
  /** Documents of the live generation matching `where` on indexed fields, sorted, at most `limit`. */
  find<T extends object = ReadModelDocument>(collection: string, query?: FindQuery): Promise<T[]>;
  /**
   * Every document of the collection in the live generation (or in `generation`), in id order (the
   * same order for every generation of one store), read a page at a time: what a replay compares.
   */
  documents(collection: string, options?: { generation?: number }): AsyncIterable<StoredDocument>;
  /**
   * Writes the changes and moves the checkpoint to `position`, atomically, only when the stored
   * checkpoint is lower: a second delivery answers false and changes nothing.
   */
  apply(projection: string, position: number, changes: readonly Change[]): Promise<boolean>;
  /**
   * Several `apply`s in one transaction, each guarded by its own checkpoint; all or nothing (a store
   * made of several, PartitionedReadModelStore, is so within each of them). With a
   * `fence`, the same transaction refuses the batch (FencedOffError) when the store has seen a higher
   * token of that lease, and otherwise records the token as the highest seen.
   */
  applyBatch(writes: readonly ProjectionWrite[], options?: { fence?: Fence }): Promise<boolean[]>;
  /** Removes matching documents from the live generation, outside any projection (retention); answers how many. */
  deleteWhere(collection: string, where: Filter): Promise<number>;
  /** Creates a fresh, empty, non-live generation at checkpoint 0 (dropping an unfinished one); answers its number. */
  startRebuild(layout: ProjectionLayout): Promise<number>;
  /** Makes `generation` live in one step, then drops the generation it replaced. */
  finishRebuild(projection: string, generation: number): Promise<void>;
  /** Drops a generation that is not live (a rebuild given up, a replay's shadow); the live one is refused, nothing missing is an error. */
  dropRebuild(projection: string, generation: number): Promise<void>;
  close(): Promise<void>;
}
