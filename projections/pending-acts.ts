import { streamId, type RecordedEvent } from '../events/envelope.ts';
import type { Change, Projection } from './projection.ts';

/** An act still waiting for authorization, and when it expires: what the expiry sweep looks through. */
export interface PendingActDoc {
  actId: string;
  expiresAt: string;
}

export const PENDING_ACTS = 'pending_acts';

/** Pending acts by expiry time; an act leaves as soon as it is authorized or failed. */
export const pendingActsProjection: Projection = {
  name: 'pending-acts',
  version: 1,
  collections: [{ name: PENDING_ACTS, indexes: ['actId', 'expiresAt'] }],
  handles: ['ActRegistered', 'ActAuthorized', 'ActAuthorizationFailed'],
  project(event: RecordedEvent): Change[] {
    const actId = streamId(event.streamName, 'act');
    if (!actId) return [];
    if (event.type === 'ActRegistered') {
      const doc: PendingActDoc = { actId, expiresAt: String(event.data.expiresAt) };
      return [{ collection: PENDING_ACTS, op: 'put', id: actId, doc }];
    }
    return [{ collection: PENDING_ACTS, op: 'delete', id: actId }];
  },
};
