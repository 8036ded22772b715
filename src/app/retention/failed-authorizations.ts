import { effectivePolicy } from '../../../commands/retention.ts';
import { FAILED_AUTHORIZATIONS, type FailedAuthorizationDoc } from '../../../projections/failed-authorizations.ts';
import type { FailureReason } from '../../../events/act.ts';
import { formatDuration } from '../../duration.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';
import type { RetentionStream } from './retention-stream.ts';

export interface FailedAuthorizationView {
  actId: string;
  providerId: string;
  reason: FailureReason;
  failedAt: string;
  /** When the retention in force lets the purge erase it (it runs every purgeEvery after that). */
  retainedUntil: string;
}

export interface FailedAuthorizationList {
  retention: string;
  failedAuthorizations: FailedAuthorizationView[];
}

/** The failed authorizations kept until the retention erases them, as admins and providers list them. */
export class FailedAuthorizations {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly retention: RetentionStream,
  ) {}

  /** The newest first, from the read model the purge erases them from, with when each will be erased. */
  async list(filter: { providerId?: string; reason?: string }, limit: number): Promise<FailedAuthorizationList> {
    const where = { ...(filter.providerId ? { providerId: filter.providerId } : {}), ...(filter.reason ? { reason: filter.reason } : {}) };
    const [rows, { state }] = await Promise.all([
      this.readModels.find<FailedAuthorizationDoc>(FAILED_AUTHORIZATIONS, { where, sort: [{ field: 'failedAt', direction: 'desc' }], limit }),
      this.retention.current(),
    ]);
    const retentionMs = effectivePolicy(state, this.retention.defaults).failedAuthorizationRetentionMs;
    return {
      retention: formatDuration(retentionMs),
      failedAuthorizations: rows.map((row) => ({
        actId: row.actId,
        providerId: row.providerId,
        // The projection keeps the failure event's reason as it was: one of FAILURE_REASONS.
        reason: row.reason as FailureReason,
        failedAt: row.failedAt,
        retainedUntil: new Date(Date.parse(row.failedAt) + retentionMs).toISOString(),
      })),
    };
  }
}
