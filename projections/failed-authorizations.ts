import { streamId, type RecordedEvent } from '../events/envelope.ts';
import type { Change, Projection } from './projection.ts';

/** A failed authorization as admins and its provider see it until retention erases it. Nothing personal. */
export interface FailedAuthorizationDoc {
  actId: string;
  providerId: string;
  reason: string;
  failedAt: string;
  /** Global position of the failure event: the purge erases in this order. */
  logPosition: number;
  /** Whether the act's person reported it as not theirs ("this was not me"), and when. */
  disputed: boolean;
  reportedAt?: string;
}

/** Which provider each still-open act belongs to: the failure event does not say. */
interface OpenActDoc {
  actId: string;
  providerId: string;
}

export const FAILED_AUTHORIZATIONS = 'failed_authorizations';
const OPEN_ACTS = 'failed_authorizations_staging';

/**
 * Failed acts, kept until the retention purge. A purge record deletes its acts here too, so a replay
 * of the whole log after a purge ends without them. Version 2: a person's report that the attempt
 * was not theirs (AuthorizationDisputed) marks the row, for admins to follow up.
 */
export const failedAuthorizationsProjection: Projection = {
  name: 'failed-authorizations',
  version: 2,
  collections: [
    { name: FAILED_AUTHORIZATIONS, indexes: ['actId', 'providerId', 'reason', 'failedAt', 'logPosition', 'disputed'] },
    { name: OPEN_ACTS, indexes: ['actId'] },
  ],
  handles: ['ActRegistered', 'ActAuthorized', 'ActAuthorizationFailed', 'AuthorizationDisputed', 'RetentionPurgeExecuted'],
  async project(event: RecordedEvent, read): Promise<Change[]> {
    if (event.type === 'RetentionPurgeExecuted') {
      const ids = (event.data.purgedActIds as string[] | undefined) ?? [];
      return ids.flatMap((id): Change[] => [
        { collection: FAILED_AUTHORIZATIONS, op: 'delete', id },
        { collection: OPEN_ACTS, op: 'delete', id },
      ]);
    }
    const actId = streamId(event.streamName, 'act');
    if (!actId) return [];
    switch (event.type) {
      case 'ActRegistered': {
        const doc: OpenActDoc = { actId, providerId: String(event.data.providerId) };
        return [{ collection: OPEN_ACTS, op: 'put', id: actId, doc }];
      }
      case 'ActAuthorized':
        return [{ collection: OPEN_ACTS, op: 'delete', id: actId }];
      case 'ActAuthorizationFailed': {
        const open = await read.get<OpenActDoc>(OPEN_ACTS, actId);
        const doc: FailedAuthorizationDoc = {
          actId,
          providerId: open?.providerId ?? '',
          reason: String(event.data.reason),
          failedAt: String(event.data.failedAt),
          logPosition: event.position,
          disputed: false,
        };
        return [
          { collection: FAILED_AUTHORIZATIONS, op: 'put', id: actId, doc },
          { collection: OPEN_ACTS, op: 'delete', id: actId },
        ];
      }
      case 'AuthorizationDisputed': {
        // Only onto a row still there: a merge would create a row with no failure in it (after the purge, say).
        const failed = await read.get<FailedAuthorizationDoc>(FAILED_AUTHORIZATIONS, actId);
        return failed ? [{ collection: FAILED_AUTHORIZATIONS, op: 'merge', id: actId, doc: { disputed: true, reportedAt: String(event.data.reportedAt) } }] : [];
      }
      default:
        return [];
    }
  },
};
