import { expect } from 'vitest';
import type { RecordedEvent } from '../../events/envelope.ts';
import { currentSchemaVersion } from '../../events/upcasters.ts';
import { readEventData } from '../../events/validation.ts';
import { applyChange, handlesType, type Change, type Filter, type Projection, type ReadModelDocument, type ReadView } from '../../projections/projection.ts';

/** Stored documents by collection, then by id. */
export type StoredDocuments = Record<string, Record<string, ReadModelDocument>>;

/**
 * Given / when / then for one projection: given these documents already stored, when this event
 * arrives, then exactly these changes. As the runner does, an event the projection does not handle
 * never reaches it, and reads of a collection the projection does not own are refused.
 */
export function projectionSpec(projection: Projection) {
  const own = new Set(projection.collections.map((c) => c.name));
  return {
    given(stored: StoredDocuments = {}) {
      for (const collection of Object.keys(stored)) if (!own.has(collection)) throw new Error(`${projection.name} does not own ${collection}`);
      const read: ReadView = {
        get: async <T extends object>(collection: string, id: string) => {
          if (!own.has(collection)) throw new Error(`${projection.name} read ${collection}, which it does not own`);
          return stored[collection]?.[id] as T | undefined;
        },
      };
      return {
        when(event: RecordedEvent) {
          const changes = async (): Promise<Change[]> => (handlesType(projection, event.type) ? await projection.project(event, read) : []);
          return {
            /** Exactly these changes, in this order. */
            thenChanges: async (expected: Change[]) => expect(await changes()).toEqual(expected),
            /** No change at all. */
            thenNothing: async () => expect(await changes()).toEqual([]),
          };
        },
      };
    },
  };
}

let position = 100;

/**
 * A decoded event as the runner hands it to projections (sealed fields open or erased), checked
 * against its type's schema so that a spec cannot drift from what the ledger really stores.
 */
export function recordedEvent(streamName: string, type: string, data: Record<string, unknown>, at: { revision?: number; position?: number } = {}): RecordedEvent {
  const event: RecordedEvent = {
    streamName,
    revision: at.revision ?? 0,
    position: at.position ?? ++position,
    type,
    data,
    metadata: { eventId: `event-${position}`, correlationId: 'correlation', occurredAt: '2026-11-20T08:00:00.000Z', actor: 'test', schemaVersion: currentSchemaVersion(type) },
  };
  readEventData(event);
  return event;
}

/**
 * Runs events through a projection into plain maps, as the runner would (reads see earlier
 * changes); `stored`: documents already there, changed in place.
 */
export async function foldEvents(projection: Projection, events: readonly RecordedEvent[], stored: StoredDocuments = {}): Promise<StoredDocuments> {
  for (const c of projection.collections) stored[c.name] ??= {};
  const read = { get: async <T extends object>(collection: string, id: string) => stored[collection]![id] as T | undefined };
  for (const event of events) {
    if (!handlesType(projection, event.type)) continue;
    for (const change of await projection.project(event, read)) {
      const docs = stored[change.collection]!;
      for (const id of change.op === 'deleteWhere' ? Object.keys(docs) : [change.id]) {
        const next = applyChange(docs[id], change);
        if (next === undefined) delete docs[id];
        else docs[id] = next;
      }
    }
  }
  return stored;
}

/** Removes the documents matching `where`, as ReadModelStore.deleteWhere does outside any projection. */
export function deleteMatching(docs: Record<string, ReadModelDocument>, where: Filter): void {
  for (const [id, doc] of Object.entries(docs)) if (applyChange(doc, { collection: '', op: 'deleteWhere', where }) === undefined) delete docs[id];
}
