import type { Logger } from 'pino';
import type { LedgerConfig } from '../config.ts';
import type { ActEvent, CodeChannel } from '../../events/act.ts';
import { BullmqTaskQueue } from '../adapters/bullmq/task-queue.ts';
import type { SqliteDatabase } from '../adapters/sqlite/database.ts';
import { SqliteTaskQueue, type StagedTasks } from '../adapters/sqlite/task-queue.ts';
import type { CitizenRegistry } from '../ports/citizen-registry.ts';
import type { EventStore } from '../ports/event-store.ts';
import { silentMeter, type LedgerMeter } from '../ports/metrics.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { TaskQueue } from '../ports/task-queue.ts';
import type { EventCodec } from '../app/command-handler.ts';
import { CodeDelivery } from '../app/acts/code-delivery.ts';
import type { RegistryAudit } from '../app/citizens/registry-audit.ts';
import type { Closers } from './stores.ts';

export interface DeliveryDeps {
  /** The ledger's SQLite file (or memory): where tasks wait when LEDGER_JOBS=inprocess. */
  db: SqliteDatabase;
  /** Set when the events are in that file too: a code's task goes in with its CodeIssued. */
  stagedTasks?: StagedTasks;
  eventStore: EventStore;
  codec: EventCodec<ActEvent>;
  citizens: CitizenRegistry;
  registryAudit: RegistryAudit;
  notifiers: Record<CodeChannel, Notifier>;
  deliveryKey: Buffer;
  clock: () => Date;
  logger: Logger;
  meter?: LedgerMeter;
  /** false: this process only queues deliveries (CLI tools); see `runsDeliveries`. */
  runJobs?: boolean;
}

/**
 * The task queue code deliveries go through (LEDGER_JOBS: a table in the ledger's SQLite file,
 * shared by the processes on its data dir, or BullMQ on REDIS_URL shared by every process), and the
 * delivery worker where this process runs jobs. Its closer is pushed now, after the stores', so it
 * stops taking tasks and lets the runs in flight finish before the stores close.
 */
export function buildDelivery(config: LedgerConfig, deps: DeliveryDeps, closers: Closers): { tasks: TaskQueue; worker?: CodeDelivery } {
  const logger = deps.logger.child({ component: 'delivery' });
  const tasks: TaskQueue =
    config.jobs === 'bullmq'
      ? new BullmqTaskQueue({ redisUrl: config.redisUrl, logger })
      : new SqliteTaskQueue(deps.db, { logger, ...(deps.stagedTasks ? { staging: deps.stagedTasks } : {}) });
  closers.push(() => tasks.close());
  if (!runsDeliveries(config, deps.runJobs !== false)) return { tasks };
  const worker = new CodeDelivery({
    tasks,
    store: deps.eventStore,
    codec: deps.codec,
    registry: deps.citizens,
    registryAudit: deps.registryAudit,
    notifiers: deps.notifiers,
    homeCountry: config.homeCountry,
    deliveryKey: deps.deliveryKey,
    clock: deps.clock,
    meter: deps.meter ?? silentMeter,
    logger,
  });
  worker.start();
  return { tasks, worker };
}

/**
 * Deliveries run where projections and jobs run (LEDGER_PROJECTIONS, `ledger worker`); serve-only
 * processes only queue them. Tasks in the ledger file run in every process on its data dir (claims
 * keep each to one run at a time), since an in-memory ledger's can run nowhere else.
 */
export function runsDeliveries(config: Pick<LedgerConfig, 'jobs' | 'projections'>, runJobs: boolean): boolean {
  if (!runJobs) return false;
  return config.jobs === 'inprocess' || config.projections;
}
