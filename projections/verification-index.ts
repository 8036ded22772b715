import { streamId, type RecordedEvent } from '../events/envelope.ts';
import type { AuthorizationMethod } from '../events/act.ts';
import type { Change, Projection, ReadView } from './projection.ts';
import { openedFields } from './opened-act.ts';

/** One authorized act as the public verification page shows it. Nothing identifies the citizen. */
export interface VerifiedActDoc {
  actId: string;
  documentHash: string;
  name: string;
  description: string;
  providerName: string;
  authorizedAt: string;
  method: AuthorizationMethod;
}

/** What a pending act will show once authorized: the document and its naming, no SePP, no AIFO. */
interface PendingActDoc {
  actId: string;
  documentHash: string;
  name: string;
  description: string;
  providerName: string;
}

export const VERIFIED_ACTS = 'verification_acts';
const PENDING_ACTS = 'verification_pending';

/**
 * documentHash -> the acts authorized for it (SPEC section 2, step 7). The act's sealed fields come
 * with ActRegistered only, so they wait in a staging collection until the act is decided: authorized
 * moves them into the index, failed drops them. An erased ActRegistered (key destroyed) stages nothing.
 */
export const verificationIndexProjection: Projection = {
  name: 'verification-index',
  version: 1,
  collections: [
    { name: VERIFIED_ACTS, indexes: ['documentHash', 'actId', 'authorizedAt'] },
    { name: PENDING_ACTS, indexes: ['actId'] },
  ],
  handles: ['ActRegistered', 'ActAuthorized', 'ActAuthorizationFailed'],
  async project(event: RecordedEvent, read: ReadView): Promise<Change[]> {
    const actId = streamId(event.streamName, 'act');
    if (!actId) return [];
    switch (event.type) {
      case 'ActRegistered': {
        const sealed = openedFields(event);
        if (!sealed) return [];
        const doc: PendingActDoc = { actId, documentHash: sealed.documentHash, name: sealed.name, description: sealed.description, providerName: String(event.data.providerName) };
        return [{ collection: PENDING_ACTS, op: 'put', id: actId, doc }];
      }
      case 'ActAuthorized': {
        const pending = await read.get<PendingActDoc>(PENDING_ACTS, actId);
        // Nothing staged: erased, or this authorization was already moved (a second delivery).
        if (!pending) return [];
        const doc: VerifiedActDoc = { ...pending, authorizedAt: String(event.data.authorizedAt), method: event.data.method as AuthorizationMethod };
        return [
          { collection: VERIFIED_ACTS, op: 'put', id: actId, doc },
          { collection: PENDING_ACTS, op: 'delete', id: actId },
        ];
      }
      case 'ActAuthorizationFailed':
        return [{ collection: PENDING_ACTS, op: 'delete', id: actId }];
      default:
        return [];
    }
  },
};
