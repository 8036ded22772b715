import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLedger } from '../../src/composition/ledger.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { routeGroup } from '../../src/http/route-group.ts';
import { ledgerFiles, openReadModelFiles } from '../../src/composition/stores.ts';
import { tempDir, testConfig } from '../support/ledger.ts';

/** Files this process holds open under `dir` (every thread's included: they share the table). */
function openFilesUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(dir));
}

describe('the composition root', () => {
  it('closes everything it started when the build fails part-way, projection thread included', async () => {
    const config = testConfig();
    let threadWasRunning = false;
    const failing = routeGroup(['projections'], async (_app, { services }) => {
      // By now the projection thread runs and both SQLite files are open.
      threadWasRunning = (await services.projections.lag()).running && openFilesUnder(config.dataDir).length > 0;
      throw new Error('a route group could not be built');
    });
    await expect(buildLedger(config, { logger: createLogger('silent'), extraRoutes: [failing] })).rejects.toThrow('a route group could not be built');
    expect(threadWasRunning).toBe(true);
    // The thread's connections are file descriptors of this process too: none is left, so no thread is.
    expect(openFilesUnder(config.dataDir)).toEqual([]);
  });

  it('builds, closes, and leaves no file open', async () => {
    const config = testConfig();
    const ledger = await buildLedger(config, { logger: createLogger('silent') });
    expect(openFilesUnder(config.dataDir).length).toBeGreaterThan(0);
    await ledger.close();
    expect(openFilesUnder(config.dataDir)).toEqual([]);
  });
});

describe('the read models\' query connection', () => {
  it('gets the page cache LEDGER_READ_MODEL_CACHE_MIB sizes (512 MiB unless set)', () => {
    expect(loadConfig({}).readModelCacheMiB).toBe(512);
    expect(loadConfig({ LEDGER_READ_MODEL_CACHE_MIB: '64' }).readModelCacheMiB).toBe(64);
    const opened = openReadModelFiles(ledgerFiles(tempDir('rm-cache-')).readModels, { cacheMiB: 300 });
    try {
      expect(opened.dbs.length).toBeGreaterThan(1);
      for (const db of opened.dbs) expect(db.pragma('cache_size', { simple: true })).toBe(-300 * 1024);
    } finally {
      for (const db of opened.dbs) db.close();
    }
  });
});

