import type { AuthorizationMethod } from '../events/act.ts';
import { stagedUntilAuthorized } from './opened-act.ts';

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
 * documentHash -> the acts authorized for it (SPEC section 2, step 7). Nothing identifies the citizen.
 */
export const verificationIndexProjection = stagedUntilAuthorized<PendingActDoc, VerifiedActDoc>({
  name: 'verification-index',
  version: 1,
  entries: { name: VERIFIED_ACTS, indexes: ['documentHash', 'actId', 'authorizedAt'] },
  staging: PENDING_ACTS,
  stage: (actId, opened, event) => ({
    actId,
    documentHash: opened.documentHash,
    name: opened.name,
    description: opened.description,
    providerName: String(event.data.providerName),
  }),
  promote: (staged, authorized) => ({ ...staged, authorizedAt: String(authorized.data.authorizedAt), method: authorized.data.method as AuthorizationMethod }),
});
