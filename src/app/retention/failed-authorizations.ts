import { effectivePolicy } from '../../../commands/retention.ts';
import { FAILED_AUTHORIZATIONS, type FailedAuthorizationDoc } from '../../../projections/failed-authorizations.ts';
import { formatDuration } from '../../duration.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';
import type { RetentionStream } from './retention-stream.ts';

export interface FailedAuthorizationView {
  actId: string;
  providerId: string;
  reason: string;
  failedAt: string;
  /** When the retention in force lets the purge erase it (it runs every purgeEvery after that). */
  retainedUntil: string;
}

export interface FailedAuthorizationList {
  retention: string;
  failedAuthorizations: FailedAuthorizationView[];
}

/** The newest failed authorizations first, from the read model the purge erases them from. */
export async function listFailedAuthorizations(
  readModels: ReadModelStore,
  retention: RetentionStream,
  filter: { providerId?: string; reason?: string },
  limit: number,
): Promise<FailedAuthorizationList> {
  const where = { ...(filter.providerId ? { providerId: filter.providerId } : {}), ...(filter.reason ? { reason: filter.reason } : {}) };
  const [rows, { state }] = await Promise.all([
    readModels.find<FailedAuthorizationDoc>(FAILED_AUTHORIZATIONS, { where, sort: [{ field: 'failedAt', direction: 'desc' }], limit }),
    retention.current(),
  ]);
  const retentionMs = effectivePolicy(state, retention.defaults).failedAuthorizationRetentionMs;
  return {
    retention: formatDuration(retentionMs),
    failedAuthorizations: rows.map((row) => ({
      actId: row.actId,
      providerId: row.providerId,
      reason: row.reason,
      failedAt: row.failedAt,
      retainedUntil: new Date(Date.parse(row.failedAt) + retentionMs).toISOString(),
    })),
  };
}
