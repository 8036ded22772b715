import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LedgerConfig } from '../config.ts';
import { openSqlite, type SqliteDatabase } from '../adapters/sqlite/database.ts';
import { SqliteEventStore } from '../adapters/sqlite/event-store.ts';
import { SqliteKeyVault } from '../adapters/sqlite/key-vault.ts';
import { StagedTasks } from '../adapters/sqlite/task-queue.ts';
import { SqliteReplayGuard } from '../adapters/sqlite/replay-guard.ts';
import { SqliteCitizenRegistry } from '../adapters/sqlite/citizen-registry.ts';
import { SqliteSendLimiter } from '../adapters/sqlite/send-limiter.ts';
import { SqliteReadModelStore, fileHolds } from '../adapters/sqlite/read-model-store.ts';
import { moveProjectionToOwnFile, type ProjectionMoveReport } from '../adapters/sqlite/read-model-move.ts';
import { EventStoreDbEventStore } from '../adapters/eventstoredb/event-store.ts';
import { connectMongo, type MongoConnection } from '../adapters/mongodb/connection.ts';
import { MongoReadModelStore } from '../adapters/mongodb/read-model-store.ts';
import { MongoKeyVault } from '../adapters/mongodb/key-vault.ts';
import { MongoCitizenRegistry } from '../adapters/mongodb/citizen-registry.ts';
import { MemoryEventStore } from '../adapters/memory/event-store.ts';
import type { EventStore } from '../ports/event-store.ts';
import type { KeyVault } from '../ports/key-vault.ts';
import type { ReplayGuard } from '../ports/replay-guard.ts';
import type { CitizenRegistry } from '../ports/citizen-registry.ts';
import type { SendLimiter } from '../ports/send-limiter.ts';
import type { ReadModelStore } from '../ports/read-model-store.ts';
import { PartitionedReadModelStore, type Partition } from '../adapters/partitioned-read-model-store.ts';
import type { Projection } from '../../projections/projection.ts';
import { VERIFIED_ACTS, verificationIndexProjection } from '../../projections/verification-index.ts';

/** Where the read models live on the embedded default: one shared file, and files of their own for some projections. */
export interface ReadModelFiles {
  shared: string;
  /** Projection name -> its own file. */
  own: Record<string, string>;
}

/**
 * Projections kept in a SQLite file of their own. The verification index answers the public lookup,
 * one random document hash at a time: in the shared file its pages lie scattered among the other
 * projections' (which write far more), and on a grown ledger each lookup reads them from disk. In a
 * file of its own the index is small and contiguous, and stays in the page cache.
 */
const OWN_FILE_PROJECTIONS: readonly Projection[] = [verificationIndexProjection];

/**
 * Indexes the connection answering queries reads whole when it opens: the lookup's, so that a
 * restarted ledger answers its first lookups from memory as it will after weeks, not from disk
 * (at 10,000,000 events, 61 MB read in well under a second).
 */
const PRELOADED: ReadonlyArray<{ collection: string; field: string }> = [{ collection: VERIFIED_ACTS, field: 'documentHash' }];

/**
 * How much of a projection's own file the connection answering queries maps into memory: all of it
 * at any size seen (1.1 GiB at 10,000,000 events; SQLite here maps at most 2 GiB). In WAL mode a
 * commit by another connection (the projection thread's) makes this one drop its page cache at its
 * next read; through the map, the pages it needs again are the kernel's, not copies read back with a
 * system call each.
 */
const MAPPED_BYTES = 2 ** 31 - 2 ** 16;

/** Where the embedded ledger keeps its files in the data dir. */
export const ledgerFiles = (dataDir: string): { events: string; readModels: ReadModelFiles } => ({
  events: join(dataDir, 'ledger.sqlite'),
  readModels: {
    shared: join(dataDir, 'read-models.sqlite'),
    own: Object.fromEntries(OWN_FILE_PROJECTIONS.map((p) => [p.name, join(dataDir, `read-models.${p.name}.sqlite`)])),
  },
});

