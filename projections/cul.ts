import { streamId, type RecordedEvent } from '../events/envelope.ts';
import type { AuthorizationMethod } from '../events/act.ts';
import type { Change, Projection, ReadView } from './projection.ts';
import { openedFields } from './opened-act.ts';

export const CUL_LOG_TYPE = 'digital-act-authorization';

/** One entry of a citizen's log (CUL): a successful authorization of one act. */
export interface CulEntryDoc {
  actId: string;
  /** Whose log it is; never shown, used to find the citizen's entries. */
  aifo: string;
  logType: typeof CUL_LOG_TYPE;
  providerName: string;
  actName: string;
  description: string;
  documentHash: string;
  method: AuthorizationMethod;
  occurredAt: string;
}

/** A pending act's fields that its CUL entry will need once it is authorized. */
interface PendingEntryDoc {
  actId: string;
  aifo: string;
  providerName: string;
  actName: string;
  description: string;
  documentHash: string;
}

export const CUL_ENTRIES = 'cul_entries';
const PENDING_ENTRIES = 'cul_pending';

/**
 * The central log store's view (SPEC section 2, step 8): per AIFO, one `digital-act-authorization`
 * entry per successful authorization. Same staging as the verification index: the AIFO and the act's
 * naming are sealed in ActRegistered and wait for the act's outcome; an erased one stages nothing.
 */
export const culProjection: Projection = {
  name: 'cul',
  version: 1,
  collections: [
    { name: CUL_ENTRIES, indexes: ['aifo', 'actId', 'occurredAt'] },
    { name: PENDING_ENTRIES, indexes: ['actId'] },
  ],
  handles: ['ActRegistered', 'ActAuthorized', 'ActAuthorizationFailed'],
  async project(event: RecordedEvent, read: ReadView): Promise<Change[]> {
    const actId = streamId(event.streamName, 'act');
    if (!actId) return [];
    switch (event.type) {
      case 'ActRegistered': {
        const sealed = openedFields(event);
        if (!sealed) return [];
        const doc: PendingEntryDoc = {
          actId,
          aifo: sealed.aifo,
          providerName: String(event.data.providerName),
          actName: sealed.name,
          description: sealed.description,
          documentHash: sealed.documentHash,
        };
        return [{ collection: PENDING_ENTRIES, op: 'put', id: actId, doc }];
      }
      case 'ActAuthorized': {
        const pending = await read.get<PendingEntryDoc>(PENDING_ENTRIES, actId);
        if (!pending) return [];
        const doc: CulEntryDoc = { ...pending, logType: CUL_LOG_TYPE, method: event.data.method as AuthorizationMethod, occurredAt: String(event.data.authorizedAt) };
        return [
          { collection: CUL_ENTRIES, op: 'put', id: actId, doc },
          { collection: PENDING_ENTRIES, op: 'delete', id: actId },
        ];
      }
      case 'ActAuthorizationFailed':
        return [{ collection: PENDING_ENTRIES, op: 'delete', id: actId }];
      default:
        return [];
    }
  },
};
