import type { Logger } from 'pino';
import { effectivePolicy, type PurgeCandidate } from '../../../commands/retention.ts';
import type { Projection } from '../../../projections/projection.ts';
import { FAILED_AUTHORIZATIONS, type FailedAuthorizationDoc } from '../../../projections/failed-authorizations.ts';
import { formatDuration } from '../../duration.ts';
import type { KeyVault } from '../../ports/key-vault.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';
import { uuidFromName } from '../ids.ts';
import { EventSequence } from '../projecting/event-sequence.ts';
import type { RetentionKnown, RetentionStream } from './retention-stream.ts';

/** What one purge run did; figures a job reports travel as JSON. */
export type PurgeReport = {
  runId: string;
  retention: string;
  cutoff: string;
  /** Acts this run recorded in a RetentionPurgeExecuted event. */
  recordedActs: number;
  /** Acts whose keys and rows this run removed (a run finishing one cut off mid-way erases acts recorded before). */
  erasedActs: number;
  keysDestroyed: number;
  readModelRows: Record<string, number>;
  batches: number;
  ms: number;
};

/** What a purge would erase now (`ledger purge --dry-run`). */
export interface PurgePlan {
  retention: string;
  cutoff: string;
  count: number;
  actIds: string[];
  byReason: Record<string, number>;
  /** More acts are due than were looked at. */
  truncated: boolean;
}

export interface RetentionPurgeDeps {
  stream: RetentionStream;
  readModels: ReadModelStore;
  keyVault: KeyVault;
  /** Every registered projection: an act's rows go from each collection that indexes `actId`. */
  projections: readonly Projection[];
  batchSize: number;
  clock: () => Date;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Resolves once the read models hold what the log held when it was called (or it stops waiting). */
  caughtUp?: () => Promise<void>;
}

/**
 * Erases failed authorizations older than the retention: destroys each act's data key (its events
 * stay byte for byte, unreadable), records the acts in the `retention` stream, then deletes their
 * read-model rows. Acts go in the order of their failure in the log, a batch at a time, each batch
 * its own append, so a long purge never holds the store.
 *
 * Safe to repeat and to run twice at once: the decider records only acts above the highest
 * sequence recorded so far, and the failed-authorizations row, deleted last, keeps an act findable
 * until it is both recorded and erased. A run cut off anywhere is finished by the next one.
 */
export class RetentionPurge {
  private readonly collections: string[];
  private readonly sequence: EventSequence;

  constructor(private readonly deps: RetentionPurgeDeps) {
    this.sequence = new EventSequence(deps.readModels);
    const indexingActs = deps.projections.flatMap((p) => p.collections).filter((c) => c.indexes.includes('actId')).map((c) => c.name);
    // The failed-authorizations row is how a purge finds an act: it goes last.
    this.collections = [...indexingActs.filter((c) => c !== FAILED_AUTHORIZATIONS), FAILED_AUTHORIZATIONS];
  }

