import type { Logger } from 'pino';
import type { LedgerConfig } from '../config.ts';
import { leaveCheckpointsToAnotherThread } from '../adapters/sqlite/database.ts';
import type { ReadModelStore } from '../ports/read-model-store.ts';
import { ProjectionRunner, type Projector } from '../app/projecting/projection-runner.ts';
import { ProjectionThread } from '../app/projecting/projection-thread.ts';
import type { ActCodec } from '../app/acts/act-sealing.ts';
import { projections } from '../../projections/index.ts';
import { buildReadModels, ledgerFiles, openReadModelFile, type Closers, type Stores } from './stores.ts';

/** Where the projection thread starts (it builds its own adapters with the functions of stores.ts). */
const PROJECTION_THREAD_ENTRY = new URL('./projection-thread-boot.mjs', import.meta.url);

/**
 * The read models and what keeps them. The embedded default on files gives the read models a file
 * of their own, kept by a projection thread; otherwise a runner on this thread keeps them, in the
 * ledger's SQLite (in memory) or MongoDB. Their handlers see act events unsealed.
 */
export async function buildProjections(
  config: LedgerConfig,
  deps: { stores: Stores; inMemory: boolean; codec: ActCodec; logger: Logger },
  closers: Closers,
): Promise<{ readModels: ReadModelStore; projectionRunner: Projector }> {
  const { stores, codec } = deps;
  const logger = deps.logger.child({ component: 'projections' });
  const embedded = !deps.inMemory && config.readModels.kind === 'sqlite' ? stores.embeddedEvents : undefined;
  if (embedded) {
    const files = ledgerFiles(config.dataDir);
    const { db: readModelDb, readModels } = openReadModelFile(files.readModels);
    closers.push(() => {
      readModelDb.close();
    });
    // The projection thread checkpoints both files; commits here never stop to do it.
    leaveCheckpointsToAnotherThread(stores.db);
    leaveCheckpointsToAnotherThread(readModelDb);
    closers.push(() => readModels.close());
    const thread = new ProjectionThread({
      entry: PROJECTION_THREAD_ENTRY,
      data: { eventFile: files.events, readModelFile: files.readModels, logLevel: config.logLevel },
      eventStore: embedded,
      logger,
    });
    closers.push(() => thread.close());
    await thread.start();
    return { readModels, projectionRunner: thread };
  }
  const readModels = await buildReadModels(config, stores);
  closers.push(() => readModels.close());
  const runner = new ProjectionRunner({ eventStore: stores.eventStore, readModels, projections, decode: (recorded) => codec.decodeRecorded(recorded), logger });
  closers.push(() => runner.close());
  await runner.start();
  return { readModels, projectionRunner: runner };
}
