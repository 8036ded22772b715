import type { LedgerConfig } from '../config.ts';
import { actCodec } from '../app/acts/act-sealing.ts';
import { replayProjections, type ReplayReport } from '../app/projecting/replay.ts';
import { projections } from '../../projections/index.ts';
import { buildReadModels, buildStores, ledgerFiles, openReadModelFiles, type Closers } from './stores.ts';

/**
 * What `ledger replay` needs, opened as a server opens it (the same config, the same files or
 * servers): the log, the key vault to open sealed fields, and the live read models. It keeps no
 * read model: it neither takes the projection lease nor projects.
 */
export async function replayLedger(config: LedgerConfig, options: { batchSize?: number; listed?: number } = {}): Promise<ReplayReport> {
  const closers: Closers = [];
  try {
    const stores = await buildStores(config, { inMemory: false }, closers);
    let readModels;
    if (config.readModels.kind === 'sqlite' && stores.embeddedEvents) {
      // Embedded: the read models have a file of their own beside the ledger's (see buildProjections).
      const opened = openReadModelFiles(ledgerFiles(config.dataDir).readModels);
      closers.push(() => {
        for (const db of opened.dbs) db.close();
      });
      readModels = opened.readModels;
    } else {
      readModels = await buildReadModels(config, stores);
    }
    const store = readModels;
    closers.push(() => store.close());
    const codec = actCodec(stores.keyVault);
    return await replayProjections({ eventStore: stores.eventStore, readModels, projections, decode: (r) => codec.decodeRecorded(r), ...options });
  } finally {
    for (const close of closers.splice(0).reverse()) await close();
  }
}
