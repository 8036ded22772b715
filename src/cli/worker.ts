import type { LedgerConfig } from '../config.ts';
import { buildLedger } from '../composition/ledger.ts';

/**
 * `ledger worker`: keeps the read models up to date and runs the jobs (retention purge, expiry
 * sweep), answering no HTTP. Beside `ledger serve` processes on EventStoreDB, MongoDB and BullMQ;
 * on the embedded default one `ledger serve` already does all of it.
 */
export async function worker(config: LedgerConfig): Promise<void> {
  const ledger = await buildLedger(config);
  const { logger } = ledger.services;
  logger.info({ eventStore: config.eventStore.kind, readModels: config.readModels.kind, jobs: config.jobs }, 'ledger worker running: projections and jobs, no HTTP');

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'closing');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    ledger.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  // Job timers are unref'd and the log may be quiet: hold the process open until a signal.
  setInterval(() => undefined, 1 << 30);
}
