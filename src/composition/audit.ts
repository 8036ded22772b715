import type { Logger } from 'pino';
import type { LedgerConfig } from '../config.ts';
import type { LedgerKeys } from '../app/ledger-keys.ts';
import { TransparencyLog } from '../app/audit/transparency-log.ts';
import type { EventStore } from '../ports/event-store.ts';
import type { JobScheduler } from '../ports/job-scheduler.ts';
import type { ReadModelStore } from '../ports/read-model-store.ts';

export const CHECKPOINT_JOB = 'log-checkpoint';

/** The transparency log over the event log, signing with the ledger's log key under LEDGER_LOG_ORIGIN. */
export function buildTransparencyLog(
  config: LedgerConfig,
  deps: { eventStore: EventStore; readModels: ReadModelStore; keys: LedgerKeys; clock: () => Date; logger: Logger },
): TransparencyLog {
  const { origin } = config.log;
  return new TransparencyLog({
    eventStore: deps.eventStore,
    readModels: deps.readModels,
    origin,
    signer: deps.keys.logSigner(origin),
    verifierKey: deps.keys.logVerifierKey(origin),
    clock: deps.clock,
    logger: deps.logger.child({ component: 'log' }),
  });
}

/** Signs a checkpoint every LEDGER_CHECKPOINT_EVERY when the log grew (the job runs where the jobs run). */
export async function scheduleCheckpoints(config: LedgerConfig, jobs: JobScheduler, log: TransparencyLog): Promise<void> {
  await jobs.schedule(CHECKPOINT_JOB, config.log.checkpointEveryMs, async () => {
    const { checkpoint, signed } = await log.checkpointNow();
    return { signed, treeSize: checkpoint?.treeSize ?? 0 };
  });
}
