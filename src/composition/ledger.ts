import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { LedgerConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { leaveCheckpointsToAnotherThread, openSqlite, type SqliteDatabase } from '../adapters/sqlite/database.ts';
import { SqliteEventStore } from '../adapters/sqlite/event-store.ts';
import { EventStoreDbEventStore } from '../adapters/eventstoredb/event-store.ts';
import type { EventStore } from '../ports/event-store.ts';
import { SqliteReplayGuard } from '../adapters/sqlite/replay-guard.ts';
import { buildHttpApp } from '../http/app.ts';
import { AUTHORIZE_CALLBACK_PATH, PORTAL_CALLBACK_PATH, TOKEN_PATH } from '../paths.ts';
import { AccessTokens } from '../app/providers/access-tokens.ts';
import { ClientAssertions } from '../app/providers/client-assertions.ts';
import { LedgerKeys } from '../app/ledger-keys.ts';
import { ProviderDirectory } from '../app/providers/provider-directory.ts';
import type { LedgerServices, ReadinessCheck } from '../app/services.ts';
import type { JobScheduler } from '../ports/job-scheduler.ts';
import { InProcessJobScheduler } from '../adapters/inprocess/job-scheduler.ts';
import { BullmqJobScheduler } from '../adapters/bullmq/job-scheduler.ts';
import { SqliteKeyVault } from '../adapters/sqlite/key-vault.ts';
import { SqliteCitizenRegistry } from '../adapters/sqlite/citizen-registry.ts';
import { SqliteSendLimiter } from '../adapters/sqlite/send-limiter.ts';
import { OutboxNotifier } from '../adapters/notify/outbox.ts';
import { actCodec } from '../app/acts/act-sealing.ts';
import { Pseudonyms } from '../app/citizens/pseudonyms.ts';
import { ActService } from '../app/acts/act-service.ts';
import { seedTestPersons } from '../app/citizens/test-persons.ts';
import type { IdentityProvider } from '../ports/identity-provider.ts';
import { SimulatedIdentityNode } from '../adapters/identity/simulator.ts';
import { OidcIdentityProvider } from '../adapters/identity/oidc.ts';
import { AuthorizationService } from '../app/acts/authorization-by-authentication.ts';
import type { ReadModelStore } from '../ports/read-model-store.ts';
import { SqliteReadModelStore } from '../adapters/sqlite/read-model-store.ts';
import { MongoReadModelStore } from '../adapters/mongodb/read-model-store.ts';
import { ProjectionRunner, type Projector } from '../app/projecting/projection-runner.ts';
import { ProjectionThread } from '../app/projecting/projection-thread.ts';
import { projections } from '../../projections/index.ts';
import { CaptchaService } from '../app/citizens/captcha.ts';
import { PublicVerification } from '../app/citizens/public-verification.ts';
import { CitizenLog } from '../app/citizens/citizen-log.ts';
import { PortalLogin } from '../app/citizens/portal-login.ts';
import type { KeyVault } from '../ports/key-vault.ts';
import { RetentionStream } from '../app/retention/retention-stream.ts';
import { RetentionPurge } from '../app/retention/retention-purge.ts';
import { ActExpirySweep } from '../app/acts/act-expiry-sweep.ts';
import { BackgroundJobs } from '../app/retention/background-jobs.ts';

export interface Ledger {
  services: LedgerServices;
  app: FastifyInstance;
  /** Set when the admin token was generated at start (simulator environment without LEDGER_ADMIN_TOKEN). */
  generatedAdminToken?: string;
  close(): Promise<void>;
}

export interface BuildOptions {
  logger?: Logger;
  /** Keep everything in memory (tests, OpenAPI generation): no data dir is written. */
  inMemory?: boolean;
  /** The clock every command reads (tests move it); the system clock when left out. */
  clock?: () => Date;
  /** false: schedule no job here (CLI tools); the purge and expiry sweep still run when called. */
  runJobs?: boolean;
}

/**
 * The composition root: builds every store, service and route from config, and closes them in
 * reverse order. Nothing else chooses an adapter.
 */
export async function buildLedger(config: LedgerConfig, options: BuildOptions = {}): Promise<Ledger> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const closers: Array<() => Promise<void> | void> = [];

  let generatedAdminToken: string | undefined;
  if (!config.adminToken && config.environment === 'simulator') {
    generatedAdminToken = randomBytes(24).toString('base64url');
    config = { ...config, adminToken: generatedAdminToken };
  }

  const sqliteFile = options.inMemory ? ':memory:' : join(config.dataDir, 'ledger.sqlite');
  const db: SqliteDatabase = openSqlite(sqliteFile);
  closers.push(() => {
    db.close();
  });
  // A new act's data key is durable with the act's first event when both live in the one file.
  const keyVault = new SqliteKeyVault(db, { withEvents: config.eventStore === 'sqlite' });
  const eventStore: EventStore =
    config.eventStore === 'eventstoredb' ? new EventStoreDbEventStore(eventStoreUrl(config)) : new SqliteEventStore(db, { alongside: [keyVault.pendingKeys] });
  closers.push(() => eventStore.close());
  const replayGuard = new SqliteReplayGuard(db);
  const keys = options.inMemory ? await LedgerKeys.ephemeral() : await LedgerKeys.open(config.dataDir);

  const providers = new ProviderDirectory(eventStore);
  const clock = options.clock ?? (() => new Date());
  const codec = actCodec(keyVault);
  const { readModels, projectionRunner } = await buildProjections(config, { db, sqliteFile, inMemory: options.inMemory === true, eventStore, codec, logger }, closers);
  const citizens = new SqliteCitizenRegistry(db);
  const pseudonyms = new Pseudonyms(keys.secrets.pseudonymKey, citizens, config.homeCountry);
  if (config.environment === 'simulator') await seedTestPersons(citizens, clock().toISOString());
  // The outbox is the only notifier built so far; outside the simulator it would deliver to no one.
  if (config.environment !== 'simulator') {
    throw new Error(`the ${config.environment} environment needs a real notifier (sms-http or fcm), which this build does not have yet`);
  }
  const outbox = new OutboxNotifier(clock);
  const acts = new ActService({
    store: eventStore,
    codec,
    providers,
    pseudonyms,
    notifier: outbox,
    sendLimiter: new SqliteSendLimiter(db),
    verifierKey: keys.secrets.codeVerifierKey,
    policy: { actLifetimeMs: config.actLifetimeMs, code: config.code, ...(config.defaultLoa ? { defaultLoa: config.defaultLoa } : {}) },
    clock,
  });
  // Test persons answering as anyone: never outside the simulator environment.
  if (config.identityProvider === 'simulator' && config.environment !== 'simulator') throw new Error('LEDGER_IDENTITY_PROVIDER=simulator works only in the simulator environment; use oidc');
  const identitySimulator =
    config.identityProvider === 'simulator'
      ? new SimulatedIdentityNode({ publicUrl: config.publicUrl, secret: keys.secrets.cookieKey, subjectOf: (person) => pseudonyms.authorizationSubject(person), citizens, homeCountry: config.homeCountry, clock })
      : undefined;
  const identityProvider: IdentityProvider = identitySimulator ?? oidcIdentityProvider(config);
  const authorization = new AuthorizationService({
    store: eventStore,
    codec,
    acts,
    providers,
    citizens,
    identityProvider,
    replayGuard,
    callbackUrl: `${config.publicUrl}${AUTHORIZE_CALLBACK_PATH}`,
    transactionTtlMs: config.authenticationTimeoutMs,
    clock,
  });
  // Built last, so a failed build leaves no Redis connection open; closed after the HTTP edge and
  // before the stores, since a purge in flight still uses them.
  const { jobs, jobsReadiness } = buildJobScheduler(config, logger);
  closers.push(() => jobs.close());
  const retention = buildRetention(config, { eventStore, readModels, keyVault, acts, jobs, projectionRunner, clock, logger });
  const services: LedgerServices = {
    config,
    logger,
    eventStore,
    replayGuard,
    keys,
    providers,
    accessTokens: new AccessTokens(keys, config.publicUrl, config.accessTokenTtlMs),
    clientAssertions: new ClientAssertions(providers, replayGuard, `${config.publicUrl}${TOKEN_PATH}`),
    keyVault,
    actCodec: codec,
    citizens,
    pseudonyms,
    acts,
    outbox,
    identityProvider,
    ...(identitySimulator ? { identitySimulator } : {}),
    authorization,
    clock,
    jobs,
    readModels,
    projections: projectionRunner,
    captcha: new CaptchaService({ key: keys.secrets.captchaKey, replayGuard, clock, ...config.captcha }),
    verification: new PublicVerification(readModels),
    citizenLog: new CitizenLog(readModels),
    portalLogin: new PortalLogin({
      identityProvider,
      citizens,
      replayGuard,
      callbackUrl: `${config.publicUrl}${PORTAL_CALLBACK_PATH}`,
      transactionTtlMs: config.authenticationTimeoutMs,
      clock,
    }),
    ...retention,
    readiness: {
      eventStore: async () => ({ ok: true, headPosition: await eventStore.headPosition() }),
      projections: async () => {
        const lag = await projectionRunner.lag();
        return { ok: lag.running && lag.error === undefined, ...lag };
      },
      ...jobsReadiness,
    },
  };

  // Closed before the scheduler: a policy change seen while closing reschedules nothing.
  closers.push(() => retention.backgroundJobs.close());
  if (options.runJobs !== false) await retention.backgroundJobs.start();

  const app = await buildHttpApp(services);
  closers.push(() => app.close());

  return {
    services,
    app,
    ...(generatedAdminToken ? { generatedAdminToken } : {}),
    close: async () => {
      for (const close of closers.reverse()) await close();
    },
  };
}

