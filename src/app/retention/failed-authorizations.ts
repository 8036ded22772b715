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

/** What admins see of one: also when the act's person reported it as not theirs (null while nobody has). */
export interface ReportedFailedAuthorizationView extends FailedAuthorizationView {
  reportedAt: string | null;
}

export interface FailedAuthorizationList<View extends FailedAuthorizationView = FailedAuthorizationView> {
  retention: string;
  failedAuthorizations: View[];
}

export interface FailedAuthorizationFilter {
  providerId?: string;
  reason?: string;
  /** Admins only: just the ones their person reported (true), or just the others (false). */
  disputed?: boolean;
}

/** The failed authorizations kept until the retention erases them, as admins and providers list them. */
export class FailedAuthorizations {
  constructor(
    private readonly readModels: ReadModelStore,
    private readonly retention: RetentionStream,
  ) {}

  /** The newest first, from the read model the purge erases them from, with when each will be erased. */
  async list(filter: Omit<FailedAuthorizationFilter, 'disputed'>, limit: number): Promise<FailedAuthorizationList> {
    const { retention, rows } = await this.rows(filter, limit);
    return { retention, failedAuthorizations: rows.map(({ view }) => view) };
  }

  /** The same with the persons' "this was not me" reports: for admins, who follow them up (a provider is not told). */
  async listWithReports(filter: FailedAuthorizationFilter, limit: number): Promise<FailedAuthorizationList<ReportedFailedAuthorizationView>> {
    const { retention, rows } = await this.rows(filter, limit);
    return { retention, failedAuthorizations: rows.map(({ view, row }) => ({ ...view, reportedAt: row.reportedAt ?? null })) };
  }

  private async rows(filter: FailedAuthorizationFilter, limit: number) {
    const where = {
      ...(filter.providerId ? { providerId: filter.providerId } : {}),
      ...(filter.reason ? { reason: filter.reason } : {}),
      ...(filter.disputed !== undefined ? { disputed: filter.disputed } : {}),
    };
    const [rows, { state }] = await Promise.all([
      this.readModels.find<FailedAuthorizationDoc>(FAILED_AUTHORIZATIONS, { where, sort: [{ field: 'failedAt', direction: 'desc' }], limit }),
      this.retention.current(),
    ]);
    const retentionMs = effectivePolicy(state, this.retention.defaults).failedAuthorizationRetentionMs;
    return {
      retention: formatDuration(retentionMs),
      rows: rows.map((row) => ({
        row,
        view: {
          actId: row.actId,
          providerId: row.providerId,
          // The projection keeps the failure event's reason as it was: one of FAILURE_REASONS.
          reason: row.reason as FailureReason,
          failedAt: row.failedAt,
          retainedUntil: new Date(Date.parse(row.failedAt) + retentionMs).toISOString(),
        } satisfies FailedAuthorizationView,
      })),
    };
  }
}
