import { applyChange, type Change, type Projection, type ReadModelDocument, type ReadView } from '../../../projections/projection.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';

type ReadStored = (collection: string, id: string) => Promise<ReadModelDocument | undefined>;

/**
 * One projection's changes from a run of events not yet written, and the view its handler reads
 * through: a stored document with the pending changes to it applied in order. This is what lets
 * the runner write many events in one transaction and still give handlers current documents.
 */
export class PendingChanges {
  readonly changes: Change[] = [];
  /** Position of the last event taken in (0: none yet). */
  position = 0;
  private readonly byDocument = new Map<string, number[]>();
  private readonly byFilter = new Map<string, number[]>();

  constructor(
    private readonly projection: string,
    private readonly collections: ReadonlySet<string>,
    private readonly readStored: ReadStored,
  ) {}

  /** Takes in the changes of the event at `position`. */
  add(changes: readonly Change[], position: number): void {
    for (const change of changes) {
      if (!this.collections.has(change.collection)) {
        throw new Error(`projection ${this.projection} wrote to ${change.collection}, which it does not declare (event at ${position})`);
      }
      const index = this.changes.push(change) - 1;
      const key = change.op === 'deleteWhere' ? change.collection : documentKey(change.collection, change.id);
      const map = change.op === 'deleteWhere' ? this.byFilter : this.byDocument;
      const list = map.get(key);
      if (list) list.push(index);
      else map.set(key, [index]);
    }
    this.position = position;
  }

  readonly view: ReadView = {
    get: async <T extends object = ReadModelDocument>(collection: string, id: string): Promise<T | undefined> => {
      if (!this.collections.has(collection)) throw new Error(`projection ${this.projection} may only read its own collections, not ${collection}`);
      const own = this.byDocument.get(documentKey(collection, id)) ?? [];
      // A put or delete decides the document whole: what came before it, stored or pending, is not
      // read again. Without this, a document written by every event (a head, a counter) costs the
      // square of the batch's length.
      let from = own.length - 1;
      while (from >= 0 && this.changes[own[from]!]!.op === 'merge') from--;
      const decided = from >= 0 ? own[from]! : -1;
      let doc = decided >= 0 ? applyChange(undefined, this.changes[decided]!) : await this.readStored(collection, id);
      const after = (indexes: readonly number[] = []) => indexes.filter((i) => i > decided);
      for (const i of mergeSorted(after(own.slice(from + 1)), after(this.byFilter.get(collection)))) doc = applyChange(doc, this.changes[i]!);
      return doc as T | undefined;
    },
  };
}

/** Pending changes of `projection` whose reads see the live generation, or `generation` (a rebuild's). */
export function pendingChangesOf(projection: Pick<Projection, 'name' | 'collections'>, readModels: Pick<ReadModelStore, 'get'>, generation?: number): PendingChanges {
  const options = generation === undefined ? {} : { generation };
  return new PendingChanges(projection.name, new Set(projection.collections.map((c) => c.name)), (collection, id) => readModels.get(collection, id, options));
}

const documentKey = (collection: string, id: string) => `${collection}\u0000${id}`;

function mergeSorted(a: readonly number[] = [], b: readonly number[] = []): number[] {
  if (b.length === 0) return [...a];
  if (a.length === 0) return [...b];
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) out.push(j >= b.length || (i < a.length && a[i]! < b[j]!) ? a[i++]! : b[j++]!);
  return out;
}