/**
 * The read models and what keeps them. This process runs the projections too; their handlers see
 * act events unsealed. The embedded default on files gives the read models a file of their own,
 * kept by a projection thread; otherwise a runner on this thread keeps them, in the ledger's SQLite
 * (in memory) or MongoDB.
 */
async function buildProjections(
  config: LedgerConfig,
  deps: { db: SqliteDatabase; sqliteFile: string; inMemory: boolean; eventStore: EventStore; codec: ReturnType<typeof actCodec>; logger: Logger },
  closers: Array<() => Promise<void> | void>,
): Promise<{ readModels: ReadModelStore; projectionRunner: Projector }> {
  const { db, sqliteFile, eventStore, codec } = deps;
  const logger = deps.logger.child({ component: 'projections' });
  const threaded = !deps.inMemory && eventStore instanceof SqliteEventStore && config.readModels === 'sqlite';
  const readModelFile = join(config.dataDir, 'read-models.sqlite');
  const readModelDb = threaded ? openSqlite(readModelFile) : db;
  if (threaded) {
    // The projection thread checkpoints both files; commits here never stop to do it.
    leaveCheckpointsToAnotherThread(db);
    leaveCheckpointsToAnotherThread(readModelDb);
    closers.push(() => {
      readModelDb.close();
    });
  }
  const readModels = await buildReadModels(config, readModelDb);
  closers.push(() => readModels.close());
  const projectionRunner: Projector = threaded
    ? new ProjectionThread({ data: { eventFile: sqliteFile, readModelFile, logLevel: config.logLevel }, eventStore, logger })
    : new ProjectionRunner({ eventStore, readModels, projections, decode: (recorded) => codec.decodeRecorded(recorded), logger });
  closers.push(() => projectionRunner.close());
  await projectionRunner.start();
  return { readModels, projectionRunner };
}

