import type { Projection } from './projection.ts';
import { failedAuthorizationsProjection } from './failed-authorizations.ts';
import { pendingActsProjection } from './pending-acts.ts';
import { retentionProjection } from './retention-snapshot.ts';
import { verificationIndexProjection } from './verification-index.ts';
import { culProjection } from './cul.ts';
import { failedAttemptsProjection } from './failed-attempts.ts';
import { eventSequenceProjection } from './event-sequence.ts';
import { undeliveredCodesProjection } from './undelivered-codes.ts';
import { adminActivityProjection } from './admin-activity.ts';
import { adminChangesProjection } from './admin-changes.ts';
import { providerConformanceProjection } from './provider-conformance.ts';
import { providerApplicationsProjection } from './provider-applications.ts';
import { logTreeProjection } from './log-tree.ts';

/**
 * Every read model the ledger keeps. The projection runner feeds each of them every event; add a
 * projection here and it is built from the whole history at the next start. The event sequence
 * numbers the log densely (lag counts, retention records); the log tree hashes it (audit).
 */
export const projections: Projection[] = [
  eventSequenceProjection,
  failedAuthorizationsProjection,
  pendingActsProjection,
  retentionProjection,
  verificationIndexProjection,
  culProjection,
  failedAttemptsProjection,
  undeliveredCodesProjection,
  adminActivityProjection,
  adminChangesProjection,
  providerConformanceProjection,
  providerApplicationsProjection,
  logTreeProjection,
];
