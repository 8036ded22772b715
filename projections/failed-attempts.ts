import { streamId, type RecordedEvent } from '../events/envelope.ts';
import type { FailureReason } from '../events/act.ts';
import { openedFields } from './opened-act.ts';
import type { Change, Projection } from './projection.ts';

/**
 * One failed attempt to authorize an act in a person's name, as that person sees it in the portal
 * until retention erases it. Personal (the AIFO, the act's name), like a CUL entry: it lives only in
 * this collection, which the purge empties of the act (it indexes `actId`), never in an admin's list.
 */
export interface FailedAttemptDoc {
  actId: string;
  /** Whose attempt it was: the person the act was registered for. Never shown; finds the person's rows. */
  aifo: string;
  providerName: string;
  actName: string;
  reason: FailureReason;
  failedAt: string;
  /** When the person reported it as not theirs (AuthorizationDisputed). */
  reportedAt?: string;
}

/** What a pending act will need once it fails. */
interface PendingAttemptDoc {
  actId: string;
  aifo: string;
  providerName: string;
  actName: string;
}

export const FAILED_ATTEMPTS = 'citizen_failed_attempts';
const PENDING_ATTEMPTS = 'citizen_failed_attempts_staging';

/**
 * Per person, the acts registered in their name that failed, kept until the retention purge. The
 * registration's sealed fields wait in staging until the act is decided: failed moves them here,
 * authorized drops them. A purge record deletes its acts too, so a rebuild after a purge (the
 * registration then erased) ends as the live read model the purge cleaned.
 */
export const failedAttemptsProjection: Projection = {
  name: 'citizen-failed-attempts',
  version: 1,
  collections: [
    { name: FAILED_ATTEMPTS, indexes: ['aifo', 'actId', 'failedAt'] },
    { name: PENDING_ATTEMPTS, indexes: ['actId'] },
  ],
  handles: ['ActRegistered', 'ActAuthorized', 'ActAuthorizationFailed', 'AuthorizationDisputed', 'RetentionPurgeExecuted'],
  async project(event: RecordedEvent, read): Promise<Change[]> {
    if (event.type === 'RetentionPurgeExecuted') {
      const ids = (event.data.purgedActIds as string[] | undefined) ?? [];
      return ids.flatMap((id): Change[] => [
        { collection: FAILED_ATTEMPTS, op: 'delete', id },
        { collection: PENDING_ATTEMPTS, op: 'delete', id },
      ]);
    }
    const actId = streamId(event.streamName, 'act');
    if (!actId) return [];
    switch (event.type) {
      case 'ActRegistered': {
        const opened = openedFields(event);
        if (!opened) return [];
        const doc: PendingAttemptDoc = { actId, aifo: opened.aifo, providerName: String(event.data.providerName), actName: opened.name };
        return [{ collection: PENDING_ATTEMPTS, op: 'put', id: actId, doc }];
      }
      case 'ActAuthorized':
        return [{ collection: PENDING_ATTEMPTS, op: 'delete', id: actId }];
      case 'ActAuthorizationFailed': {
        const pending = await read.get<PendingAttemptDoc>(PENDING_ATTEMPTS, actId);
        // Nothing staged: the registration is erased, or this failure was already moved (a second delivery).
        if (!pending) return [];
        const doc: FailedAttemptDoc = { ...pending, reason: event.data.reason as FailureReason, failedAt: String(event.data.failedAt) };
        return [
          { collection: FAILED_ATTEMPTS, op: 'put', id: actId, doc },
          { collection: PENDING_ATTEMPTS, op: 'delete', id: actId },
        ];
      }
      case 'AuthorizationDisputed': {
        // Only onto a row still there: a report of an erased act must not leave a fragment behind.
        const attempt = await read.get<FailedAttemptDoc>(FAILED_ATTEMPTS, actId);
        return attempt ? [{ collection: FAILED_ATTEMPTS, op: 'merge', id: actId, doc: { reportedAt: String(event.data.reportedAt) } }] : [];
      }
      default:
        return [];
    }
  },
};
