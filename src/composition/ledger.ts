import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { LedgerConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { AUTHORIZE_CALLBACK_PATH, PORTAL_CALLBACK_PATH, TOKEN_PATH } from '../paths.ts';
import { buildHttpApp } from '../http/app.ts';
import type { RouteGroup } from '../http/route-group.ts';
import { LedgerKeys } from '../app/ledger-keys.ts';
import type { LedgerServices } from '../app/services.ts';
import { AccessTokens, ADMIN_TOKENS } from '../app/providers/access-tokens.ts';
import { ClientAssertions, providerAssertionClients } from '../app/providers/client-assertions.ts';
import { ActAsGrants } from '../app/providers/act-as-grants.ts';
import { ProviderDirectory } from '../app/providers/provider-directory.ts';
import { ADMIN_TOKEN_TTL_MS, AdminDirectory } from '../app/admins/admin-directory.ts';
import { AdminActivity } from '../app/admins/admin-activity.ts';
import { actCodec } from '../app/acts/act-sealing.ts';
import { ActReceipts } from '../app/acts/receipts.ts';
import { ReceiptVerification } from '../app/acts/receipt-check.ts';
import { ActService } from '../app/acts/act-service.ts';
import { AuthorizationService } from '../app/acts/authorization-by-authentication.ts';
import { Pseudonyms } from '../app/citizens/pseudonyms.ts';
import { seedTestPersons, TestPersonDirectory } from '../app/citizens/test-persons.ts';
import { CitizenAdmin } from '../app/citizens/citizen-admin.ts';
import { RegistryAudit } from '../app/citizens/registry-audit.ts';
import { CaptchaService } from '../app/citizens/captcha.ts';
import { PublicVerification } from '../app/citizens/public-verification.ts';
import { CitizenLog } from '../app/citizens/citizen-log.ts';
import { PortalLogin } from '../app/citizens/portal-login.ts';
import { PortalSessions } from '../app/citizens/portal-session.ts';
import { FailedAuthorizations } from '../app/retention/failed-authorizations.ts';
import { FailedAttempts } from '../app/citizens/failed-attempts.ts';
import { buildStores, type Closers } from './stores.ts';
import { buildProjections } from './projections.ts';
import { Conformance } from '../app/providers/conformance.ts';
import { OnboardingOverview } from '../app/providers/onboarding-overview.ts';
import { RecordTransfer, previousEnvironmentKeys } from '../app/providers/record-transfer.ts';
import { buildJobScheduler, buildRetention } from './jobs.ts';
import { buildTransparencyLog, scheduleCheckpoints } from './audit.ts';
import { buildChanges } from './changes.ts';
import { buildIdentityProvider } from './identity.ts';
import { buildNotifiers } from './notifiers.ts';
import { PrometheusMetrics } from '../adapters/prometheus/ledger-metrics.ts';
import { CountingEventStore } from '../adapters/prometheus/counting-event-store.ts';
import { buildDelivery } from './delivery.ts';

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
  /**
   * Tests only, never configurable: events in memory with sparse positions, whatever
   * LEDGER_EVENT_STORE says, so a test that counts with positions fails without EventStoreDB.
   */
  sparseEvents?: boolean;
  /** The clock every command reads (tests move it); the system clock when left out. */
  clock?: () => Date;
  /** false: schedule no job here (CLI tools); the purge and expiry sweep still run when called. */
  runJobs?: boolean;
  /** Route groups added to the HTTP edge after the ledger's own. */
  extraRoutes?: RouteGroup[];
}

/**
 * The composition root: builds every store, service and route from config (stores.ts, projections.ts,
 * jobs.ts and identity.ts choose the adapters), and closes them in reverse order. A build that fails
 * part-way closes what it had started before the error goes on.
 */
export async function buildLedger(config: LedgerConfig, options: BuildOptions = {}): Promise<Ledger> {
  const closers: Closers = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    const built = await build(config, options, closers);
    return { ...built, close: closeAll };
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
}

