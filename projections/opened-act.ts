import { streamId, type RecordedEvent } from '../events/envelope.ts';
import type { Change, CollectionSpec, Projection, ReadView } from './projection.ts';
import type { ActRegisteredSealed } from '../events/act.ts';

/**
 * The unsealed personal fields of an ActRegistered, or undefined when they are gone (the act's key
 * was destroyed: `erased`) or incomplete.
 */
export function openedFields(event: RecordedEvent): ActRegisteredSealed | undefined {
  const d = event.data as Partial<ActRegisteredSealed> & { erased?: boolean };
  if (d.erased === true) return undefined;
  if (typeof d.documentHash !== 'string' || typeof d.name !== 'string' || typeof d.aifo !== 'string' || typeof d.sepp !== 'string') return undefined;
  return { sepp: d.sepp, aifo: d.aifo, documentHash: d.documentHash, name: d.name, description: typeof d.description === 'string' ? d.description : '' };
}

/**
 * A read model of authorized acts built from fields only ActRegistered carries (sealed): they wait
 * in a staging collection until the act is decided. Authorized moves the staged row into the read
 * model; failed drops it; an erased ActRegistered (key destroyed) stages nothing.
 */
export function stagedUntilAuthorized<Staged extends { actId: string }, Entry extends object>(spec: {
  name: string;
  version: number;
  /** The read model: `indexes` must include `actId` (retention deletes by it). */
  entries: CollectionSpec;
  /** Its staging collection's name. */
  staging: string;
  stage(actId: string, opened: ActRegisteredSealed, event: RecordedEvent): Staged;
  promote(staged: Staged, authorized: RecordedEvent): Entry;
}): Projection {
  return {
    name: spec.name,
    version: spec.version,
    collections: [spec.entries, { name: spec.staging, indexes: ['actId'] }],
    handles: ['ActRegistered', 'ActAuthorized', 'ActAuthorizationFailed'],
    async project(event: RecordedEvent, read: ReadView): Promise<Change[]> {
      const actId = streamId(event.streamName, 'act');
      if (!actId) return [];
      switch (event.type) {
        case 'ActRegistered': {
          const opened = openedFields(event);
          return opened ? [{ collection: spec.staging, op: 'put', id: actId, doc: spec.stage(actId, opened, event) }] : [];
        }
        case 'ActAuthorized': {
          const staged = await read.get<Staged>(spec.staging, actId);
          // Nothing staged: erased, or this authorization was already moved (a second delivery).
          if (!staged) return [];
          return [
            { collection: spec.entries.name, op: 'put', id: actId, doc: spec.promote(staged, event) },
            { collection: spec.staging, op: 'delete', id: actId },
          ];
        }
        case 'ActAuthorizationFailed':
          return [{ collection: spec.staging, op: 'delete', id: actId }];
        default:
          return [];
      }
    },
  };
}
