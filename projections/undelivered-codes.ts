import { streamId, type RecordedEvent } from '../events/envelope.ts';
import type { Change, Projection } from './projection.ts';

/** A code whose delivery is not final yet, and when the code expires: what the expiry sweep looks through. */
export interface UndeliveredCodeDoc {
  actId: string;
  codeId: string;
  expiresAt: string;
}

export const UNDELIVERED_CODES = 'undelivered_codes';

/**
 * Codes by expiry time while their delivery is pending; a code leaves once it is recorded sent or
 * failed. A code still here past its expiry lost its delivery (a crash between its CodeIssued and
 * the queue): the sweep records it as not delivered, so no code stays pending forever.
 *
 * A retention purge erases its acts' codes too (version 2): the purge deletes their rows outside
 * the projections, and the purge record deletes them here, so a rebuild from zero after a purge
 * ends with what the live read model holds (a code of an erased act is never delivered anyway).
 */
export const undeliveredCodesProjection: Projection = {
  name: 'undelivered-codes',
  version: 2,
  collections: [{ name: UNDELIVERED_CODES, indexes: ['actId', 'expiresAt'] }],
  handles: ['CodeIssued', 'CodeDelivered', 'CodeDeliveryFailed', 'RetentionPurgeExecuted'],
  project(event: RecordedEvent): Change[] {
    if (event.type === 'RetentionPurgeExecuted') {
      const ids = (event.data.purgedActIds as string[] | undefined) ?? [];
      return ids.map((id): Change => ({ collection: UNDELIVERED_CODES, op: 'deleteWhere', where: { actId: id } }));
    }
    const actId = streamId(event.streamName, 'act');
    const codeId = event.data.codeId;
    if (!actId || typeof codeId !== 'string') return [];
    if (event.type === 'CodeIssued') {
      const doc: UndeliveredCodeDoc = { actId, codeId, expiresAt: String(event.data.expiresAt) };
      return [{ collection: UNDELIVERED_CODES, op: 'put', id: codeId, doc }];
    }
    return [{ collection: UNDELIVERED_CODES, op: 'delete', id: codeId }];
  },
};
