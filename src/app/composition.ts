import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { LedgerConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openSqlite, type SqliteDatabase } from '../adapters/sqlite/database.ts';
import { SqliteEventStore } from '../adapters/sqlite/event-store.ts';
import { SqliteReplayGuard } from '../adapters/sqlite/replay-guard.ts';
import { buildHttpApp } from '../http/app.ts';
import { TOKEN_PATH } from '../http/routes/provider/token.ts';
import { AccessTokens } from './access-tokens.ts';
import { ClientAssertions } from './client-assertions.ts';
import { LedgerKeys } from './ledger-keys.ts';
import { ProviderDirectory } from './providers.ts';
import type { LedgerServices } from './services.ts';
import { SqliteKeyVault } from '../adapters/sqlite/key-vault.ts';
import { SqliteCitizenRegistry } from '../adapters/sqlite/citizen-registry.ts';
import { SqliteSendLimiter } from '../adapters/sqlite/send-limiter.ts';
import { OutboxNotifier } from '../adapters/notify/outbox.ts';
import { actCodec } from './sealing.ts';
import { Pseudonyms } from './pseudonyms.ts';
import { ActService } from './acts.ts';
import { seedTestPersons } from './test-persons.ts';

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

  const db: SqliteDatabase = openSqlite(options.inMemory ? ':memory:' : join(config.dataDir, 'ledger.sqlite'));
  closers.push(() => {
    db.close();
  });
  const eventStore = new SqliteEventStore(db);
  closers.push(() => eventStore.close());
  const replayGuard = new SqliteReplayGuard(db);
  const keys = options.inMemory ? await LedgerKeys.ephemeral() : await LedgerKeys.open(config.dataDir);

  const providers = new ProviderDirectory(eventStore);
  const clock = () => new Date();
  const keyVault = new SqliteKeyVault(db);
  const codec = actCodec(keyVault);
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
    clock,
    readiness: {
      eventStore: async () => ({ ok: true, headPosition: await eventStore.headPosition() }),
    },
  };

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
