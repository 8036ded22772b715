import { streamNames, type RecordedEvent } from '../events/envelope.ts';
import type { RetentionEvent } from '../events/retention.ts';
import { retentionDecider, type RetentionState } from '../commands/retention.ts';
import type { Change, Projection } from './projection.ts';

/**
 * The `retention` stream folded by its own decider, with the revision it reflects. The stream
 * grows by a purge record per batch; readers take this one document instead of folding all of it,
 * and a writer that finds it stale learns so from the append's expected revision.
 */
export interface RetentionSnapshot {
  state: RetentionState;
  /** Revision of the last event of the `retention` stream folded in. */
  revision: number;
}

export const RETENTION_STATE = 'retention_state';
export const RETENTION_SNAPSHOT_ID = 'retention';

export const retentionProjection: Projection = {
  name: 'retention',
  version: 1,
  collections: [{ name: RETENTION_STATE, indexes: [] }],
  handles: ['RetentionPolicyChanged', 'RetentionPurgeExecuted'],
  async project(event: RecordedEvent, read): Promise<Change[]> {
    if (event.streamName !== streamNames.retention) return [];
    const current = await read.get<RetentionSnapshot>(RETENTION_STATE, RETENTION_SNAPSHOT_ID);
    const state = retentionDecider.evolve(current?.state ?? retentionDecider.initialState(), { type: event.type, data: event.data } as RetentionEvent);
    const doc: RetentionSnapshot = { state, revision: event.revision };
    return [{ collection: RETENTION_STATE, op: 'put', id: RETENTION_SNAPSHOT_ID, doc }];
  },
};