async function build(config: LedgerConfig, options: BuildOptions, closers: Closers): Promise<Omit<Ledger, 'close'>> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const inMemory = options.inMemory === true;
  const clock = options.clock ?? (() => new Date());

  let generatedAdminToken: string | undefined;
  if (!config.adminToken && config.environment === 'simulator') {
    generatedAdminToken = randomBytes(24).toString('base64url');
    config = { ...config, adminToken: generatedAdminToken };
  }

  const stores = await buildStores(config, { inMemory, sparseEvents: options.sparseEvents === true }, closers);
  const { keyVault, replayGuard, citizens } = stores;
  // Every write goes through the counting store: the operator's figures come from what was appended.
  const metrics = new PrometheusMetrics();
  closers.push(() => metrics.close());
  const eventStore = new CountingEventStore(stores.eventStore, metrics);
  const keys = inMemory ? await LedgerKeys.ephemeral() : await LedgerKeys.open(config.dataDir);
  const providers = new ProviderDirectory(eventStore, config.environment);
  const admins = new AdminDirectory(eventStore);
  const codec = actCodec(keyVault);
  const { readModels, projectionRunner, projectionRole, projectionsReadiness, onDuty } = await buildProjections(config, { stores, inMemory, codec, logger }, closers);
  const pseudonyms = new Pseudonyms(keys.secrets.pseudonymKey, citizens, config.homeCountry);
  const registryAudit = new RegistryAudit({ store: eventStore, pseudonym: (sector, aifo) => pseudonyms.bsi(sector, aifo), clock });
  if (config.environment === 'simulator') await seedTestPersons(citizens, clock().toISOString());
  const notifiers = await buildNotifiers(config, clock);
  const deliveryKey = keys.secrets.deliveryKey;
  const delivery = buildDelivery(config, { db: stores.db, ...(stores.stagedTasks ? { stagedTasks: stores.stagedTasks } : {}), eventStore, codec, citizens, registryAudit, notifiers: notifiers.byChannel, deliveryKey, clock, logger, meter: metrics, runJobs: options.runJobs !== false }, closers);
  const acts = new ActService({
    store: eventStore,
    codec,
    providers,
    pseudonyms,
    tasks: delivery.tasks,
    deliveryKey,
    sendLimiter: stores.sendLimiter,
    verifierKey: keys.secrets.codeVerifierKey,
    policy: { actLifetimeMs: config.actLifetimeMs, code: config.code, ...(config.defaultLoa ? { defaultLoa: config.defaultLoa } : {}) },
    clock,
  });
  const { identityProvider, identitySimulator, identityReadiness } = buildIdentityProvider(config, { secret: keys.secrets.cookieKey, pseudonyms, citizens, clock });
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
  // Closed after the HTTP edge and before the stores, since a purge in flight still uses them.
  const scheduler = buildJobScheduler(config, logger);
  closers.push(() => scheduler.jobs.close());
  const { jobsReadiness } = scheduler;
  const jobs = await onDuty(scheduler.jobs);
  const retention = buildRetention(config, { eventStore, readModels, keyVault, acts, jobs, projectionRunner, clock, logger });
  const accessTokens = new AccessTokens(keys, config.publicUrl, config.accessTokenTtlMs);
  const transparencyLog = buildTransparencyLog(config, { eventStore, readModels, keys, clock, logger });
  const services: LedgerServices = {
    config,
    logger,
    eventStore,
    replayGuard,
    keys,
    providers,
    accessTokens,
    clientAssertions: new ClientAssertions(providerAssertionClients(providers, config.environment), replayGuard, `${config.publicUrl}${TOKEN_PATH}`, admins),
    actAsGrants: new ActAsGrants({ providers, tokens: accessTokens, environment: config.environment, mutualTls: config.tls?.clientCaFile !== undefined, clock }),
    admins,
    adminTokens: new AccessTokens(keys, config.publicUrl, ADMIN_TOKEN_TTL_MS, ADMIN_TOKENS),
    adminActivity: new AdminActivity(readModels),
    keyVault,
    actCodec: codec,
    citizens,
    pseudonyms,
    acts,
    ...(notifiers.outbox ? { outbox: notifiers.outbox } : {}),
    identityProvider,
    ...(identitySimulator ? { identitySimulator } : {}),
    authorization,
    clock,
    jobs,
    readModels,
    projections: projectionRunner,
    projectionRole,
    captcha: new CaptchaService({ key: keys.secrets.captchaKey, replayGuard, clock, meter: metrics, ...config.captcha }),
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
    portalSessions: new PortalSessions({ cookieKey: keys.secrets.cookieKey, ttlMs: config.portalSessionTtlMs, clock, replayGuard }),
    testPersons: new TestPersonDirectory({ citizens, pseudonyms, providers, homeCountry: config.homeCountry, clock }),
    registryAudit,
    citizenAdmin: new CitizenAdmin({ citizens, pseudonyms, providers, audit: registryAudit, clock }),
    failedAuthorizations: new FailedAuthorizations(readModels, retention.retention),
    failedAttempts: new FailedAttempts({
      readModels,
      retention: retention.retention,
      store: eventStore,
      codec,
      clock,
      waitForReadModels: (position, timeoutMs) => projectionRunner.waitFor(position, timeoutMs),
    }),
    conformance: new Conformance({ environment: config.environment, store: eventStore, readModels, projections: projectionRunner, providers, clock }),
    recordTransfer: new RecordTransfer({
      environment: config.environment,
      issuer: config.publicUrl,
      keys,
      providers,
      previousKeys: previousEnvironmentKeys(config.previousEnvironmentJwks),
      clock,
    }),
    ...retention,
    transparencyLog,
    actReceipts: new ActReceipts({ store: eventStore, codec, log: transparencyLog, keys }),
    receiptVerification: new ReceiptVerification(keys, transparencyLog.verifierKey),
    ...buildChanges(config, { ...retention, eventStore, readModels, projectionRunner, clock, providers }),
    onboardingOverview: new OnboardingOverview({ store: eventStore, providers, environment: config.environment, clock }),
    meter: metrics,
    metrics,
    readiness: {
      eventStore: async () => ({ ok: true, headPosition: await eventStore.headPosition() }),
      projections: projectionsReadiness,
      ...jobsReadiness,
      ...identityReadiness,
    },
  };

  // Closed before the scheduler: a policy change seen while closing reschedules nothing.
  closers.push(() => retention.backgroundJobs.close());
  if (options.runJobs !== false) {
    await retention.backgroundJobs.start();
    await scheduleCheckpoints(config, jobs, transparencyLog);
  }

  const app = await buildHttpApp(services, options.extraRoutes ?? []);
  closers.push(() => app.close());
  return { services, app, ...(generatedAdminToken ? { generatedAdminToken } : {}) };
}