/**
 * The ledger's SQLite file as an event store and key vault. A new act's data key is durable with the
 * act's first event: the vault stages it and the store writes it inside that append's transaction.
 * Tasks staged the same way (a code's delivery) are durable with the event that needs them.
 * Used by the request thread and by the projection thread alike.
 */
export function openEventFile(file: string): { db: SqliteDatabase; eventStore: SqliteEventStore; keyVault: SqliteKeyVault; stagedTasks: StagedTasks } {
  const db = openSqlite(file);
  const keyVault = new SqliteKeyVault(db, { withEvents: true });
  const stagedTasks = new StagedTasks(db);
  const eventStore = new SqliteEventStore(db, { alongside: [keyVault.pendingKeys, stagedTasks.writes] });
  return { db, eventStore, keyVault, stagedTasks };
}

/**
 * Where a projection that may have a file of its own is: there when that file holds it (or nothing
 * holds it yet), else in the shared file, which holds it in a data dir from before that file, until
 * `ledger store migrate` moves it. Every process opening the data dir finds it in the same place.
 */
function keptInOwnFile(shared: SqliteReadModelStore, projection: string, file: string): boolean {
  if (existsSync(file) && fileHolds(file, projection)) return true;
  return !shared.holds(projection);
}

/**
 * Moves each projection that has a file of its own out of the shared read-model file of a data dir
 * from before that file (`ledger store migrate`; every ledger process on the data dir stopped).
 */
export function moveToOwnFiles(dataDir: string): ProjectionMoveReport[] {
  const { shared, own } = ledgerFiles(dataDir).readModels;
  return Object.entries(own).map(([projection, file]) => moveProjectionToOwnFile(shared, file, projection));
}

/**
 * The read models' SQLite files (embedded default, kept by the projection thread); `cacheMiB`:
 * SQLite's page cache of each connection. Some projections have a file of their own (see keptInOwnFile).
 * `forQueries`: these connections answer the request thread's queries; they read the PRELOADED
 * indexes whole and map the files of their own into memory.
 */
export function openReadModelFiles(
  files: ReadModelFiles,
  options: { cacheMiB?: number; forQueries?: boolean } = {},
): { dbs: SqliteDatabase[]; readModels: ReadModelStore; preloaded: Array<{ collection: string; field: string; entries: number; ms: number }> } {
  const open = (file: string, own = false) => {
    const db = openSqlite(file);
    if (options.cacheMiB !== undefined) db.pragma(`cache_size = -${options.cacheMiB * 1024}`);
    if (own && options.forQueries) db.pragma(`mmap_size = ${MAPPED_BYTES}`);
    dbs.push(db);
    const store = new SqliteReadModelStore(db);
    stores.push(store);
    return store;
  };
  const dbs: SqliteDatabase[] = [];
  const stores: SqliteReadModelStore[] = [];
  const shared = open(files.shared);
  const partitions: Partition[] = [];
  for (const [name, file] of Object.entries(files.own)) {
    const projection = OWN_FILE_PROJECTIONS.find((p) => p.name === name);
    if (!projection || !keptInOwnFile(shared, name, file)) continue;
    const collections = new Set(projection.collections.map((c) => c.name));
    partitions.push({ store: open(file, true), projection: (n) => n === name, collection: (c) => collections.has(c) });
  }
  const preloaded = [];
  if (options.forQueries) {
    for (const { collection, field } of PRELOADED) {
      const started = performance.now();
      const entries = stores.reduce((n, store) => n + store.preload(collection, field), 0);
      preloaded.push({ collection, field, entries, ms: Math.round(performance.now() - started) });
    }
  }
  return { dbs, readModels: partitions.length ? new PartitionedReadModelStore(shared, partitions) : shared, preloaded };
}

