import type { Filter } from '../../../projections/projection.ts';
import type { SortKey } from '../../ports/read-model-store.ts';
import { checkFilter, checkSort } from '../read-model-layout.ts';

/** SQL pieces of the SQLite read-model store. Names are checked by read-model-layout.ts before they get here. */

/** One table per collection and generation; `:` cannot occur in a collection name, so names never collide. */
export const tableName = (collection: string, generation: number) => `rm:${collection}:g${generation}`;

export const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** The generated column holding an indexed field. */
export const fieldColumn = (field: string) => quote(`f:${field}`);

/** SQLite binds no booleans; JSON true/false come out of json_extract as 1/0. */
const bindable = (value: Filter[string]) => (typeof value === 'boolean' ? (value ? 1 : 0) : value);

/** `IS` rather than `=`, so that a null filter matches a missing field, as in MongoDB. */
export function whereClause(where: Filter, indexes: readonly string[]): { sql: string; params: unknown[] } {
  checkFilter(where, indexes);
  const fields = Object.keys(where);
  if (fields.length === 0) return { sql: '', params: [] };
  return {
    sql: ` WHERE ${fields.map((f) => `${fieldColumn(f)} IS ?`).join(' AND ')}`,
    params: fields.map((f) => bindable(where[f]!)),
  };
}

export function orderBy(sort: readonly SortKey[], indexes: readonly string[]): string {
  checkSort(sort, indexes);
  const keys = sort.map((k) => `${k.field === 'id' ? 'id' : fieldColumn(k.field)} ${k.direction === 'desc' ? 'DESC' : 'ASC'}`);
  if (!sort.some((k) => k.field === 'id')) keys.push('id ASC');
  return keys.join(', ');
}
