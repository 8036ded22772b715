import type { AuthorizationMethod } from '../../../events/act.ts';
import { VERIFIED_ACTS, type VerifiedActDoc } from '../../../projections/verification-index.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';

/** One authorized act for a document, as anyone may see it: nothing identifies the citizen. */
export interface VerifiedAct {
  actId: string;
  name: string;
  description: string;
  providerName: string;
  authorizedAt: string;
  method: AuthorizationMethod;
}

export interface VerificationVerdict {
  documentHash: string;
  authorized: boolean;
  /** Oldest first. */
  acts: VerifiedAct[];
}

/** More acts than any real document has; bounds the answer. */
const MAX_ACTS = 100;

/** The public verification (SPEC section 2, step 7): is this document recorded as authorized? */
export class PublicVerification {
  constructor(private readonly readModels: ReadModelStore) {}

  /** `documentHash` is lowercase hex SHA-256. */
  async lookup(documentHash: string): Promise<VerificationVerdict> {
    const docs = await this.readModels.find<VerifiedActDoc>(VERIFIED_ACTS, {
      where: { documentHash },
      sort: [{ field: 'authorizedAt', direction: 'asc' }],
      limit: MAX_ACTS,
    });
    const acts = docs.map(({ actId, name, description, providerName, authorizedAt, method }) => ({ actId, name, description, providerName, authorizedAt, method }));
    return { documentHash, authorized: acts.length > 0, acts };
  }
}
