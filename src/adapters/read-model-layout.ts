import type { Filter } from '../../projections/projection.ts';
import { ReadModelSchemaError, type ProjectionLayout, type SortKey } from '../ports/read-model-store.ts';

/** Rules every ReadModelStore adapter enforces the same way, so a query valid on one is valid on all. */

const PROJECTION_NAME = /^[a-z][a-z0-9-]{0,47}$/;
const COLLECTION_NAME = /^[a-z][a-z0-9_-]{0,47}$/;
/** Top-level field names only: they become SQL column names and MongoDB paths. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function checkLayout(layout: ProjectionLayout): void {
  if (!PROJECTION_NAME.test(layout.name)) throw new ReadModelSchemaError(`projection name ${JSON.stringify(layout.name)} is not allowed`);
  if (!Number.isInteger(layout.version) || layout.version < 1) throw new ReadModelSchemaError(`projection ${layout.name}: version must be a whole number from 1`);
  const seen = new Set<string>();
  for (const c of layout.collections) {
    if (!COLLECTION_NAME.test(c.name)) throw new ReadModelSchemaError(`collection name ${JSON.stringify(c.name)} is not allowed`);
    if (seen.has(c.name)) throw new ReadModelSchemaError(`collection ${c.name} is declared twice`);
    seen.add(c.name);
    for (const f of c.indexes) {
      if (!FIELD_NAME.test(f) || f === 'id') throw new ReadModelSchemaError(`collection ${c.name}: field ${JSON.stringify(f)} cannot be indexed`);
    }
    if (new Set(c.indexes).size !== c.indexes.length) throw new ReadModelSchemaError(`collection ${c.name}: an index is declared twice`);
  }
}

/** A stable text of the layout: two layouts with the same collections and indexes give the same key. */
export function layoutKey(layout: ProjectionLayout): string {
  const collections = [...layout.collections]
    .map((c) => ({ name: c.name, indexes: [...c.indexes].sort() }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return JSON.stringify(collections);
}

export function checkPosition(position: number): void {
  if (!Number.isSafeInteger(position) || position < 1) throw new ReadModelSchemaError(`position must be a whole number from 1, got ${position}`);
}

export function checkFilter(where: Filter, indexes: readonly string[]): void {
  for (const [field, value] of Object.entries(where)) {
    if (!indexes.includes(field)) throw new ReadModelSchemaError(`field ${field} is not indexed`);
    const kind = typeof value;
    if (!(value === null || kind === 'string' || kind === 'boolean' || (kind === 'number' && Number.isFinite(value)))) {
      throw new ReadModelSchemaError(`field ${field}: a filter compares with a string, number, boolean or null`);
    }
  }
}

export function checkSort(sort: readonly SortKey[], indexes: readonly string[]): void {
  for (const key of sort) {
    if (key.field !== 'id' && !indexes.includes(key.field)) throw new ReadModelSchemaError(`cannot sort on ${key.field}: not indexed`);
  }
}

export function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw new ReadModelSchemaError(`limit must be a whole number, got ${limit}`);
}
