import type { Logger } from 'pino';
import { streamNames, type RecordedEvent } from '../../../events/envelope.ts';
import type { RetentionPolicy } from '../../../events/retention.ts';
import { effectivePolicy } from '../../../commands/retention.ts';
import type { EventStore, Subscription } from '../../ports/event-store.ts';
import { JobBackendUnavailableError, JobSchedulerClosedError, type JobScheduler } from '../../ports/job-scheduler.ts';
import type { ActExpirySweep } from '../acts/act-expiry-sweep.ts';
import type { RetentionPurge } from './retention-purge.ts';
import type { RetentionStream } from './retention-stream.ts';

export const PURGE_JOB = 'retention-purge';
export const EXPIRY_JOB = 'act-expiry';

/** `applied`: the backend holds the new interval; `pending`: it did not answer, and takes it once it does. */
export type RescheduleOutcome = 'applied' | 'pending';

export interface BackgroundJobsDeps {
  jobs: JobScheduler;
  eventStore: EventStore;
  stream: RetentionStream;
  purge: RetentionPurge;
  expiry: ActExpirySweep;
  expiryEveryMs: number;
  /** Resolves once the read models reflect `position`; rejects after `timeoutMs`. */
  waitForReadModels: (position: number, timeoutMs: number) => Promise<void>;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/**
 * The ledger's repeating jobs: the retention purge and the expiry sweep. The purge repeats at the
 * interval the `retention` stream holds, in every process: each one schedules it at start and
 * follows policy changes from the log, whichever process recorded them (with BullMQ the interval
 * lives in Redis and the last writer sets it; with timers each process must hear of it).
 */
export class BackgroundJobs {
  private watcher: Subscription | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: BackgroundJobsDeps) {}

  /** Schedules both jobs with the policy in force (not the configured default), then follows changes. */
  async start(): Promise<void> {
    const { eventStore, stream, waitForReadModels } = this.deps;
    const head = await eventStore.headPosition();
    // The retention snapshot is a read model: trust it once it has caught up, else fold the stream.
    const known = await waitForReadModels(head, 5_000).then(
      () => stream.current(),
      () => stream.replayed(),
    );
    await this.applyPolicy(effectivePolicy(known.state, stream.defaults));
    await this.scheduleQuietly(EXPIRY_JOB, this.deps.expiryEveryMs, ({ runId }) => this.deps.expiry.run(runId));
    this.watch(head);
  }

  /** Puts the purge on the policy's interval; a new interval runs it at once. */
  async applyPolicy(policy: RetentionPolicy): Promise<RescheduleOutcome> {
    return this.scheduleQuietly(PURGE_JOB, policy.purgeEveryMs, ({ runId }) => this.deps.purge.run(runId));
  }

  /** Starts a purge now without waiting for it (a shorter retention takes effect at once). */
  purgeSoon(): void {
    this.deps.jobs.runNow(PURGE_JOB).catch((error: unknown) => {
      if (!(error instanceof JobSchedulerClosedError)) this.deps.logger?.warn({ err: error }, 'retention purge requested now did not run; the schedule runs it');
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.watcher?.close();
  }

  private async scheduleQuietly(name: string, everyMs: number, run: Parameters<JobScheduler['schedule']>[2]): Promise<RescheduleOutcome> {
    try {
      await this.deps.jobs.schedule(name, everyMs, run);
      return 'applied';
    } catch (error) {
      if (!(error instanceof JobBackendUnavailableError)) throw error;
      this.deps.logger?.warn({ job: name, everyMs, reason: error.reason }, 'job backend unavailable; the schedule is applied when it answers');
      return 'pending';
    }
  }

  /** Follows RetentionPolicyChanged events appended after `after`, by any process. */
  private watch(after: number): void {
    if (this.closed) return;
    let seen = after;
    this.watcher = this.deps.eventStore.subscribeToAll(
      {
        after,
        onError: (error) => {
          this.deps.logger?.error({ err: error }, 'retention policy watch failed; watching again');
          this.watcher = undefined;
          this.retryTimer = setTimeout(() => this.watch(seen), 1_000);
        },
      },
      async (event: RecordedEvent) => {
        seen = event.position;
        if (event.streamName !== streamNames.retention || event.type !== 'RetentionPolicyChanged' || this.closed) return;
        const policy = (event.data as { new: RetentionPolicy }).new;
        try {
          await this.applyPolicy(policy);
        } catch (error) {
          if (!(error instanceof JobSchedulerClosedError)) this.deps.logger?.error({ err: error }, 'could not reschedule the retention purge');
        }
      },
    );
  }
}
