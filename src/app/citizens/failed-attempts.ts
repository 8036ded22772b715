import { streamNames } from '../../../events/envelope.ts';
import type { ActEvent, FailureReason } from '../../../events/act.ts';
import { actDecider } from '../../../commands/act.ts';
import { effectivePolicy } from '../../../commands/retention.ts';
import { FAILED_ATTEMPTS, type FailedAttemptDoc } from '../../../projections/failed-attempts.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';
import { handleCommand, type EventCodec } from '../command-handler.ts';
import type { RetentionStream } from '../retention/retention-stream.ts';

/** One failed attempt in the person's name, as they see it: never their AIFO. */
export interface FailedAttempt {
  actId: string;
  providerName: string;
  actName: string;
  reason: FailureReason;
  failedAt: string;
  /** When the retention in force lets the purge erase it. */
  retainedUntil: string;
  /** When the person reported it as not theirs; null until then. */
  reportedAt: string | null;
}

/** What a report answers: when it was recorded, and whether an earlier report already had been. */
export interface AttemptReport {
  actId: string;
  reportedAt: string;
  alreadyReported: boolean;
}

export interface FailedAttemptsDeps {
  readModels: ReadModelStore;
  retention: RetentionStream;
  store: EventStore;
  codec: EventCodec<ActEvent>;
  clock: () => Date;
  /** Resolves once the read models hold the log up to `position` (or gives up): a report is on the page after it. */
  waitForReadModels: (position: number, timeoutMs: number) => Promise<void>;
}

/** The newest attempts shown; retention keeps them few anyway. */
const MAX_ATTEMPTS = 200;

/** Who the log records as reporting: the act's own person, never named (their AIFO stays inside). */
const REPORTER = 'citizen';

/**
 * The portal's failed attempts: acts registered in the signed-in person's name that failed, while
 * retention keeps them, and their report that an attempt was not theirs (AuthorizationDisputed in
 * the act's stream, which admins see in the failed-authorizations list).
 */
export class FailedAttempts {
  constructor(private readonly deps: FailedAttemptsDeps) {}

  /** The person's failed attempts, newest first. */
  async of(aifo: string): Promise<FailedAttempt[]> {
    const [rows, { state }] = await Promise.all([
      this.deps.readModels.find<FailedAttemptDoc>(FAILED_ATTEMPTS, { where: { aifo }, sort: [{ field: 'failedAt', direction: 'desc' }], limit: MAX_ATTEMPTS }),
      this.deps.retention.current(),
    ]);
    const retentionMs = effectivePolicy(state, this.deps.retention.defaults).failedAuthorizationRetentionMs;
    return rows.map((row) => ({
      actId: row.actId,
      providerName: row.providerName,
      actName: row.actName,
      reason: row.reason,
      failedAt: row.failedAt,
      retainedUntil: new Date(Date.parse(row.failedAt) + retentionMs).toISOString(),
      reportedAt: row.reportedAt ?? null,
    }));
  }

  /**
   * Records that the attempt `actId` was not `aifo`'s doing. Refuses another person's act or one
   * already erased (not-found) and one that did not fail (act-not-failed); a second report answers
   * the first one's time.
   */
  async report(aifo: string, actId: string): Promise<AttemptReport> {
    const now = this.deps.clock().toISOString();
    const result = await handleCommand({
      store: this.deps.store,
      streamName: streamNames.act(actId),
      decider: actDecider,
      command: { type: 'DisputeAuthorization', aifo, now },
      context: { actor: REPORTER, now },
      codec: this.deps.codec,
    });
    if (result.position !== undefined) await this.deps.waitForReadModels(result.position, 2_000).catch(() => undefined);
    return { actId, reportedAt: result.state.reportedAt ?? now, alreadyReported: result.events.length === 0 };
  }
}
