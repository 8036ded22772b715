import type { Logger } from 'pino';
import { PENDING_ACTS, type PendingActDoc } from '../../../projections/pending-acts.ts';
import { UNDELIVERED_CODES, type UndeliveredCodeDoc } from '../../../projections/undelivered-codes.ts';
import type { ReadModelStore } from '../../ports/read-model-store.ts';
import type { ActService } from './act-service.ts';

export type ExpiryReport = { runId: string; expiredActs: number; undeliveredCodes: number; failures: number; batches: number; ms: number };

export interface ActExpiryDeps {
  readModels: ReadModelStore;
  acts: Pick<ActService, 'expire' | 'settleUndelivered'>;
  /** Resolves once the read models reflect the log's head (or gives up): the next batch then sees the acts just failed gone. */
  caughtUp: () => Promise<void>;
  clock: () => Date;
  batchSize?: number;
  /** Acts expired at once: their appends share a commit. */
  concurrency?: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Fails pending acts past their lifetime as `expired`, oldest first, a batch at a time. Acts are
 * also failed lazily when a provider next touches them; the sweep makes it happen without one, so
 * the failure is recorded (and its retention starts) on time. The decider's ExpireAct is
 * idempotent: an act authorized meanwhile, or expired twice, records nothing more.
 *
 * It then records codes whose delivery is still pending past their expiry as not delivered: their
 * task was lost (a crash between the code's event and the queue, where the two do not share a
 * transaction), and nothing else would ever settle them.
 */
export class ActExpirySweep {
  private readonly batchSize: number;
  private readonly concurrency: number;

  constructor(private readonly deps: ActExpiryDeps) {
    this.batchSize = deps.batchSize ?? 500;
    this.concurrency = deps.concurrency ?? 32;
  }

  async run(runId: string): Promise<ExpiryReport> {
    const started = performance.now();
    const now = this.deps.clock().getTime();
    const report: ExpiryReport = { runId, expiredActs: 0, undeliveredCodes: 0, failures: 0, batches: 0, ms: 0 };
    const tried = new Set<string>();
    for (;;) {
      const rows = await this.deps.readModels.find<PendingActDoc>(PENDING_ACTS, { sort: [{ field: 'expiresAt' }], limit: this.batchSize });
      const due = rows.filter((row) => Date.parse(row.expiresAt) <= now && !tried.has(row.actId));
      if (due.length === 0) break;
      for (let i = 0; i < due.length; i += this.concurrency) {
        const outcomes = await Promise.allSettled(due.slice(i, i + this.concurrency).map((row) => this.deps.acts.expire(row.actId)));
        for (const [j, outcome] of outcomes.entries()) {
          tried.add(due[i + j]!.actId);
          if (outcome.status === 'fulfilled') {
            if (outcome.value.failure?.reason === 'expired') report.expiredActs += 1;
          } else {
            report.failures += 1;
            this.deps.logger?.warn({ err: outcome.reason, actId: due[i + j]!.actId }, 'a pending act could not be expired; the next sweep tries again');
          }
        }
      }
      report.batches += 1;
      if (rows.length < this.batchSize || due.length < rows.length) break;
      await this.deps.caughtUp();
    }
    await this.settleUndelivered(now, report);
    report.ms = Math.round(performance.now() - started);
    if (report.expiredActs > 0 || report.undeliveredCodes > 0) this.deps.logger?.info({ ...report }, 'pending acts expired');
    return report;
  }

  /** The codes past expiry still pending delivery, a batch of acts at a time, like the acts above. */
  private async settleUndelivered(now: number, report: ExpiryReport): Promise<void> {
    const tried = new Set<string>();
    for (;;) {
      const rows = await this.deps.readModels.find<UndeliveredCodeDoc>(UNDELIVERED_CODES, { sort: [{ field: 'expiresAt' }], limit: this.batchSize });
      const due = [...new Set(rows.filter((row) => Date.parse(row.expiresAt) <= now && !tried.has(row.actId)).map((row) => row.actId))];
      if (due.length === 0) break;
      for (let i = 0; i < due.length; i += this.concurrency) {
        const batch = due.slice(i, i + this.concurrency);
        const outcomes = await Promise.allSettled(batch.map((actId) => this.deps.acts.settleUndelivered(actId)));
        for (const [j, outcome] of outcomes.entries()) {
          tried.add(batch[j]!);
          if (outcome.status === 'fulfilled') report.undeliveredCodes += outcome.value;
          else {
            report.failures += 1;
            this.deps.logger?.warn({ err: outcome.reason, actId: batch[j]! }, 'undelivered codes of an act could not be recorded; the next sweep tries again');
          }
        }
      }
      report.batches += 1;
      if (rows.length < this.batchSize || rows.some((row) => Date.parse(row.expiresAt) > now)) break;
      await this.deps.caughtUp();
    }
  }
}
