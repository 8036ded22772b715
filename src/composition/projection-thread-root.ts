import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { projections } from '../../projections/index.ts';
import { checkpointPassively, leaveCheckpointsToAnotherThread } from '../adapters/sqlite/database.ts';
import { createLogger } from '../logger.ts';
import { ProjectionRunner } from '../app/projecting/projection-runner.ts';
import type { FromProjectionThread, ProjectionThreadData, ToProjectionThread } from '../app/projecting/projection-thread-protocol.ts';
import { actCodec } from '../app/acts/act-sealing.ts';
import { FencedReadModels } from '../app/projecting/fenced-read-models.ts';
import { openEventFile, openReadModelFiles } from './stores.ts';

/**
 * The projection thread of the embedded ledger, and its composition root: follows the events in the ledger's file on a
 * connection of its own and writes the read models into their own file, so neither the request
 * thread's time nor its write lock goes to projections. Runs until the request thread says close;
 * everything it opens, it closes.
 */
function runProjectionThread(port: MessagePort, data: ProjectionThreadData): void {
  const send = (message: FromProjectionThread) => port.postMessage(message);

  const logger = createLogger(data.logLevel).child({ component: 'projections', thread: 'projections' });
  // The same builders as the request thread's composition root: one place chooses and wires adapters.
  const { db: eventDb, eventStore, keyVault } = openEventFile(data.eventFile);
  const { dbs: readModelDbs, readModels } = openReadModelFiles(data.readModelFiles);
  const codec = actCodec(keyVault);
  // Under the projection lease, every batch carries its token; the first refusal is reported, and the main thread stops this thread.
  const fence = data.fence;
  const written = fence ? new FencedReadModels(readModels, fence, (error) => send({ type: 'fenced', token: fence.token, highest: error.highest })) : readModels;
  const runner = new ProjectionRunner({
    eventStore,
    readModels: written,
    projections,
    decode: (recorded) => codec.decodeRecorded(recorded),
    logger,
    // Written every 100 events at most: behind under load, the first event of a batch waits for the
    // last one's write, and 500 of them there (the default) put the lag p99 past 100 ms.
    batchSize: 100,
    onCheckpoints: (checkpoints) => send({ type: 'checkpoints', checkpoints }),
  });

  // Checkpoints of every file happen here, not in the request thread's commits (see
  // leaveCheckpointsToAnotherThread): a few times a second, whatever the load.
  const CHECKPOINT_EVERY_MS = 250;
  for (const db of [eventDb, ...readModelDbs]) leaveCheckpointsToAnotherThread(db);
  const checkpoints = setInterval(() => {
    try {
      checkpointPassively(eventDb);
      for (const db of readModelDbs) checkpointPassively(db);
    } catch (error) {
      logger.warn({ err: error }, 'checkpoint failed; the next one tries again');
    }
  }, CHECKPOINT_EVERY_MS);

  port.on('message', (message: ToProjectionThread) => {
    switch (message.type) {
      case 'appended':
        eventStore.noticeAppendsElsewhere();
        return;
      case 'call': {
        const call = message.method === 'lag' ? runner.lag() : runner.rebuild(String(message.args[0]));
        call.then(
          (value) => send({ type: 'result', id: message.id, value }),
          (error: unknown) => send({ type: 'result', id: message.id, error: error instanceof Error ? error.message : String(error) }),
        );
        return;
      }
      case 'close':
        void close();
        return;
    }
  });

  async function close(): Promise<void> {
    clearInterval(checkpoints);
    try {
      await runner.close();
      await readModels.close();
      await eventStore.close();
    } finally {
      for (const db of readModelDbs) db.close();
      eventDb.close();
      send({ type: 'closed' });
      port.close();
    }
  }

  runner.start().then(
    () => send({ type: 'started', checkpoints: runner.positions() }),
    (error: unknown) => send({ type: 'failed', error: error instanceof Error ? error.message : String(error) }),
  );
}

runProjectionThread(parentPort!, workerData as ProjectionThreadData);