  /**
   * Runs the purge once; `runId` (the job's) makes what it records repeatable. `actor`: who asked
   * for it (an admin's manual run records `admin:<adminId>`; the schedule is `system:retention`).
   */
  async run(runId: string, actor = 'system:retention'): Promise<PurgeReport> {
    const started = performance.now();
    // The policy and the failed acts come from read models: a policy changed a moment ago applies.
    await this.deps.caughtUp?.();
    let known: RetentionKnown = await this.deps.stream.current();
    const policy = effectivePolicy(known.state, this.deps.stream.defaults);
    const now = this.deps.clock();
    const cutoff = new Date(now.getTime() - policy.failedAuthorizationRetentionMs).toISOString();
    const report: PurgeReport = {
      runId,
      retention: formatDuration(policy.failedAuthorizationRetentionMs),
      cutoff,
      recordedActs: 0,
      erasedActs: 0,
      keysDestroyed: 0,
      readModelRows: {},
      batches: 0,
      ms: 0,
    };
    let previous = new Set<string>();
    for (;;) {
      const { due, last: lastDue } = await this.dueBatch(cutoff, this.deps.batchSize);
      const { candidates, unsequenced } = await this.sequenced(due.filter((row) => !previous.has(row.actId)));
      const last = lastDue || unsequenced;
      const batch = candidates.map((c) => c.row);
      // Rows still there after their deletion would loop forever; the next run tries them again.
      if (batch.length === 0) break;
      const actIds = batch.map((row) => row.actId);
      report.keysDestroyed += await this.deps.keyVault.destroy(actIds);
      const decision = await this.deps.stream.decide(
        { type: 'RecordPurge', runId, acts: candidates.map((c) => c.candidate), retentionMs: policy.failedAuthorizationRetentionMs, cutoff, now: this.deps.clock().toISOString() },
        {
          actor,
          correlationId: uuidFromName(`retention-purge:${runId}`),
          eventId: (event) => uuidFromName(`retention-purge:${runId}:${event.type === 'RetentionPurgeExecuted' ? `${event.data.fromSequence}-${event.data.throughSequence}` : ''}`),
        },
        known,
      );
      known = decision.known;
      for (const e of decision.events) if (e.type === 'RetentionPurgeExecuted') report.recordedActs += e.data.purgedActIds.length;
      await this.deleteRows(actIds, report.readModelRows);
      previous = new Set(actIds);
      report.erasedActs += actIds.length;
      report.batches += 1;
      if (last) break;
      // Let requests in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    report.ms = Math.round(performance.now() - started);
    if (report.erasedActs > 0) this.deps.logger?.info({ ...report }, 'failed authorizations erased after retention');
    return report;
  }

  /** What a run would erase now, looking at most at `limit` acts; changes nothing. */
  async plan(limit = 10_000): Promise<PurgePlan> {
    const { state } = await this.deps.stream.current();
    const policy = effectivePolicy(state, this.deps.stream.defaults);
    const cutoff = new Date(this.deps.clock().getTime() - policy.failedAuthorizationRetentionMs).toISOString();
    const { due } = await this.dueBatch(cutoff, limit + 1);
    const shown = due.slice(0, limit);
    const byReason: Record<string, number> = {};
    for (const row of shown) byReason[row.reason] = (byReason[row.reason] ?? 0) + 1;
    return {
      retention: formatDuration(policy.failedAuthorizationRetentionMs),
      cutoff,
      count: shown.length,
      actIds: shown.map((row) => row.actId),
      byReason,
      truncated: due.length > limit,
    };
  }

  /**
   * The oldest failures in log order, up to the first one still within the retention. `last`: no
   * further batch can be due now (failure times follow log order, give or take clock skew between
   * processes, which only delays an erasure by that skew).
   */
  private async dueBatch(cutoff: string, limit: number): Promise<{ due: FailedAuthorizationDoc[]; last: boolean }> {
    const rows = await this.deps.readModels.find<FailedAuthorizationDoc>(FAILED_AUTHORIZATIONS, { sort: [{ field: 'logPosition' }], limit });
    const cut = Date.parse(cutoff);
    const firstYoung = rows.findIndex((row) => !(Date.parse(row.failedAt) <= cut));
    const due = firstYoung < 0 ? rows : rows.slice(0, firstYoung);
    return { due, last: firstYoung >= 0 || rows.length < limit };
  }

  /**
   * The due rows with the sequence of their failure event, which a purge record names (positions
   * are cursors, never stored in events). The event sequence is written in the same batches as the
   * rows, so a row without one is rare (the sequence being rebuilt): it and every row after it in
   * log order wait for the next run.
   */
  private async sequenced(rows: FailedAuthorizationDoc[]): Promise<{ candidates: Array<{ row: FailedAuthorizationDoc; candidate: PurgeCandidate }>; unsequenced: boolean }> {
    const sequences = await Promise.all(rows.map((row) => this.sequence.sequenceOf(row.logPosition)));
    const firstMissing = sequences.findIndex((s) => s === undefined);
    const known = firstMissing < 0 ? rows.length : firstMissing;
    if (firstMissing >= 0) this.deps.logger?.warn({ waiting: rows.length - known }, 'failed acts not sequenced yet; the next purge run takes them');
    const candidates = rows.slice(0, known).map((row, i) => ({ row, candidate: { actId: row.actId, sequence: sequences[i]!, reason: row.reason } }));
    return { candidates, unsequenced: firstMissing >= 0 };
  }

  /** Every other collection first, in one go (one commit on SQLite), then the rows the purge finds acts by. */
  private async deleteRows(actIds: string[], counts: Record<string, number>): Promise<void> {
    const deleteFrom = async (collections: readonly string[]) => {
      const deleted = await Promise.all(collections.map((c) => Promise.all(actIds.map((actId) => this.deps.readModels.deleteWhere(c, { actId })))));
      collections.forEach((c, i) => (counts[c] = (counts[c] ?? 0) + deleted[i]!.reduce((a, b) => a + b, 0)));
    };
    await deleteFrom(this.collections.slice(0, -1));
    await deleteFrom(this.collections.slice(-1));
  }
}
