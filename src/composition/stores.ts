import { join } from 'node:path';
import type { LedgerConfig } from '../config.ts';
import { openSqlite, type SqliteDatabase } from '../adapters/sqlite/database.ts';
import { SqliteEventStore } from '../adapters/sqlite/event-store.ts';
import { SqliteKeyVault } from '../adapters/sqlite/key-vault.ts';
import { SqliteReplayGuard } from '../adapters/sqlite/replay-guard.ts';
import { SqliteCitizenRegistry } from '../adapters/sqlite/citizen-registry.ts';
import { SqliteSendLimiter } from '../adapters/sqlite/send-limiter.ts';
import { SqliteReadModelStore } from '../adapters/sqlite/read-model-store.ts';
import { EventStoreDbEventStore } from '../adapters/eventstoredb/event-store.ts';
import { MongoReadModelStore } from '../adapters/mongodb/read-model-store.ts';
import { MemoryEventStore } from '../adapters/memory/event-store.ts';
import type { EventStore } from '../ports/event-store.ts';
import type { KeyVault } from '../ports/key-vault.ts';
import type { ReplayGuard } from '../ports/replay-guard.ts';
import type { CitizenRegistry } from '../ports/citizen-registry.ts';
import type { SendLimiter } from '../ports/send-limiter.ts';
import type { ReadModelStore } from '../ports/read-model-store.ts';

/** Where the embedded ledger keeps its files in the data dir. */
export const ledgerFiles = (dataDir: string) => ({ events: join(dataDir, 'ledger.sqlite'), readModels: join(dataDir, 'read-models.sqlite') });

/**
 * The ledger's SQLite file as an event store and key vault. A new act's data key is durable with the
 * act's first event: the vault stages it and the store writes it inside that append's transaction.
 * Used by the request thread and by the projection thread alike.
 */
export function openEventFile(file: string): { db: SqliteDatabase; eventStore: SqliteEventStore; keyVault: SqliteKeyVault } {
  const db = openSqlite(file);
  const keyVault = new SqliteKeyVault(db, { withEvents: true });
  const eventStore = new SqliteEventStore(db, { alongside: [keyVault.pendingKeys] });
  return { db, eventStore, keyVault };
}

/** The read models' own SQLite file (embedded default, kept by the projection thread). */
export function openReadModelFile(file: string): { db: SqliteDatabase; readModels: SqliteReadModelStore } {
  const db = openSqlite(file);
  return { db, readModels: new SqliteReadModelStore(db) };
}

export interface Stores {
  /** The ledger's SQLite file (or memory): replay guard, citizens, send limits, and on the embedded default events and keys. */
  db: SqliteDatabase;
  eventStore: EventStore;
  /** Set on the embedded default: the same event store, which can tell of each commit (the projection thread listens). */
  embeddedEvents?: SqliteEventStore;
  keyVault: KeyVault;
  replayGuard: ReplayGuard;
  citizens: CitizenRegistry;
  sendLimiter: SendLimiter;
}

/**
 * LEDGER_EVENT_STORE: events and keys in the ledger's SQLite file, or events in EventStoreDB (keys
 * stay in the file). `sparseEvents` (tests only): events in memory at sparse positions, keys in the file.
 */
export function buildStores(config: LedgerConfig, options: { inMemory: boolean; sparseEvents?: boolean }, closers: Closers): Stores {
  const file = options.inMemory ? ':memory:' : ledgerFiles(config.dataDir).events;
  let db: SqliteDatabase;
  let eventStore: EventStore;
  let embeddedEvents: SqliteEventStore | undefined;
  let keyVault: KeyVault;
  if (options.sparseEvents) {
    db = openSqlite(file);
    keyVault = new SqliteKeyVault(db);
    eventStore = new MemoryEventStore();
  } else if (config.eventStore.kind === 'sqlite') {
    const opened = openEventFile(file);
    ({ db, keyVault } = opened);
    eventStore = embeddedEvents = opened.eventStore;
  } else {
    db = openSqlite(file);
    keyVault = new SqliteKeyVault(db);
    eventStore = new EventStoreDbEventStore(config.eventStore.url);
  }
  closers.push(() => {
    db.close();
  });
  closers.push(() => eventStore.close());
  return {
    db,
    eventStore,
    ...(embeddedEvents ? { embeddedEvents } : {}),
    keyVault,
    replayGuard: new SqliteReplayGuard(db),
    citizens: new SqliteCitizenRegistry(db),
    sendLimiter: new SqliteSendLimiter(db),
  };
}

/** LEDGER_READ_MODELS: tables in a SQLite file (embedded), or MongoDB. */
export async function buildReadModels(config: LedgerConfig, db: SqliteDatabase): Promise<ReadModelStore> {
  return config.readModels.kind === 'mongodb' ? MongoReadModelStore.connect(config.readModels.url) : new SqliteReadModelStore(db);
}

/** What a build has opened so far, closed in reverse order on shutdown or when the build fails part-way. */
export type Closers = Array<() => Promise<void> | void>;
