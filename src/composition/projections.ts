import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { LedgerConfig } from '../config.ts';
import { leaveCheckpointsToAnotherThread, openSqlite } from '../adapters/sqlite/database.ts';
import { SqliteProjectionLease } from '../adapters/sqlite/projection-lease.ts';
import { RedisProjectionLease } from '../adapters/redis/projection-lease.ts';
import { MongoProjectionLease } from '../adapters/mongodb/projection-lease.ts';
import type { ReadModelStore } from '../ports/read-model-store.ts';
import type { ProjectionLease } from '../ports/projection-lease.ts';
import type { JobScheduler } from '../ports/job-scheduler.ts';
import type { ReadinessCheck } from '../app/services.ts';
import { ProjectionRunner, type Projector } from '../app/projecting/projection-runner.ts';
import { ProjectionThread } from '../app/projecting/projection-thread.ts';
import { FencedReadModels } from '../app/projecting/fenced-read-models.ts';
import { LeasedProjections, type ProjectionRole } from '../app/projecting/leased-projections.ts';
import { OnDutyJobScheduler } from '../app/projecting/on-duty-jobs.ts';
import type { ActCodec } from '../app/acts/act-sealing.ts';
import { projections } from '../../projections/index.ts';
import { buildReadModels, ledgerFiles, openReadModelFiles, type Closers, type Stores } from './stores.ts';

/** Where the projection thread starts (it builds its own adapters with the functions of stores.ts). */
const PROJECTION_THREAD_ENTRY = new URL('./projection-thread-boot.mjs', import.meta.url);

/** The one lease every process sharing a store competes for. */
export const PROJECTION_LEASE = 'projections';

/**
 * Lease timing: the holder renews every 3 s and a standby tries every 2 s, so a holder that dies is
 * replaced within about 12 s (at once on SQLite when it died on this machine).
 */
export const LEASE_TIMING = { ttlMs: 10_000, renewEveryMs: 3_000, retryEveryMs: 2_000 };

export interface BuiltProjections {
  readModels: ReadModelStore;
  /** Keeps the read models while this process holds the lease; reads the shared checkpoints otherwise. */
  projectionRunner: Projector;
  /** This process's part: holder, standby or off, with the holding's fencing token. */
  projectionRole: () => { role: ProjectionRole; fencingToken?: number };
  projectionsReadiness: () => Promise<ReadinessCheck>;
  /** The in-process jobs run only on the lease holder: wraps the scheduler so (BullMQ shares its jobs by itself). */
  onDuty: (jobs: JobScheduler) => Promise<JobScheduler>;
}

/**
 * The read models and what keeps them. Where LEDGER_PROJECTIONS is on, the process competes for
 * the projection lease and, while it holds it, keeps them: on the embedded default on files with a
 * projection thread writing the read models' own file, otherwise with a runner on this thread (the
 * ledger's SQLite in memory, or MongoDB). Every write carries the holding's fencing token. Handlers
 * see act events unsealed.
 */
export async function buildProjections(
  config: LedgerConfig,
  deps: { stores: Stores; inMemory: boolean; codec: ActCodec; logger: Logger },
  closers: Closers,
): Promise<BuiltProjections> {
  const { stores, codec } = deps;
  const logger = deps.logger.child({ component: 'projections' });
  const embedded = !deps.inMemory && config.readModels.kind === 'sqlite' ? stores.embeddedEvents : undefined;
  let readModels: ReadModelStore;
  let projector: ConstructorParameters<typeof LeasedProjections>[0]['projector'];
  if (embedded) {
    const files = ledgerFiles(config.dataDir);
    // This connection answers the queries (the projection thread writes on its own): its cache is sized by the config.
    const opened = openReadModelFiles(files.readModels, { cacheMiB: config.readModelCacheMiB, forQueries: true });
    const readModelDbs = opened.dbs;
    for (const p of opened.preloaded) logger.info(p, 'read-model index preloaded');
    readModels = opened.readModels;
    closers.push(() => {
      for (const db of readModelDbs) db.close();
    });
    // The projection thread (of whichever process holds the lease) checkpoints every file; commits here never stop to do it.
    for (const db of [stores.db, ...readModelDbs]) leaveCheckpointsToAnotherThread(db);
    closers.push(() => readModels.close());
    projector = (fence, fencedOff) =>
      new ProjectionThread({
        entry: PROJECTION_THREAD_ENTRY,
        data: { eventFile: files.events, readModelFiles: files.readModels, logLevel: config.logLevel, fence },
        eventStore: embedded,
        logger,
        onFencedOff: fencedOff,
      });
  } else {
    const store = await buildReadModels(config, stores);
    readModels = store;
    closers.push(() => store.close());
    projector = (fence, fencedOff) =>
      new ProjectionRunner({
        eventStore: stores.eventStore,
        readModels: new FencedReadModels(store, fence, fencedOff),
        projections,
        decode: (recorded) => codec.decodeRecorded(recorded),
        logger,
      });
  }

  const lease = config.projections ? await buildProjectionLease(config, { stores, inMemory: deps.inMemory }, closers) : undefined;
  const leased = new LeasedProjections({
    lease,
    leaseName: PROJECTION_LEASE,
    holder: `${hostname()}:${process.pid}:${randomUUID()}`,
    ...LEASE_TIMING,
    projector,
    shared: { projections, checkpoints: readModels.checkpoints, eventStore: stores.eventStore, readModels },
    logger,
  });
  closers.push(() => leased.close());
  await leased.start();

  return {
    readModels,
    projectionRunner: leased,
    projectionRole: () => leased.status(),
    projectionsReadiness: async () => {
      const status = leased.status();
      const lag = await leased.lag();
      // Standing by or off is healthy for this process: another one keeps the read models.
      const ok = status.role === 'holder' ? lag.running && lag.error === undefined : true;
      return { ok, ...lag, ...status };
    },
    onDuty: async (jobs) => {
      if (config.jobs !== 'inprocess') return jobs;
      const gated = new OnDutyJobScheduler(jobs);
      await leased.addDuty(gated);
      return gated;
    },
  };
}

/**
 * The lease where the shared state is: Redis with BullMQ, else MongoDB with MongoDB read models,
 * else a table in the ledger's SQLite file (the processes on one data dir).
 */
async function buildProjectionLease(config: LedgerConfig, deps: { stores: Stores; inMemory: boolean }, closers: Closers): Promise<ProjectionLease> {
  let lease: ProjectionLease;
  if (config.jobs === 'bullmq') {
    lease = new RedisProjectionLease({ redisUrl: config.redisUrl });
  } else if (config.readModels.kind === 'mongodb') {
    // On the client the stores share (connected and checked for a replica set there).
    lease = deps.stores.mongo ? new MongoProjectionLease(deps.stores.mongo.client, deps.stores.mongo.db) : await MongoProjectionLease.connect(config.readModels.url);
  } else if (deps.inMemory) {
    lease = new SqliteProjectionLease(deps.stores.db);
  } else {
    // A connection of its own that waits at most a second for another process's write lock: a
    // renewal that cannot get through is tried again, long before the lease runs out.
    const db = openSqlite(ledgerFiles(config.dataDir).events);
    db.pragma('busy_timeout = 1000');
    closers.push(() => {
      db.close();
    });
    lease = new SqliteProjectionLease(db);
  }
  closers.push(() => lease.close());
  return lease;
}
