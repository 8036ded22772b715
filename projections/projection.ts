import type { RecordedEvent } from '../events/envelope.ts';

/**
 * The vocabulary of read models: what a projection declares and the changes it returns. Pure
 * types and pure functions only; the ReadModelStore port (src/ports/read-model-store.ts) stores
 * exactly these semantics, and `applyChange` below is their reference.
 */

/** A stored document: plain JSON. Fields set to `undefined` are not stored. */
export type ReadModelDocument = Record<string, unknown>;

/** What a filter compares a field with; `null` also matches a document without the field. */
export type FieldValue = string | number | boolean | null;

/** Every field equals its value. Only fields a collection declares in `indexes` may be used. */
export type Filter = Readonly<Record<string, FieldValue>>;

export interface CollectionSpec {
  /** Lowercase letters, digits, `-` and `_`; unique across all projections. */
  name: string;
  /** Top-level fields that filters and sorting may use; stores index them. */
  indexes: readonly string[];
}

/**
 * One write to one collection:
 * - `put` stores `doc` as the whole document;
 * - `merge` sets `doc`'s top-level fields on the stored document, creating it when missing;
 * - `delete` removes one document; `deleteWhere` removes every document matching `where`.
 */
export type Change =
  | { collection: string; op: 'put'; id: string; doc: object }
  | { collection: string; op: 'merge'; id: string; doc: object }
  | { collection: string; op: 'delete'; id: string }
  | { collection: string; op: 'deleteWhere'; where: Filter };

/** The current documents of the projection's own collections, as the changes so far left them. */
export interface ReadView {
  get<T extends object = ReadModelDocument>(collection: string, id: string): Promise<T | undefined>;
}

/**
 * A read model's definition. `project` is pure: the same event and the same documents give the
 * same changes. Prefer `merge` over read-then-put; reads are there for the rare derived figure.
 */
export interface Projection {
  /** Lowercase letters, digits and `-`. */
  name: string;
  /** Bump it when `project` or `collections` change: the runner rebuilds the read model from zero. */
  version: number;
  collections: readonly CollectionSpec[];
  /**
   * Event types `project` is called for; every other event only moves the checkpoint. `every-event`:
   * called for each event as stored, not decoded (for a projection of the log itself, which reads
   * only the envelope: the event sequence).
   */
  handles: readonly string[] | 'every-event';
  /** The changes one event makes. `event.data` is decoded: sealed fields are open, or absent once erased. */
  project(event: RecordedEvent, read: ReadView): Change[] | Promise<Change[]>;
}

/** True when the projection is called for events of `type`. */
export function handlesType(projection: Pick<Projection, 'handles'>, type: string): boolean {
  return projection.handles === 'every-event' || projection.handles.includes(type);
}

/** True when `doc` matches every field of `where` (`null` matches a missing field too). */
export function matchesFilter(doc: object, where: Filter): boolean {
  const fields = doc as Record<string, unknown>;
  return Object.entries(where).every(([field, value]) => (value === null ? fields[field] == null : fields[field] === value));
}

/** The document after one change to it (`undefined`: absent). The reference semantics of every store. */
export function applyChange(current: ReadModelDocument | undefined, change: Change): ReadModelDocument | undefined {
  switch (change.op) {
    case 'put':
      return toJson(change.doc);
    case 'merge':
      return { ...current, ...toJson(change.doc) };
    case 'delete':
      return undefined;
    case 'deleteWhere':
      return current && matchesFilter(current, change.where) ? undefined : current;
  }
}

/** The document as JSON would store it: undefined fields dropped, dates as strings, no shared references. */
export function toJson(doc: object): ReadModelDocument {
  return JSON.parse(JSON.stringify(doc)) as ReadModelDocument;
}
