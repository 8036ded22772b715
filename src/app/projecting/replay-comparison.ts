import { isDeepStrictEqual } from 'node:util';
import type { CollectionSpec, ReadModelDocument } from '../../../projections/projection.ts';
import type { ReadModelStore, StoredDocument } from '../../ports/read-model-store.ts';

/** One document that the live read model and the replay do not agree on; `undefined`: absent there. */
export interface ReplayDifference {
  collection: string;
  id: string;
  live: ReadModelDocument | undefined;
  replayed: ReadModelDocument | undefined;
}

/**
 * Every document of the projection's collections in the live generation against the same in the
 * shadow `generation`: both listed in id order and walked side by side, so neither is held whole.
 * Field order does not count (JSON objects have none).
 */
export async function differencesOf(
  readModels: Pick<ReadModelStore, 'documents'>,
  collections: readonly CollectionSpec[],
  generation: number,
): Promise<{ documents: number; differences: ReplayDifference[] }> {
  let documents = 0;
  const differences: ReplayDifference[] = [];
  for (const { name: collection } of collections) {
    const live = cursor(readModels.documents(collection));
    const replayed = cursor(readModels.documents(collection, { generation }));
    let [l, r] = await Promise.all([live.next(), replayed.next()]);
    while (l || r) {
      documents += 1;
      const order = !l ? 1 : !r ? -1 : compareIds(l.id, r.id);
      if (order === 0 && isDeepStrictEqual(l!.doc, r!.doc)) {
        [l, r] = await Promise.all([live.next(), replayed.next()]);
        continue;
      }
      const id = order <= 0 ? l!.id : r!.id;
      differences.push({ collection, id, live: order <= 0 ? l!.doc : undefined, replayed: order >= 0 ? r!.doc : undefined });
      if (order < 0) l = await live.next();
      else if (order > 0) r = await replayed.next();
      else [l, r] = await Promise.all([live.next(), replayed.next()]);
    }
  }
  return { documents, differences };
}

/** The differences that remain when each document is read again from both generations. */
export async function recheck(readModels: Pick<ReadModelStore, 'get'>, differences: readonly ReplayDifference[], generation: number): Promise<ReplayDifference[]> {
  const remaining: ReplayDifference[] = [];
  for (const { collection, id } of differences) {
    const [live, replayed] = await Promise.all([readModels.get(collection, id), readModels.get(collection, id, { generation })]);
    if (!isDeepStrictEqual(live, replayed)) remaining.push({ collection, id, live, replayed });
  }
  return remaining;
}

/** Ids in the order the stores list them: by their UTF-8 bytes (SQLite's BINARY, MongoDB's strings). */
function compareIds(a: string, b: string): number {
  if (ASCII.test(a) && ASCII.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
const ASCII = /^[\x00-\x7f]*$/;

function cursor(documents: AsyncIterable<StoredDocument>): { next(): Promise<StoredDocument | undefined> } {
  const iterator = documents[Symbol.asyncIterator]();
  return { next: async () => ((await iterator.next()).value as StoredDocument | undefined) ?? undefined };
}