/** The retention stream, the purge and the expiry sweep, and the jobs that repeat them. */
function buildRetention(
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

function oidcIdentityProvider(config: LedgerConfig): IdentityProvider {
  const { issuer, clientId, clientSecret, acrValues } = config.oidc;
  if (!issuer || !clientId || !clientSecret) throw new Error('LEDGER_IDENTITY_PROVIDER=oidc needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET');
  return new OidcIdentityProvider({ issuer, clientId, clientSecret, acrValues });
}

/** LEDGER_JOBS: timers in this process (embedded), or BullMQ on REDIS_URL, shared by every process, with a readiness check. */
function buildJobScheduler(config: LedgerConfig, logger: Logger): { jobs: JobScheduler; jobsReadiness: Record<string, () => Promise<ReadinessCheck>> } {
  const jobLogger = logger.child({ component: 'jobs' });
  if (config.jobs === 'bullmq') {
    const jobs = new BullmqJobScheduler({ redisUrl: config.redisUrl, logger: jobLogger });
    return { jobs, jobsReadiness: { redis: () => jobs.ping() } };
  }
  return { jobs: new InProcessJobScheduler({ logger: jobLogger }), jobsReadiness: {} };
}

/** LEDGER_READ_MODELS: tables in the ledger's SQLite file (embedded), or MongoDB at MONGODB_URL. */
async function buildReadModels(config: LedgerConfig, db: SqliteDatabase): Promise<ReadModelStore> {
  if (config.readModels !== 'mongodb') return new SqliteReadModelStore(db);
  if (!config.mongodbUrl) throw new Error('LEDGER_READ_MODELS=mongodb needs MONGODB_URL (e.g. mongodb://127.0.0.1:27017/ledger?replicaSet=rs0)');
  return MongoReadModelStore.connect(config.mongodbUrl);
}

function eventStoreUrl(config: LedgerConfig): string {
  if (!config.eventStoreUrl) throw new Error('LEDGER_EVENT_STORE=eventstoredb needs EVENTSTORE_URL (e.g. esdb://127.0.0.1:2113?tls=false)');
  return config.eventStoreUrl;
}