export interface Stores {
  /** The ledger's SQLite file (or memory): replay guard, citizens, send limits, and on the embedded default events and keys. */
  db: SqliteDatabase;
  eventStore: EventStore;
  /** Set on the embedded default: the same event store, which can tell of each commit (the projection thread listens). */
  embeddedEvents?: SqliteEventStore;
  /** Set on the embedded default: tasks written inside the next append's transaction (see SqliteTaskQueue). */
  stagedTasks?: StagedTasks;
  keyVault: KeyVault;
  replayGuard: ReplayGuard;
  citizens: CitizenRegistry;
  sendLimiter: SendLimiter;
  /** LEDGER_READ_MODELS=mongodb: the one client the read models, the key vault and the registry share. */
  mongo?: MongoConnection;
}

/**
 * LEDGER_EVENT_STORE: events in the ledger's SQLite file or in EventStoreDB. LEDGER_READ_MODELS=mongodb
 * puts the data keys and the citizen registry in MongoDB too (one client for all of it); otherwise
 * they stay in the ledger's SQLite file. Keys never go to the event store: with events in the file,
 * the embedded vault writes them in the same transaction as the act's first event; any other vault
 * answers a key only once it is durable, and the event that needs it is appended after that.
 * `sparseEvents` (tests only): events in memory at sparse positions, keys in the file.
 */
export async function buildStores(config: LedgerConfig, options: { inMemory: boolean; sparseEvents?: boolean }, closers: Closers): Promise<Stores> {
  const file = options.inMemory ? ':memory:' : ledgerFiles(config.dataDir).events;
  let db: SqliteDatabase;
  let eventStore: EventStore;
  let embeddedEvents: SqliteEventStore | undefined;
  let stagedTasks: StagedTasks | undefined;
  let keyVault: KeyVault | undefined;
  if (options.sparseEvents) {
    db = openSqlite(file);
    eventStore = new MemoryEventStore();
  } else if (config.eventStore.kind === 'sqlite') {
    const opened = openEventFile(file);
    db = opened.db;
    eventStore = embeddedEvents = opened.eventStore;
    stagedTasks = opened.stagedTasks;
    if (config.readModels.kind === 'sqlite') keyVault = opened.keyVault;
  } else {
    db = openSqlite(file);
    eventStore = new EventStoreDbEventStore(config.eventStore.url);
  }
  closers.push(() => {
    db.close();
  });
  closers.push(() => eventStore.close());
  let mongo: MongoConnection | undefined;
  let citizens: CitizenRegistry;
  if (config.readModels.kind === 'mongodb') {
    // Refuses a standalone server here, at start, naming what to fix.
    mongo = await connectMongo(config.readModels.url);
    const connection = mongo;
    closers.push(() => connection.close());
    keyVault = new MongoKeyVault(mongo.db);
    citizens = await MongoCitizenRegistry.open(mongo.db);
  } else {
    keyVault ??= new SqliteKeyVault(db);
    citizens = new SqliteCitizenRegistry(db);
  }
  return {
    db,
    eventStore,
    ...(embeddedEvents ? { embeddedEvents } : {}),
    ...(stagedTasks ? { stagedTasks } : {}),
    keyVault,
    replayGuard: new SqliteReplayGuard(db),
    citizens,
    sendLimiter: new SqliteSendLimiter(db),
    ...(mongo ? { mongo } : {}),
  };
}

/** LEDGER_READ_MODELS: tables in a SQLite file (embedded), or MongoDB on the stores' client. */
export async function buildReadModels(config: LedgerConfig, stores: Pick<Stores, 'db' | 'mongo'>): Promise<ReadModelStore> {
  if (config.readModels.kind === 'mongodb') {
    if (!stores.mongo) throw new Error('LEDGER_READ_MODELS=mongodb: the stores were built without a MongoDB connection');
    return MongoReadModelStore.open(stores.mongo);
  }
  return new SqliteReadModelStore(stores.db);
}

/** What a build has opened so far, closed in reverse order on shutdown or when the build fails part-way. */
export type Closers = Array<() => Promise<void> | void>;
