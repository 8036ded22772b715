import type { Logger } from 'pino';
import type { LedgerConfig } from '../config.ts';
import { InProcessJobScheduler } from '../adapters/inprocess/job-scheduler.ts';
import { BullmqJobScheduler } from '../adapters/bullmq/job-scheduler.ts';
import type { EventStore } from '../ports/event-store.ts';
import type { JobScheduler } from '../ports/job-scheduler.ts';
import type { KeyVault } from '../ports/key-vault.ts';
import type { ReadModelStore } from '../ports/read-model-store.ts';
import type { ActService } from '../app/acts/act-service.ts';
import { ActExpirySweep } from '../app/acts/act-expiry-sweep.ts';
import type { Projector } from '../app/projecting/projection-runner.ts';
import { RetentionStream } from '../app/retention/retention-stream.ts';
import { RetentionPurge } from '../app/retention/retention-purge.ts';
import { BackgroundJobs } from '../app/retention/background-jobs.ts';
import type { LedgerServices, ReadinessCheck } from '../app/services.ts';
import { projections } from '../../projections/index.ts';

/** LEDGER_JOBS: timers in this process (embedded), or BullMQ on REDIS_URL, shared by every process, with a readiness check. */
export function buildJobScheduler(config: LedgerConfig, logger: Logger): { jobs: JobScheduler; jobsReadiness: Record<string, () => Promise<ReadinessCheck>> } {
  const jobLogger = logger.child({ component: 'jobs' });
  if (config.jobs === 'bullmq') {
    // A process with LEDGER_PROJECTIONS=off only sets schedules; the workers run the jobs.
    const jobs = new BullmqJobScheduler({ redisUrl: config.redisUrl, logger: jobLogger, runJobs: config.projections });
    return { jobs, jobsReadiness: { redis: () => jobs.ping() } };
  }
  return { jobs: new InProcessJobScheduler({ logger: jobLogger }), jobsReadiness: {} };
}

/** The retention stream, the purge and the expiry sweep, and the jobs that repeat them. */
export function buildRetention(
  config: LedgerConfig,
  deps: { eventStore: EventStore; readModels: ReadModelStore; keyVault: KeyVault; acts: ActService; jobs: JobScheduler; projectionRunner: Projector; clock: () => Date; logger: Logger },
): Pick<LedgerServices, 'retention' | 'retentionPurge' | 'actExpiry' | 'backgroundJobs'> {
  const { eventStore, readModels, keyVault, acts, jobs, projectionRunner, clock } = deps;
  const logger = deps.logger.child({ component: 'retention' });
  const { failedAuthorizationRetentionMs, purgeEveryMs, purgeBatchSize } = config.retention;
  const retention = new RetentionStream({ eventStore, readModels, defaults: { failedAuthorizationRetentionMs, purgeEveryMs } });
  const waitForReadModels = (position: number, timeoutMs: number) => projectionRunner.waitFor(position, timeoutMs);
  // A job reads read models: it starts from what the log holds now (a policy just changed, an act just
  // failed), waiting a little for the projections; past that it works from what they have.
  const caughtUp = async () => {
    await waitForReadModels(await eventStore.headPosition(), 5_000).catch(() => undefined);
  };
  const retentionPurge = new RetentionPurge({ stream: retention, readModels, keyVault, projections, batchSize: purgeBatchSize, clock, logger, caughtUp });
  const actExpiry = new ActExpirySweep({ readModels, acts, clock, logger, caughtUp });
  const backgroundJobs = new BackgroundJobs({ jobs, eventStore, stream: retention, purge: retentionPurge, expiry: actExpiry, expiryEveryMs: config.expirySweepEveryMs, waitForReadModels, logger });
  return { retention, retentionPurge, actExpiry, backgroundJobs };
}
