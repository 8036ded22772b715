import type { AuthorizationMethod } from '../events/act.ts';
import { stagedUntilAuthorized } from './opened-act.ts';

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
 * entry per successful authorization.
 */
export const culProjection = stagedUntilAuthorized<PendingEntryDoc, CulEntryDoc>({
  name: 'cul',
  version: 1,
  entries: { name: CUL_ENTRIES, indexes: ['aifo', 'actId', 'occurredAt'] },
  staging: PENDING_ENTRIES,
  stage: (actId, opened, event) => ({
    actId,
    aifo: opened.aifo,
    providerName: String(event.data.providerName),
    actName: opened.name,
    description: opened.description,
    documentHash: opened.documentHash,
  }),
  promote: (staged, authorized) => ({
    ...staged,
    logType: CUL_LOG_TYPE,
    method: authorized.data.method as AuthorizationMethod,
    occurredAt: String(authorized.data.authorizedAt),
  }),
});