describe('configuration is validated in one place, before anything is built', () => {
  it.each([
    [{ LEDGER_EVENT_STORE: 'eventstoredb' }, /LEDGER_EVENT_STORE=eventstoredb needs EVENTSTORE_URL/],
    [{ LEDGER_READ_MODELS: 'mongodb' }, /LEDGER_READ_MODELS=mongodb needs MONGODB_URL/],
    [{ LEDGER_IDENTITY_PROVIDER: 'oidc' }, /needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET/],
    [{ LEDGER_JOBS: 'cron' }, /LEDGER_JOBS must be one of inprocess, bullmq/],
    [{ LEDGER_HTTP_IDLE_TIMEOUT: 'PT0S' }, /LEDGER_HTTP_IDLE_TIMEOUT must be from PT1S/],
    [{ LEDGER_READ_MODEL_CACHE_MIB: '1' }, /LEDGER_READ_MODEL_CACHE_MIB/],
  ])('%o is refused with what to set', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  // A production environment with everything real; each case below takes one thing away or makes it simulated.
  const production = {
    LEDGER_ENVIRONMENT: 'production',
    LEDGER_PUBLIC_URL: 'https://ledger.example',
    LEDGER_ADMIN_TOKEN: 'a'.repeat(32),
    LEDGER_SMS: 'http',
    SMS_HTTP_URL: 'https://sms.example/v1/messages',
    SMS_HTTP_TOKEN: 'gateway-token',
    LEDGER_MOBILE_KEY: 'fcm',
    FCM_SERVICE_ACCOUNT_FILE: '/run/secrets/fcm.json',
    OIDC_ISSUER: 'https://op.example',
    OIDC_CLIENT_ID: 'ledger',
    OIDC_CLIENT_SECRET: 'secret',
  };

  it('starts a production environment in which everything is real', () => {
    const config = loadConfig(production);
    expect(config.delivery).toMatchObject({ sms: { kind: 'http', url: 'https://sms.example/v1/messages' }, mobileKey: { kind: 'fcm', apiUrl: 'https://fcm.googleapis.com' } });
    expect(config.identityProvider.kind).toBe('oidc');
  });

  it.each([
    [{ LEDGER_SMS: 'outbox' }, /set LEDGER_SMS=http/],
    [{ LEDGER_SMS: undefined }, /set LEDGER_SMS=http/],
    [{ LEDGER_MOBILE_KEY: 'outbox' }, /set LEDGER_MOBILE_KEY=fcm/],
    [{ LEDGER_IDENTITY_PROVIDER: 'simulator' }, /LEDGER_IDENTITY_PROVIDER=simulator works only in the simulator environment/],
    [{ LEDGER_ADMIN_TOKEN: undefined }, /needs LEDGER_ADMIN_TOKEN/],
    [{ LEDGER_ADMIN_TOKEN: 'short' }, /LEDGER_ADMIN_TOKEN must be at least 32 characters/],
    [{ LEDGER_PUBLIC_URL: 'http://ledger.example' }, /needs LEDGER_PUBLIC_URL to be the https URL/],
    [{ SMS_HTTP_URL: undefined }, /LEDGER_SMS=http needs SMS_HTTP_URL/],
    [{ SMS_HTTP_TOKEN: undefined }, /LEDGER_SMS=http needs SMS_HTTP_TOKEN/],
    [{ SMS_HTTP_URL: 'http://sms.example/v1' }, /SMS_HTTP_URL must be an https URL/],
    [{ FCM_SERVICE_ACCOUNT_FILE: undefined }, /LEDGER_MOBILE_KEY=fcm needs FCM_SERVICE_ACCOUNT_FILE/],
    [{ FCM_API_URL: 'http://fcm.example' }, /FCM_API_URL must be an https URL/],
    [{ OIDC_ISSUER: undefined }, /needs OIDC_ISSUER/],
  ])('production with %o is refused, naming what to set', (change, message) => {
    expect(() => loadConfig({ ...production, ...change })).toThrow(message);
  });

  it('integration is held to the same, except that its public URL may be plain http', () => {
    expect(() => loadConfig({ ...production, LEDGER_ENVIRONMENT: 'integration', LEDGER_MOBILE_KEY: 'outbox' })).toThrow(/the integration environment sends real codes: set LEDGER_MOBILE_KEY=fcm/);
    expect(loadConfig({ ...production, LEDGER_ENVIRONMENT: 'integration', LEDGER_PUBLIC_URL: 'http://integration.internal' }).environment).toBe('integration');
  });

  it('lets a gateway beside the ledger be reached over plain http on loopback', () => {
    expect(loadConfig({ ...production, SMS_HTTP_URL: 'http://127.0.0.1:9000/sms', FCM_API_URL: 'http://localhost:9001' }).delivery).toMatchObject({ sms: { url: 'http://127.0.0.1:9000/sms' }, mobileKey: { apiUrl: 'http://localhost:9001' } });
  });

  it("takes the previous environment's key set as an https URL (http on loopback) or a file, outside the simulator only", () => {
    const at = (value: string, environment = 'production') => loadConfig({ ...production, LEDGER_ENVIRONMENT: environment, LEDGER_PREVIOUS_ENVIRONMENT_JWKS: value }).previousEnvironmentJwks;
    expect(loadConfig(production).previousEnvironmentJwks).toBeUndefined();
    expect(at('https://integration.example/.well-known/jwks.json')).toEqual({ kind: 'url', url: 'https://integration.example/.well-known/jwks.json' });
    expect(at('http://127.0.0.1:3001/.well-known/jwks.json', 'integration')).toEqual({ kind: 'url', url: 'http://127.0.0.1:3001/.well-known/jwks.json' });
    expect(at('/run/secrets/integration-jwks.json')).toEqual({ kind: 'file', path: '/run/secrets/integration-jwks.json' });
    expect(() => at('http://integration.example/.well-known/jwks.json')).toThrow(/LEDGER_PREVIOUS_ENVIRONMENT_JWKS must be an https URL \(http only on loopback\)/);
    expect(() => at('ftp://integration.example/jwks.json')).toThrow(/LEDGER_PREVIOUS_ENVIRONMENT_JWKS must be an https URL or a file path/);
    expect(() => loadConfig({ LEDGER_PREVIOUS_ENVIRONMENT_JWKS: '/tmp/jwks.json' })).toThrow(/the simulator has no previous environment/);
  });

  it('names the adapters it chose, with what they need', () => {
    expect(loadConfig({}).eventStore).toEqual({ kind: 'sqlite' });
    expect(loadConfig({ LEDGER_READ_MODELS: 'mongodb', MONGODB_URL: 'mongodb://db/ledger' }).readModels).toEqual({ kind: 'mongodb', url: 'mongodb://db/ledger' });
    expect(loadConfig({ LEDGER_IDENTITY_PROVIDER: 'oidc', OIDC_ISSUER: 'https://op', OIDC_CLIENT_ID: 'c', OIDC_CLIENT_SECRET: 's' }).identityProvider).toMatchObject({ kind: 'oidc', issuer: 'https://op' });
  });
});
