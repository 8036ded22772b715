import type { NewEvent } from '../../../events/envelope.ts';
import type { ExpectedRevision } from '../../ports/event-store.ts';

/** One of the last events of a stream, as the guard compares it. */
export interface StoredEvent {
  revision: number;
  id: string;
  type: string;
  position: number;
}

export type GuardVerdict =
  | { kind: 'write' }
  | { kind: 'repeat'; revision: number; position: number }
  | { kind: 'conflict'; actual: number };

/**
 * Decides, from the stream's last events (in revision order, as many as the append has), what an
 * append must not leave to the server. EventStoreDB is idempotent only when the expected revision
 * is the one the first write was made at: the same ids sent at the stream's current revision (a
 * request that re-read the stream after the first write), or with `any`/`exists` once its cache has
 * forgotten them, are simply stored again. The ledger's rule (the SQLite store's): at an exact
 * revision that is a conflict; with `any`/`exists`, the same events as the stream's last ones are
 * a repeat, and any other overlap a conflict. Everything else the server decides (a repeat at an
 * earlier revision, a stale revision, a missing stream).
 */
export function guardAppend(tail: readonly StoredEvent[], events: readonly NewEvent[], expected: ExpectedRevision): GuardVerdict {
  const last = tail.at(-1);
  if (!last || expected === 'no-stream') return { kind: 'write' };
  if (typeof expected === 'number' && expected !== last.revision) return { kind: 'write' };
  const stored = new Set(tail.map((e) => e.id.toLowerCase()));
  if (!events.some((e) => stored.has(e.metadata.eventId.toLowerCase()))) return { kind: 'write' };
  if (typeof expected === 'number') return { kind: 'conflict', actual: last.revision };
  const start = tail.length - events.length;
  const sameAsLast =
    start >= 0 &&
    events.every((e, i) => {
      const s = tail[start + i]!;
      return s.id.toLowerCase() === e.metadata.eventId.toLowerCase() && s.type === e.type;
    });
  return sameAsLast ? { kind: 'repeat', revision: last.revision, position: last.position } : { kind: 'conflict', actual: last.revision };
}
