import type { Projection } from './projection.ts';
import { failedAuthorizationsProjection } from './failed-authorizations.ts';
import { pendingActsProjection } from './pending-acts.ts';
import { retentionProjection } from './retention-snapshot.ts';
import { verificationIndexProjection } from './verification-index.ts';
import { culProjection } from './cul.ts';

/**
 * Every read model the ledger keeps. The projection runner feeds each of them every event; add a
 * projection here and it is built from the whole history at the next start.
 */
export const projections: Projection[] = [failedAuthorizationsProjection, pendingActsProjection, retentionProjection, verificationIndexProjection, culProjection];
