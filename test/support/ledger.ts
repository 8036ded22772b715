import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { loadConfig, type LedgerConfig } from '../../src/config.ts';
import { buildLedger, type BuildOptions, type Ledger } from '../../src/composition/ledger.ts';
import { createLogger } from '../../src/logger.ts';
import type { SqliteDatabase } from '../../src/adapters/sqlite/database.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { MemoryEventStore } from '../../src/adapters/memory/event-store.ts';
import type { EventStore } from '../../src/ports/event-store.ts';
import { problemTypeCheck } from './documented-problems.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export function tempDir(prefix = 'ledger-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A test machine's event loop runs late for reasons of its own (other processes on its cores), and
 * the overload check would then refuse requests at random: tests run without it unless they ask
 * (test/http/operators.test.ts forces overload deliberately).
 */
export const NO_EVENT_LOOP_CHECK = { LEDGER_MAX_EVENT_LOOP_DELAY_MS: '0' };

export function testConfig(env: Record<string, string> = {}): LedgerConfig {
  return loadConfig({ LEDGER_DATA_DIR: tempDir(), LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent', ...NO_EVENT_LOOP_CHECK, ...env });
}

/**
 * True in the run on sparse positions (vitest.sparse.config.ts sets LEDGER_TEST_EVENT_STORE=sparse):
 * test ledgers keep their events in memory at positions that are not counts, as on EventStoreDB.
 */
export const sparseEventStoreRun = process.env.LEDGER_TEST_EVENT_STORE === 'sparse';

/** An event store for a test: on `db` (SQLite), or in memory at sparse positions in the sparse run. */
export function testEventStore(db: SqliteDatabase): EventStore {
  return sparseEventStoreRun ? new MemoryEventStore({ seed: 11 }) : new SqliteEventStore(db);
}

/**
 * The build options every test ledger gets: a silent logger, sparse events in the sparse run, and the
 * check that every problem it answers is one the OpenAPI lists for the route (test/support/problem-check-setup.ts
 * fails the test otherwise).
 */
export function testBuildOptions(options: BuildOptions = {}): BuildOptions {
  return {
    logger: createLogger('silent'),
    ...(sparseEventStoreRun ? { sparseEvents: true } : {}),
    ...options,
    extraRoutes: [problemTypeCheck(), ...(options.extraRoutes ?? [])],
  };
}

/**
 * A ledger on a fresh data dir, answering through app.inject (its projections on their own thread).
 * `inMemory`: nothing on disk, projections on this thread (a test can add projections of its own).
 * In the sparse run, events are in memory and projections on this thread either way.
 */
export async function testLedger(env: Record<string, string> = {}, options: Pick<BuildOptions, 'inMemory'> = {}): Promise<Ledger> {
  const ledger = await buildLedger(testConfig(env), testBuildOptions(options));
  await ledger.app.ready();
  return ledger;
}

export interface ProviderIdentity {
  providerId: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  alg: 'ES256' | 'EdDSA';
}

export async function providerKeyPair(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<Omit<ProviderIdentity, 'providerId'>> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `k-${randomUUID().slice(0, 8)}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid };
  return { kid, privateKey, publicJwk, alg };
}

/** A signed client assertion; `overrides` change claims or header for negative tests. */
export async function clientAssertion(
  id: ProviderIdentity,
  audience: string,
  overrides: { claims?: Record<string, unknown>; header?: Record<string, unknown>; iat?: number; exp?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...overrides.claims })
    .setProtectedHeader({ alg: id.alg, kid: id.kid, ...overrides.header })
    .setIssuer(id.providerId)
    .setSubject(id.providerId)
    .setAudience(audience)
    .setJti(randomUUID())
    .setIssuedAt(overrides.iat ?? now)
    .setExpirationTime(overrides.exp ?? now + 120)
    .sign(id.privateKey);
}

/** Registers a provider through the admin API and returns its identity. */
export async function registerProvider(
  ledger: Ledger,
  options: { name?: string; returnUrls?: string[]; alg?: 'ES256' | 'EdDSA' } = {},
): Promise<ProviderIdentity> {
  const pair = await providerKeyPair(options.alg);
  const res = await ledger.app.inject({
    method: 'POST',
    url: '/api/v1/admin/providers',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { name: options.name ?? 'Test e-service', jwks: { keys: [pair.publicJwk] }, returnUrls: options.returnUrls ?? ['https://provider.example/return'] },
  });
  if (res.statusCode !== 201) throw new Error(`provider registration failed: ${res.statusCode} ${res.body}`);
  return { ...pair, providerId: (res.json() as { providerId: string }).providerId };
}

/** An ActAs token for the provider, through the token endpoint. */
export async function actAsToken(ledger: Ledger, id: ProviderIdentity): Promise<string> {
  const assertion = await clientAssertion(id, `${ledger.services.config.publicUrl}/api/v1/token`);
  const res = await ledger.app.inject({
    method: 'POST',
    url: '/api/v1/token',
    payload: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion },
  });
  if (res.statusCode !== 200) throw new Error(`token failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { access_token: string }).access_token;
}

/** The SePP a provider knows a person by, through the admin API. */
export async function seppOf(ledger: Ledger, aifo: string, providerId: string): Promise<string> {
  const res = await ledger.app.inject({
    method: 'GET',
    url: `/api/v1/admin/citizens/${encodeURIComponent(aifo)}/sepp?providerId=${encodeURIComponent(providerId)}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (res.statusCode !== 200) throw new Error(`sepp lookup failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { sepp: string }).sepp;
}
